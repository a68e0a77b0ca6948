// The copy steps against the same rsync commands run by hand: a first full run and an
// incremental run (1% of the files changed) of one local_files source and a local synchronize
// mirror. Prints figures and ratios; asserts nothing (timings depend on the machine).
// Usage: node bench/copy-incremental.mjs [FILES] [BYTES_PER_FILE] [ROUNDS]  (after npm run build)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const files = Number(process.argv[2] ?? 10_000);
const size = Number(process.argv[3] ?? 20_000);
const rounds = Number(process.argv[4] ?? 5);
const root = mkdtempSync(join(tmpdir(), 'polyarchiv-bench-copy-'));
const data = join(root, 'data');

const fileName = (i) => join(data, `d${Math.floor(i / 100)}`, `f${i}`);

function writeData() {
  const block = Buffer.alloc(size);
  for (let i = 0; i < files; i++) {
    if (i % 100 === 0) mkdirSync(join(data, `d${i / 100}`), { recursive: true });
    block.writeUInt32LE(i, 0);
    writeFileSync(fileName(i), block);
  }
}

let generation = 0;
/** Rewrites 1% of the files, spread over the tree, with new content. */
function changeOnePercent() {
  generation += 1;
  const block = Buffer.alloc(size, generation % 256);
  for (let i = generation % 100; i < files; i += 100) writeFileSync(fileName(i), block);
}

function timed(command, args) {
  const start = process.hrtime.bigint();
  const run = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${run.stderr}`);
  return seconds;
}

function byHand() {
  return (
    timed('rsync', ['-a', '--delete', '--', `${data}/`, `${join(root, 'hand/copy')}/`]) +
    timed('rsync', [
      '-a',
      '--delete',
      '-H',
      '--',
      `${join(root, 'hand/copy')}/`,
      `${join(root, 'hand/mirror')}/`,
    ])
  );
}

const config = join(root, 'config');
mkdirSync(config);
writeFileSync(
  join(config, 'site.collect'),
  `[point]\nengine = files\nlocal_path = ${root}/collect\nfrequency = always\n\n[source "data"]\nengine = local_files\nsource_path = ${data}\ndestination_path = data\n`,
);
writeFileSync(
  join(config, 'mirror.backup'),
  `[point]\nengine = synchronize\nremote_url = ${root}/mirror/{name}\n`,
);
const polyarchiv = () => timed(process.execPath, [CLI, 'backup', '-q', '-C', config]);

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const row = (what, ours, hand, goal) =>
  console.log(
    `${what.padEnd(22)} | ${ours.toFixed(3).padStart(9)} s | ${hand.toFixed(3).padStart(9)} s | ${(ours / hand).toFixed(2).padStart(5)}x | <= ${goal}x`,
  );

try {
  writeData();
  mkdirSync(join(root, 'hand'));
  console.log(
    `copy steps: ${files} files of ${size} bytes, one local_files source and a local synchronize mirror`,
  );
  console.log('run                    | polyarchiv  | rsync by hand | ratio | goal');
  const handFull = byHand();
  const oursFull = polyarchiv();
  row('first full run', oursFull, handFull, 1.1);
  const ours = [];
  const hand = [];
  for (let r = 0; r < rounds; r++) {
    changeOnePercent();
    hand.push(byHand());
    ours.push(polyarchiv());
  }
  row(`incremental (1%, median of ${rounds})`.slice(0, 22), median(ours), median(hand), 1.3);
  const nothing = [];
  const nothingHand = [];
  for (let r = 0; r < rounds; r++) {
    nothingHand.push(byHand());
    nothing.push(polyarchiv());
  }
  row('nothing changed', median(nothing), median(nothingHand), 1.3);
} finally {
  rmSync(root, { recursive: true, force: true });
}
