// The large configuration of the benchmarks: 1,000 collect points (each in its own file, with 3
// local_files sources) and 5 synchronize backup points, all under `root`, written into `dir`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LARGE_POINTS = 1000;

export function writeLargeConfig(dir, root) {
  mkdirSync(dir);
  for (let c = 0; c < LARGE_POINTS; c++) {
    let text = `[point]\nengine = files\nlocal_path = ${root}/collect/cp${c}\nfrequency = daily\n`;
    for (let s = 0; s < 3; s++)
      text += `\n[source "s${s}"]\nengine = local_files\nsource_path = ${root}/data/${c}/${s}\ndestination_path = s${s}\n`;
    writeFileSync(join(dir, `cp${c}.collect`), text);
  }
  for (let b = 0; b < 5; b++)
    writeFileSync(
      join(dir, `bp${b}.backup`),
      `[point]\nengine = synchronize\nremote_url = ${root}/mirror${b}/{name}\n`,
    );
  return dir;
}

/**
 * The state files of the large configuration after a successful run at `time` (naive local
 * time, as states record it), shaped as a run writes them: a collect point's with its variables
 * and its three copies' figures, each backup point's with its variables. What a nightly plan
 * reads, where a first plan reads none.
 */
export function writeLargeStates(root, time) {
  const [date, clock] = time.split('T');
  const [Y, m, d] = date.split('-');
  const [H, M, S] = clock.split(':');
  const variables = {
    fqdn: 'host.example.org',
    hostname: 'host',
    username: 'root',
    ...{ a: 'Tue', A: 'Tuesday', w: '2', d, b: 'Dec', B: 'December', m, y: Y.slice(2), Y, H, I: H, p: 'AM' },
    ...{ M, S, f: '000000', z: '+0000', Z: 'UTC', j: '342', U: '49', W: '49' },
    ...{ c: `Tue Dec  ${d} ${clock} ${Y}`, x: `${m}/${d}/${Y.slice(2)}`, X: clock },
  };
  const state = (extra) =>
    JSON.stringify({
      last_state_valid: true,
      success_count: 40,
      fail_count: 1,
      total_size: 0,
      last_message: 'ok',
      last_success: time,
      last_fail: null,
      config_hash: 'f'.repeat(64),
      variables,
      data: null,
      ...extra,
      last_duration: 2,
    });
  for (let c = 0; c < LARGE_POINTS; c++) {
    const metadata = join(root, 'collect', `cp${c}`, 'metadata');
    const copies = {};
    for (let s = 0; s < 3; s++)
      copies[`${root}/collect/cp${c}/backups/s${s}`] = { files: 120, bytes: 4_500_000 };
    mkdirSync(join(metadata, 'collect_point'), { recursive: true });
    writeFileSync(join(metadata, 'collect_point', `cp${c}.json`), state({ total_size: 13_500_000, copies }));
    for (let b = 0; b < 5; b++) {
      mkdirSync(join(metadata, `remote-bp${b}`, 'remote'), { recursive: true });
      const mirrored = { [`${root}/mirror${b}/cp${c}`]: { files: 360, bytes: 13_500_000 } };
      writeFileSync(join(metadata, `remote-bp${b}`, 'remote', `bp${b}.json`), state({ copies: mirrored }));
    }
  }
}
