// The encrypt filter: a first backup (every file encrypted) and a restore (every file decrypted)
// of FILES small files, through `apply` and through the script `plan` writes, each on a collect
// point and a mirror of its own; against one `gpg --symmetric` per file by hand, one after the
// other, with the same options (the floor of one process per file, run in turn).
// Prints files per second, wall-clock and CPU time (user + system of every process a run started,
// which a machine shared with other jobs disturbs far less); asserts nothing.
// Usage: node bench/encrypt.mjs [FILES] [ROUNDS]  (after npm run build)
// BENCH_CLI=FILE runs that polyarchiv command instead of this build's (another version's, to
// compare both in one session).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { GPG_UNATTENDED } from '../dist/graph/filter-commands.js';
import { childrenCpu } from './children-cpu.cjs';

const CLI = process.env.BENCH_CLI ?? fileURLToPath(new URL('../dist/bin/main.js', import.meta.url));
// Each file costs gpg some 0.15 s of CPU to derive its key, whatever runs it: 200 files keep a
// round of six runs to a few minutes (2,000 took some 45 minutes in all), so that `npm run bench`
// ends.
const files = Number(process.argv[2] ?? 200);
const rounds = Number(process.argv[3] ?? 3);
const PASSPHRASE = 'correct horse battery staple';
const SECRET = 'POLYARCHIV_SECRET_SITE_SECRET_PASSWORD';
const root = mkdtempSync(join(tmpdir(), 'polyarchiv-bench-encrypt-'));
const gnupg = join(root, 'gnupg');
mkdirSync(gnupg, { mode: 0o700 });
const env = { ...process.env, GNUPGHOME: gnupg, [SECRET]: PASSPHRASE };

/** FILES files of about 100 bytes, 100 to a directory, under `dir`. */
function writeData(dir) {
  for (let i = 0; i < files; i++) {
    if (i % 100 === 0) mkdirSync(join(dir, `d${i / 100}`), { recursive: true });
    writeFileSync(join(dir, `d${Math.floor(i / 100)}`, `f${i}`), `file ${i} `.repeat(10));
  }
}

/** Wall-clock and CPU seconds of `command`, which must succeed. */
function timed(command, args) {
  const cpuBefore = childrenCpu();
  const start = process.hrtime.bigint();
  const run = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env, maxBuffer: 2 ** 30 });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const spent = childrenCpu() - cpuBefore;
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${run.stderr}`);
  return { wall, cpu: spent };
}

/** A collect point encrypting {root}/data-SUFFIX, and a mirror, configured under `root`. */
function writeConfig(suffix) {
  const dir = join(root, `config-${suffix}`);
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'site.collect'),
    [
      '[point]',
      'engine = files',
      `local_path = ${root}/collect-${suffix}/{name}`,
      'frequency = always',
      '',
      '[source "tree"]',
      'engine = local_files',
      `source_path = ${root}/data-${suffix}`,
      'destination_path = tree',
      '',
      '[filter "secret"]',
      'engine = encrypt',
      `password = ${PASSPHRASE}`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'mirror.backup'),
    `[point]\nengine = synchronize\nremote_url = ${root}/mirror-${suffix}/{name}\n`,
  );
  return dir;
}

/** A first backup, then a restore after the data and the collect point's copies are gone. */
function backupThenRestore(suffix, viaScript) {
  for (const dir of [`data-${suffix}`, `collect-${suffix}`, `mirror-${suffix}`])
    rmSync(join(root, dir), { recursive: true, force: true });
  writeData(join(root, `data-${suffix}`));
  const config = join(root, `config-${suffix}`);
  const run = (mode) => {
    if (!viaScript)
      return timed(process.execPath, [
        CLI,
        mode,
        '-q',
        ...(mode === 'restore' ? ['--yes'] : []),
        '-C',
        config,
      ]);
    const script = join(root, `${suffix}-${mode}.sh`);
    const plan = spawnSync(
      process.execPath,
      [CLI, 'plan', ...(mode === 'restore' ? ['--restore'] : []), '-C', config],
      { encoding: 'utf8', maxBuffer: 2 ** 30 },
    );
    if (plan.status !== 0) throw new Error(`plan failed: ${plan.stderr}`);
    writeFileSync(script, plan.stdout);
    return timed('bash', [script, '--quiet', ...(mode === 'restore' ? ['--yes'] : [])]);
  };
  const backup = run('backup');
  rmSync(join(root, `data-${suffix}`), { recursive: true });
  rmSync(join(root, `collect-${suffix}/site/backups`), { recursive: true });
  rmSync(join(root, `collect-${suffix}/site/metadata/filter-secret`), { recursive: true });
  const restore = run('restore');
  return { backup, restore };
}

// The very options polyarchiv gives gpg, then the passphrase file's option.
const GPG = [...GPG_UNATTENDED, '--passphrase-file'];

/** One gpg --symmetric per file, then one gpg --decrypt per file, one after the other. */
function byHand() {
  const data = join(root, 'data-hand');
  const out = join(root, 'hand');
  rmSync(data, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
  writeData(data);
  mkdirSync(out);
  const passphrase = join(root, 'passphrase');
  writeFileSync(passphrase, PASSPHRASE, { mode: 0o600 });
  // One shell loop each way: the shell's own forks are the same as the helper's.
  const loop = (tool) =>
    `for f in ${data}/d*/f*; do gpg ${GPG.join(' ')} ${passphrase} ${tool} --output "${out}/\${f##*/}" -- "$f" || exit; done`;
  const backup = timed('bash', ['-c', loop('--symmetric --cipher-algo AES256')]);
  const restore = timed('bash', [
    '-c',
    `for f in ${out}/f*; do gpg ${GPG.join(' ')} ${passphrase} --decrypt --output "$f.clear" -- "$f" || exit; done`,
  ]);
  return { backup, restore };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

try {
  writeConfig('apply');
  writeConfig('script');
  const columns = { apply: [], script: [], hand: [] };
  for (let r = 0; r < rounds; r++) {
    columns.apply.push(backupThenRestore('apply', false));
    columns.script.push(backupThenRestore('script', true));
    columns.hand.push(byHand());
  }
  console.log(`encrypt filter: ${files} files of 100 bytes, median of ${rounds} rounds`);
  console.log('run                            | wall-clock (all rounds)      | CPU      | files per second');
  const figures = {};
  for (const [name, runs] of Object.entries(columns))
    for (const phase of ['backup', 'restore']) {
      const walls = runs.map((run) => run[phase].wall);
      const wall = median(walls);
      const spent = median(runs.map((run) => run[phase].cpu));
      figures[`${name} ${phase}`] = wall;
      const all = walls.map((w) => w.toFixed(1)).join(' ');
      console.log(
        `${`${name === 'hand' ? 'gpg per file by hand' : name}, ${phase}`.padEnd(30)} | ${`${wall.toFixed(2)} s (${all})`.padEnd(28)} | ${spent.toFixed(1).padStart(6)} s | ${(files / wall).toFixed(1).padStart(7)}`,
      );
    }
  for (const name of ['apply', 'script'])
    for (const phase of ['backup', 'restore'])
      console.log(
        `ratio: ${name} ${phase} = ${(figures[`${name} ${phase}`] / figures[`hand ${phase}`]).toFixed(2)}x one gpg per file by hand, in turn (${(files / figures[`${name} ${phase}`]).toFixed(1)} files per second)`,
      );
} finally {
  spawnSync('gpgconf', ['--kill', 'gpg-agent'], { env });
  rmSync(root, { recursive: true, force: true });
}
