// The archive backup point against `tar -czf` run by hand on the same collect point: the step as
// configured with gzip (one CPU) and with pigz (every CPU), each including what the hand-written
// command does not do (reading the archive back whole, fsync, rename). Prints figures and ratios;
// asserts nothing (timings depend on the machine).
// Usage: node bench/archive.mjs [FILES] [BYTES_PER_FILE] [ROUNDS]  (after npm run build)
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../dist/bin/main.js', import.meta.url));
const files = Number(process.argv[2] ?? 10_000);
const size = Number(process.argv[3] ?? 20_000);
const rounds = Number(process.argv[4] ?? 3);
const root = mkdtempSync(join(tmpdir(), 'polyarchiv-bench-archive-'));
const data = join(root, 'data');

/** Text-like content that gzip shrinks to about a third: random words from a small vocabulary. */
function writeData() {
  const words = Array.from({ length: 4096 }, () => randomBytes(6).toString('base64url'));
  for (let i = 0; i < files; i++) {
    if (i % 100 === 0) mkdirSync(join(data, `d${i / 100}`), { recursive: true });
    const picks = randomBytes(Math.ceil(size / 4));
    let text = '';
    for (let j = 0; text.length < size; j += 2)
      text += `${words[picks.readUInt16LE(j % (picks.length - 1)) % 4096]} `;
    writeFileSync(join(data, `d${Math.floor(i / 100)}`, `f${i}`), text.slice(0, size));
  }
}

function timed(command, args) {
  const start = process.hrtime.bigint();
  const run = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${run.stderr}`);
  return seconds;
}

function have(tool) {
  return spawnSync('sh', ['-c', `command -v "$1"`, 'sh', tool]).status === 0;
}

const config = join(root, 'config');
mkdirSync(config);
writeFileSync(
  join(config, 'site.collect'),
  `[point]\nengine = files\nlocal_path = ${root}/collect\n\n[source "data"]\nengine = local_files\nsource_path = ${data}\ndestination_path = data\n`,
);
writeFileSync(
  join(config, 'archive.backup'),
  `[point]\nengine = archive\nremote_url = ${root}/archives/{name}.tar.gz\n`,
);
const global = join(config, 'tools.global');
const exportDir = join(root, 'collect/backups');

/** The backup point's unit alone: the collect point is already filled. */
function polyarchiv(gzip) {
  writeFileSync(global, `[global]\ngzip_executable = ${gzip}\n`);
  return timed(process.execPath, [CLI, 'backup', '-q', '--skip-collect', '-C', config]);
}

const byHand = () => timed('tar', ['-czf', join(root, 'hand.tar.gz'), '-C', exportDir, '.']);

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

try {
  writeData();
  timed(process.execPath, [CLI, 'backup', '-q', '--skip-backup', '-C', config]);
  const bytes = Number(spawnSync('du', ['-s', '-b', exportDir], { encoding: 'utf8' }).stdout.split('\t')[0]);
  console.log(
    `archive step: ${files} files, ${(bytes / 2 ** 20).toFixed(0)} MiB, .tar.gz, ${availableParallelism()} CPUs, median of ${rounds}`,
  );
  const hand = [];
  const gzip = [];
  const pigz = [];
  const parallel = have('pigz');
  for (let r = 0; r < rounds; r++) {
    hand.push(byHand());
    gzip.push(polyarchiv('gzip'));
    if (parallel) pigz.push(polyarchiv('pigz'));
  }
  const archived = statSync(join(root, 'archives/site.tar.gz')).size;
  console.log(
    `tar -czf by hand: ${median(hand).toFixed(3)} s (${(archived / 2 ** 20).toFixed(0)} MiB archive)`,
  );
  console.log(`polyarchiv, gzip: ${median(gzip).toFixed(3)} s`);
  console.log(
    `ratio: archive (gzip) vs tar -czf = ${(median(gzip) / median(hand)).toFixed(2)}x (reads the archive back and flushes it: no goal)`,
  );
  if (parallel) {
    console.log(`polyarchiv, pigz: ${median(pigz).toFixed(3)} s`);
    console.log(
      `ratio: archive (pigz) vs tar -czf = ${(median(pigz) / median(hand)).toFixed(2)}x (goal: <= 0.6x on 2 CPUs)`,
    );
  } else console.log('pigz is not installed (scripts/system-deps.sh installs it): no parallel figure');
} finally {
  rmSync(root, { recursive: true, force: true });
}
