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
