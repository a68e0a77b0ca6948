// The copy steps against the same rsync commands run by hand: a first full run and an
// incremental run (1% of the files changed) of one local_files source and a local synchronize
// mirror. Three baselines: plain `rsync -a --delete` (-H for the mirror); the very rsync
// commands polyarchiv runs (xattrs, ACLs, updates held back), by hand; and those with the guard's
// count of each incoming side before its copy (what an incremental run measures) and the flush
// after it, by hand. The gap to the first is what the guarantees cost, to the last what
// polyarchiv itself adds (node, planning, locks, state files). The script `plan` writes for the
// same configuration runs beside `apply`, on a collect point and a mirror of its own, planned
// again (untimed) before each run, as its stale-plan check wants.
// Prints figures and ratios, as wall-clock time and as CPU time (user + system of every process a
// run started, which a machine shared with other jobs disturbs far less); asserts nothing.
// Usage: node bench/copy-incremental.mjs [FILES] [BYTES_PER_FILE] [ROUNDS]  (after npm run build)
// BENCH_CLI=FILE runs that polyarchiv command instead of this build's (another version's, to
// compare both in one session).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { TREE_LISTING_SUM } from '../dist/backends/tool-conventions.js';
import { childrenCpu } from './children-cpu.cjs';
import { copyArgv, copySpec, incomingCount } from './shared/copy-commands.mjs';
import { setAside } from './shared/set-aside.mjs';

const CLI = process.env.BENCH_CLI ?? fileURLToPath(new URL('../dist/bin/main.js', import.meta.url));
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

/** CPU seconds spent by the commands timed so far. */
let cpu = 0;

/** Seconds `command` takes; with `pipeTo`, its output read by that program too. */
function timed(command, args, pipeTo = []) {
  // Writes of the previous run reach the disk first, not during this one.
  spawnSync('sync');
  const cpuBefore = childrenCpu();
  const start = process.hrtime.bigint();
  const stdout = pipeTo.length === 0 ? 'ignore' : 'pipe';
  const run = spawnSync(command, args, { stdio: ['ignore', stdout, 'pipe'], maxBuffer: 2 ** 30 });
  if (run.status === 0 && pipeTo.length > 0) {
    const sum = spawnSync(pipeTo[0], pipeTo.slice(1), {
      input: run.stdout,
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    if (sum.status !== 0) throw new Error(`${pipeTo[0]} failed: ${sum.stderr}`);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  cpu += childrenCpu() - cpuBefore;
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

/**
 * The copies polyarchiv runs, with their holding directories; the first holds nothing back. With
 * `guarded`, each copy after the guard's dry run of its incoming side (as when figures are recorded)
 * and followed by the flush of its filesystem, as polyarchiv runs them.
 */
function sameOptions(first, guarded = false) {
  const dir = join(root, guarded ? 'guarded' : 'same');
  let seconds = 0;
  const copy = (from, to, hardLinks) => {
    const spec = copySpec(from, to, hardLinks);
    // A first copy has no figures to judge against: it is not counted, only flushed.
    if (guarded && !first) {
      const count = incomingCount(spec, join(root, 'measure'));
      // A listing piped into its sum, as the copy's helper runs it (polyarchiv_sum_listing).
      seconds += timed(count.argv[0], count.argv.slice(1), count.listing ? ['awk', TREE_LISTING_SUM] : []);
    }
    const [tool, ...args] = copyArgv(spec, first);
    seconds += timed(tool, args);
    if (guarded) seconds += timed('sync', ['-f', '--', to]);
  };
  copy(data, join(dir, 'copy'), false);
  copy(join(dir, 'copy'), join(dir, 'mirror'), true);
  return seconds;
}

/** A configuration of the copy steps, its collect point and mirror under `root` with `suffix`. */
function writeConfig(suffix) {
  const dir = join(root, `config${suffix}`);
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'site.collect'),
    `[point]\nengine = files\nlocal_path = ${root}/collect${suffix}\nfrequency = always\n\n[source "data"]\nengine = local_files\nsource_path = ${data}\ndestination_path = data\n`,
  );
  writeFileSync(
    join(dir, 'mirror.backup'),
    `[point]\nengine = synchronize\nremote_url = ${root}/mirror${suffix}/{name}\n`,
  );
  return dir;
}
const config = writeConfig('');
const scriptConfig = writeConfig('-script');
const scriptFile = join(root, 'backup.sh');
const polyarchiv = () => timed(process.execPath, [CLI, 'backup', '-q', '-C', config]);
function viaScript() {
  const plan = spawnSync(process.execPath, [CLI, 'plan', '-C', scriptConfig], {
    encoding: 'utf8',
    maxBuffer: 2 ** 30,
  });
  if (plan.status !== 0) throw new Error(`plan failed: ${plan.stderr}`);
  writeFileSync(scriptFile, plan.stdout);
  return timed('bash', [scriptFile, '--quiet']);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Wall-clock and CPU seconds of `run`, which returns the wall-clock seconds of what it timed. */
function measured(run) {
  const cpuBefore = cpu;
  const wall = run();
  return { wall, cpu: cpu - cpuBefore };
}

/** Medians, wall-clock and CPU, of each column's runs. */
const medians = (columns) =>
  columns.map((runs) => ({ wall: median(runs.map((r) => r.wall)), cpu: median(runs.map((r) => r.cpu)) }));

const row = (what, [ours, hand, same, guarded, script, node], goal) => {
  for (const kind of ['wall', 'cpu']) {
    const ratio = (base) =>
      `${base[kind].toFixed(3).padStart(8)} s | ${(ours[kind] / base[kind]).toFixed(2).padStart(5)}x`;
    const label = `${what}, ${kind === 'wall' ? 'wall-clock' : 'CPU'}`;
    console.log(
      `${label.padEnd(44)} | ${ours[kind].toFixed(3).padStart(8)} s | ${ratio(hand)} | <= ${goal}x | ${ratio(same)} | ${ratio(guarded)} | ${script[kind].toFixed(3).padStart(8)} s | ${(script[kind] / same[kind]).toFixed(2).padStart(5)}x`,
    );
  }
  console.log(
    `ratio: ${what} = ${(ours.wall / hand.wall).toFixed(2)}x rsync -a by hand (goal <= ${goal}x), ${(ours.wall / same.wall).toFixed(2)}x the same rsync commands by hand, ${(ours.wall / guarded.wall).toFixed(2)}x those with the guard's counts and flushes; CPU time ${(ours.cpu / same.cpu).toFixed(2)}x the same commands, ${(ours.cpu / guarded.cpu).toFixed(2)}x with counts and flushes; the script ${(script.wall / same.wall).toFixed(2)}x the same commands`,
  );
  // What no backend in node can go below: node's own start-up, then the commands with the guard's
  // counts and flushes, each started as polyarchiv starts them.
  const floor = node.wall + guarded.wall;
  console.log(
    `ratio: ${what}, floor of apply (node -e 0, ${node.wall.toFixed(3)} s, and the commands with counts and flushes) = ${(floor / same.wall).toFixed(2)}x the same rsync commands`,
  );
};

/**
 * Medians of `count` rounds, each after `before`, of each column: polyarchiv, plain rsync by hand,
 * the same commands by hand, those with the guard's counts and flushes, the script, node -e 0.
 * `first`: the copies start from nothing, so the commands by hand hold nothing back.
 */
function inRounds(count, first, before) {
  const runs = [[], [], [], [], [], []];
  for (let r = 0; r < count; r++) {
    before();
    runs[1].push(measured(byHand));
    runs[2].push(measured(() => sameOptions(first)));
    // The copies written to the disk before they count as done, as polyarchiv's are: by hand, the
    // writes of a copy wait in memory for the next one's start (outside the times measured).
    runs[3].push(measured(() => sameOptions(first, true)));
    runs[0].push(measured(polyarchiv));
    runs[4].push(measured(viaScript));
    runs[5].push(measured(() => timed(process.execPath, ['-e', '0'])));
  }
  return medians(runs);
}

const removeCopies = () =>
  setAside(root, ['hand', 'same', 'guarded', 'collect', 'mirror', 'collect-script', 'mirror-script']);

try {
  writeData();
  console.log(
    `copy steps: ${files} files of ${size} bytes, one local_files source and a local synchronize mirror`,
  );
  console.log(
    'run                                          | polyarchiv | rsync -a by hand | ratio | goal    | same rsync commands by hand | ratio | with counts and flushes | ratio | the script | ratio to the same commands',
  );
  row('first full run (median of 3)', inRounds(3, true, removeCopies), 1.1);
  row(`incremental (1%, median of ${rounds})`, inRounds(rounds, false, changeOnePercent), 1.3);
  row(
    `nothing changed (median of ${rounds})`,
    inRounds(rounds, false, () => {}),
    1.3,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
