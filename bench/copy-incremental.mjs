// The copy steps against the same rsync commands run by hand: a first full run and an
// incremental run (1% of the files changed) of one local_files source and a local synchronize
// mirror. Two baselines: plain `rsync -a --delete` (-H for the mirror), and the very rsync
// commands polyarchiv runs (xattrs, ACLs, updates held back), by hand: the gap to the first is what
// the guarantees cost, the gap to the second what polyarchiv itself adds (node, plan, guard, state).
// Prints figures and ratios; asserts nothing (timings depend on the machine).
// Usage: node bench/copy-incremental.mjs [FILES] [BYTES_PER_FILE] [ROUNDS]  (after npm run build)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { holdingDir, rsyncArgv } from '../dist/graph/build-commands.js';

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
  // Writes of the previous run reach the disk first, not during this one.
  spawnSync('sync');
  const start = process.hrtime.bigint();
  const run = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${run.stderr}`);
  return seconds;
}

function byHand() {
  return (
    timed('rsync', ['-a', '--delete', '--mkpath', '--', `${data}/`, `${join(root, 'hand/copy')}/`]) +
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

/** The copies polyarchiv runs, with their holding directories; the first holds nothing back. */
function sameOptions(first) {
  let seconds = 0;
  const copy = (from, to, hardLinks) => {
    mkdirSync(holdingDir(to), { recursive: true });
    const spec = {
      from,
      to,
      deleteExtraneous: true,
      inPlace: true,
      guard: { maxShrinkPercent: 50, what: 'bench' },
      hardLinks,
      metadata: { xattrs: true, acls: true },
      filters: [],
    };
    const [tool, ...args] = rsyncArgv(spec, 'ssh', !first);
    seconds += timed(tool, args);
  };
  copy(data, join(root, 'same/copy'), false);
  copy(join(root, 'same/copy'), join(root, 'same/mirror'), true);
  return seconds;
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
const row = (what, ours, hand, same, goal) => {
  console.log(
    `${what.padEnd(30)} | ${ours.toFixed(3).padStart(8)} s | ${hand.toFixed(3).padStart(8)} s | ${(ours / hand).toFixed(2).padStart(5)}x | <= ${goal}x | ${same.toFixed(3).padStart(8)} s | ${(ours / same).toFixed(2).padStart(5)}x`,
  );
  console.log(
    `ratio: ${what} = ${(ours / hand).toFixed(2)}x rsync -a by hand (goal <= ${goal}x), ${(ours / same).toFixed(2)}x the same rsync commands by hand`,
  );
};

/** Medians of rounds of the three, each round after `before`. */
function rounds3(before) {
  const ours = [];
  const hand = [];
  const same = [];
  for (let r = 0; r < rounds; r++) {
    before();
    hand.push(byHand());
    same.push(sameOptions(false));
    ours.push(polyarchiv());
  }
  return [median(ours), median(hand), median(same)];
}

try {
  writeData();
  console.log(
    `copy steps: ${files} files of ${size} bytes, one local_files source and a local synchronize mirror`,
  );
  console.log(
    'run                            | polyarchiv | rsync -a by hand | ratio | goal    | same rsync commands by hand | ratio',
  );
  const full = [[], [], []];
  for (let r = 0; r < 3; r++) {
    for (const dir of ['hand', 'same', 'collect', 'mirror'])
      rmSync(join(root, dir), { recursive: true, force: true });
    full[1].push(byHand());
    full[2].push(sameOptions(true));
    full[0].push(polyarchiv());
  }
  row('first full run (median of 3)', ...full.map(median), 1.1);
  row(`incremental (1%, median of ${rounds})`, ...rounds3(changeOnePercent), 1.3);
  row(`nothing changed (median of ${rounds})`, ...rounds3(() => {}), 1.3);
} finally {
  rmSync(root, { recursive: true, force: true });
}
