// Two collect points backed up one after the other (--jobs 1) and at once (--jobs 2), through
// apply and through the script. Each collect point copies its own tree of FILES files of KIB KiB
// and is mirrored. Prints the median of RUNS first full runs per case; asserts nothing.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../dist/bin/main.js', import.meta.url));
const FILES = Number(process.env.FILES ?? 4000);
const KIB = Number(process.env.KIB ?? 16);
const RUNS = Number(process.env.RUNS ?? 3);

const root = mkdtempSync(join(tmpdir(), 'polyarchiv-bench-parallel-'));
const points = ['alpha', 'beta'];
const chunk = Buffer.alloc(KIB * 1024, 'x');
for (const name of points) {
  writeFileSync(
    join(root, `${name}.collect`),
    `[point]\nengine = files\nlocal_path = ${root}/${name}\n\n[source "data"]\nengine = local_files\nsource_path = ${root}/data/${name}\ndestination_path = data\n`,
  );
  for (let i = 0; i < FILES; i++) {
    const dir = join(root, 'data', name, String(i % 100));
    if (i < 100) mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `f${i}`), chunk);
  }
}
writeFileSync(
  join(root, 'mirror.backup'),
  `[point]\nengine = synchronize\nremote_url = ${root}/mirror/{name}\n`,
);
const config = join(root, 'config');
mkdirSync(config);
for (const file of ['alpha.collect', 'beta.collect', 'mirror.backup'])
  spawnSync('mv', [join(root, file), config]);

function fresh() {
  for (const dir of ['alpha', 'beta', 'mirror']) rmSync(join(root, dir), { recursive: true, force: true });
}

function timed(command, args) {
  fresh();
  const started = process.hrtime.bigint();
  const run = spawnSync(command, args, { encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return seconds;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const script = join(root, 'backup.sh');

console.log(
  `two collect points, each ${FILES} files of ${KIB} KiB (${((FILES * KIB) / 1024).toFixed(0)} MiB) and a mirror; ${cpus().length} CPUs; median of ${RUNS} first full runs`,
);
console.log('backend | --jobs 1 s | --jobs 2 s | ratio');
for (const backend of ['apply', 'script']) {
  const seconds = {};
  for (const jobs of [1, 2]) {
    const samples = [];
    for (let i = 0; i < RUNS; i++) {
      if (backend === 'apply') {
        samples.push(
          timed(process.execPath, [
            CLI,
            'backup',
            '--force',
            '--quiet',
            '--jobs',
            String(jobs),
            '-C',
            config,
          ]),
        );
      } else {
        fresh();
        const plan = spawnSync(process.execPath, [CLI, 'plan', '--force', '-C', config], {
          encoding: 'utf8',
        });
        writeFileSync(script, plan.stdout);
        samples.push(timed('bash', [script, '--jobs', String(jobs)]));
      }
    }
    seconds[jobs] = median(samples);
  }
  console.log(
    `${backend} | ${seconds[1].toFixed(2)} | ${seconds[2].toFixed(2)} | ${(seconds[2] / seconds[1]).toFixed(2)}`,
  );
}
rmSync(root, { recursive: true, force: true });
