// Two collect points backed up one after the other (--jobs 1) and at once (--jobs 2), through
// apply and through the script. Each collect point copies its own tree of FILES files of KIB KiB
// and is mirrored. Two kinds of run: a first full run, which writes every file and so follows the
// disk as much as the CPUs, and a run where nothing changed since the last one (the daily case:
// walks and comparisons, bound by the CPUs). Prints the median of RUNS runs of each case,
// wall-clock and CPU time (user + system of every process a run started); asserts nothing.
// Beside them, in the same rounds, the very commands polyarchiv runs, by hand: each point's copy,
// its flush, its mirror and that one's flush, the points in turn and then side by side. Their
// ratio is what the disk and the CPUs allow two jobs on this machine at that moment.
// BENCH_CLI=FILE runs that polyarchiv command instead of this build's.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shellWord } from '../dist/backends/bash/shell-word.js';
import { TREE_LISTING_SUM } from '../dist/backends/tool-conventions.js';
import { childrenCpu } from './children-cpu.cjs';
import { copyArgv, copySpec, incomingCount } from './shared/copy-commands.mjs';
import { setAside } from './shared/set-aside.mjs';

const CLI = process.env.BENCH_CLI ?? fileURLToPath(new URL('../dist/bin/main.js', import.meta.url));
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
  setAside(root, ['alpha', 'beta', 'mirror', 'hand']);
}

/**
 * The commands of one point as polyarchiv runs them, by hand, as one line of bash: the copy and
 * its mirror, each flushed. A first copy holds nothing back; a later one is counted first by the
 * guard's dry run of its incoming side (its figures were recorded).
 */
function pointByHand(name, first) {
  const copy = (from, to, hardLinks) => {
    const spec = copySpec(from, to, hardLinks);
    const lines = [];
    if (!first) {
      const count = incomingCount(spec, join(root, 'measure'));
      // A listing piped into its sum, as the copy's helper runs it (polyarchiv_sum_listing).
      const sum = count.listing ? ` | awk ${shellWord(TREE_LISTING_SUM)}` : '';
      lines.push(`${count.argv.map(shellWord).join(' ')}${sum} > /dev/null`);
    }
    lines.push(`${copyArgv(spec, first).map(shellWord).join(' ')} > /dev/null`);
    lines.push(`sync -f -- ${shellWord(to)}`);
    return lines;
  };
  const target = join(root, 'hand', name);
  return [
    ...copy(join(root, 'data', name), target, false),
    ...copy(target, join(root, 'hand', 'mirror', name), true),
  ].join(' && ');
}

/** Both points' commands by hand: one after the other, or side by side. */
function byHand(jobs, first) {
  const [alpha, beta] = points.map((name) => pointByHand(name, first));
  const line =
    jobs === 1 ? `${alpha} && ${beta}` : `{ ${alpha}; } & a=$!; { ${beta}; } & b=$!; wait $a && wait $b`;
  return timed('bash', ['-c', `set -e -o pipefail; ${line}`]);
}

/** Seconds and CPU seconds of one run. */
function timed(command, args) {
  // Writes of the previous run reach the disk first, not during this one.
  spawnSync('sync');
  const cpuBefore = childrenCpu();
  const started = process.hrtime.bigint();
  const run = spawnSync(command, args, { encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return { wall, cpu: childrenCpu() - cpuBefore };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const script = join(root, 'backup.sh');
const applyArgs = (jobs) => [CLI, 'backup', '--force', '--quiet', '--jobs', String(jobs), '-C', config];

function runCase({ backend, jobs, first }) {
  // A first run starts from nothing; a run where nothing changed follows an untimed one that
  // brings every copy up to date. The script is planned after either, as its states then are.
  if (first) fresh();
  else if (backend === 'by hand') byHand(2, false);
  else timed(process.execPath, applyArgs(2));
  if (backend === 'by hand') return byHand(jobs, first);
  if (backend === 'apply') return timed(process.execPath, applyArgs(jobs));
  const plan = spawnSync(process.execPath, [CLI, 'plan', '--force', '-C', config], { encoding: 'utf8' });
  writeFileSync(script, plan.stdout);
  return timed('bash', [script, '--quiet', '--jobs', String(jobs)]);
}

console.log(
  `two collect points, each ${FILES} files of ${KIB} KiB (${((FILES * KIB) / 1024).toFixed(0)} MiB) and a mirror; ${cpus().length} CPUs; median of ${RUNS} runs, the cases taking turns in each round`,
);
const BACKENDS = ['apply', 'script', 'by hand'];
const cases = [true, false].flatMap((first) =>
  BACKENDS.flatMap((backend) => [1, 2].map((jobs) => ({ backend, jobs, first, runs: [] }))),
);
for (let round = 0; round < RUNS; round++) {
  // Each round starts with another case, so that no case always runs first or last.
  for (let i = 0; i < cases.length; i++) {
    const one = cases[(round + i) % cases.length];
    one.runs.push(runCase(one));
  }
}
console.log('run | backend | --jobs 1 s | --jobs 2 s | ratio | CPU s, --jobs 1 | --jobs 2');
for (const first of [true, false]) {
  const kind = first ? 'first full run' : 'nothing changed';
  for (const backend of BACKENDS) {
    const [one, two] = cases
      .filter((c) => c.backend === backend && c.first === first)
      .map((c) => ({ wall: median(c.runs.map((r) => r.wall)), cpu: median(c.runs.map((r) => r.cpu)) }));
    console.log(
      `${kind} | ${backend} | ${one.wall.toFixed(2)} | ${two.wall.toFixed(2)} | ${(two.wall / one.wall).toFixed(2)} | ${one.cpu.toFixed(2)} | ${two.cpu.toFixed(2)}`,
    );
    const ratio = `${(two.wall / one.wall).toFixed(2)}x`;
    const figures = `${two.wall.toFixed(2)} s against ${one.wall.toFixed(2)} s`;
    console.log(
      backend === 'by hand'
        ? `ratio: the same commands by hand, two collect points side by side, ${kind} = ${ratio} in turn (what the machine allowed in these rounds; ${figures})`
        : `ratio: ${backend}, two collect points with --jobs 2, ${kind} = ${ratio} --jobs 1 (goal <= 0.6x; ${figures})`,
    );
  }
}
rmSync(root, { recursive: true, force: true });
