// Start-up and planning cost of the CLI against a bare `node -e 0`, each run as its own process:
// - a 1,000-point plan: 1,000 collect points x 3 local_files sources x 5 synchronize backup points
//   (6,000 units), printed as the text summary and as the script; on a first run (no state
//   file), and after a run (the 6,000 state files of a nightly run, every point due again);
// - a run where nothing is due (`apply` right after a successful one), which must stay close to
//   the start-up of node itself;
// - a floor under the first: the same configuration read, the same paths looked up and text of
//   the same shape and size written by a script with no model (bench/shared/plan-floor.mjs).
// Each CLI runs with the node options of its first line, as the installed command does.
// Figures: the fastest of RUNS runs, as wall-clock and as CPU time (user + system, which a busy
// machine disturbs far less), the median CPU time, and the largest resident set size seen. The
// runs of the cases alternate, so that a change of load on the machine touches them alike; with
// BENCH_BEFORE=path/to/another/build's/main.js, that build's runs alternate with them too.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeLargeConfig, writeLargeStates } from './shared/large-config.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CLI = new URL('../dist/bin/main.js', import.meta.url).pathname;
const USAGE = new URL('./resource-usage.cjs', import.meta.url).pathname;
const FLOOR = new URL('./shared/plan-floor.mjs', import.meta.url).pathname;
const FLOOR_CASE = 'floor: the text, no model';
const root = mkdtempSync(join(tmpdir(), 'polyarchiv-bench-'));

function largeConfig() {
  return writeLargeConfig(join(root, 'large'), root);
}

/** The same configuration, its points having run at 03:00 the day before: each is due again. */
function ranConfig() {
  const ran = join(root, 'ran');
  const dir = writeLargeConfig(join(root, 'large-ran'), ran);
  const yesterday = new Date();
  yesterday.setDate(yesterday.getDate() - 1);
  const day = (n) => String(n).padStart(2, '0');
  writeLargeStates(
    ran,
    `${yesterday.getFullYear()}-${day(yesterday.getMonth() + 1)}-${day(yesterday.getDate())}T03:00:00`,
  );
  return dir;
}

/** A small configuration that has just run: every point is due again only tomorrow. */
function doneConfig() {
  const dir = join(root, 'done');
  mkdirSync(dir);
  mkdirSync(join(root, 'site-data'));
  writeFileSync(join(root, 'site-data', 'file'), 'data\n');
  writeFileSync(
    join(dir, 'site.collect'),
    `[point]\nengine = files\nlocal_path = ${root}/site\nfrequency = daily\n\n[source "docs"]\nengine = local_files\nsource_path = ${root}/site-data\ndestination_path = docs\n`,
  );
  writeFileSync(
    join(dir, 'mirror.backup'),
    `[point]\nengine = synchronize\nremote_url = ${root}/site-mirror/{name}\nfrequency = daily\n`,
  );
  // Pinned at noon so that "due again tomorrow" holds for the whole benchmark.
  const first = spawnSync(process.execPath, [CLI, 'apply', '-C', dir, '--now', noon()], { encoding: 'utf8' });
  if (first.status !== 0) throw new Error(`the first run failed:\n${first.stderr}`);
  return dir;
}

function noon() {
  const now = new Date();
  now.setHours(12, 0, 0, 0);
  return `@${Math.floor(now.getTime() / 1000)}`;
}

/**
 * The node options of a CLI's first line (`#!/usr/bin/env -S node OPTIONS`): what the installed
 * command runs with, which `node main.js` would leave out.
 */
function shebangOptions(cli) {
  const first = readFileSync(cli, 'utf8').split('\n', 1)[0];
  if (!first.startsWith('#!')) return [];
  const words = first.split(/\s+/);
  const at = words.indexOf('node');
  return at < 0 ? [] : words.slice(at + 1);
}

/** One run: wall-clock and CPU seconds, resident set size in MiB. */
function runOnce([name, args, expectSkipped]) {
  const options = args[0] === '-e' ? [] : shebangOptions(args[0]);
  const start = performance.now();
  const run = spawnSync(process.execPath, [...options, '--require', USAGE, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 2 ** 20,
  });
  const wall = (performance.now() - start) / 1000;
  if (run.status !== 0) throw new Error(`${name} exited ${run.status}:\n${run.stderr}`);
  if (expectSkipped !== undefined && !run.stderr.includes(expectSkipped))
    throw new Error(`${name} ran something:\n${run.stderr}`);
  const usage = /max-rss-kib=(\d+) cpu-us=(\d+)/.exec(run.stderr);
  if (usage === null) throw new Error(`${name} reported no resource usage`);
  return { wall, cpu: Number(usage[2]) / 1e6, rss: Number(usage[1]) / 1024, output: run.stdout.length };
}

try {
  const large = largeConfig();
  const ran = ranConfig();
  const done = doneConfig();
  const now = noon();
  const runs = (cli, label) => [
    [`plan 1,000 points, text${label}`, [cli, 'plan', '-C', large, '--now', now, '--format', 'text']],
    [`plan 1,000 points, script${label}`, [cli, 'plan', '-C', large, '--now', now]],
    [`after a run, text${label}`, [cli, 'plan', '-C', ran, '--now', now, '--format', 'text']],
    [`after a run, script${label}`, [cli, 'plan', '-C', ran, '--now', now]],
    [
      `apply, nothing due${label}`,
      [cli, 'apply', '-C', done, '--now', now],
      'not run: collect point site: not due',
    ],
  ];
  const before = process.env.BENCH_BEFORE;
  const cases = [
    ['node -e 0', ['-e', '0']],
    ...runs(CLI, ''),
    [FLOOR_CASE, [FLOOR, large]],
    ...(before === undefined ? [] : runs(before, ' (before)')),
  ];
  const results = cases.map(([name]) => ({
    name,
    wall: Infinity,
    cpu: Infinity,
    rss: 0,
    output: 0,
    cpus: [],
  }));
  for (let i = 0; i < RUNS; i++)
    cases.forEach((c, k) => {
      const r = runOnce(c);
      const best = results[k];
      best.wall = Math.min(best.wall, r.wall);
      best.cpu = Math.min(best.cpu, r.cpu);
      best.rss = Math.max(best.rss, r.rss);
      best.output = r.output;
      best.cpus.push(r.cpu);
    });
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const [base] = results;
  const f = (n, width) => n.toFixed(3).padStart(width);
  console.log(
    `runs each: ${RUNS} (fastest shown, and the median CPU time)${before === undefined ? '' : `; before: ${before}`}`,
  );
  console.log(
    `${'run'.padEnd(35)} | wall s | CPU s | CPU s above node -e 0 | median CPU s above | max RSS MiB | output MB`,
  );
  for (const r of results)
    console.log(
      `${r.name.padEnd(35)} | ${f(r.wall, 6)} | ${f(r.cpu, 5)} | ${f(r.cpu - base.cpu, 21)} | ${f(median(r.cpus) - median(base.cpus), 18)} | ${r.rss.toFixed(0).padStart(11)} | ${(r.output / 1e6).toFixed(1).padStart(9)}`,
    );
  const planGoal = 'goal: within 0.25 s of node -e 0, under 100 MiB';
  const goals = {
    'plan 1,000 points, text': planGoal,
    'plan 1,000 points, script': planGoal,
    'after a run, text': planGoal,
    'after a run, script': planGoal,
    'apply, nothing due': 'goal: within 0.075 s of node -e 0',
  };
  for (const r of results.slice(1, 6))
    console.log(
      `ratio: ${r.name} / node -e 0 = ${(r.cpu / base.cpu).toFixed(2)}x CPU (+${(r.cpu - base.cpu).toFixed(3)} s CPU, +${(r.wall - base.wall).toFixed(3)} s wall, ${r.rss.toFixed(0)} MiB; ${goals[r.name]})`,
    );
  const named = (name) => results.find((r) => r.name === name);
  const floor = named(FLOOR_CASE);
  console.log(
    `ratio: floor (the text, no model) / node -e 0 = ${(floor.cpu / base.cpu).toFixed(2)}x CPU (+${(floor.cpu - base.cpu).toFixed(3)} s CPU, +${(floor.wall - base.wall).toFixed(3)} s wall, ${(floor.output / 1e6).toFixed(1)} MB against the plan's ${(named('plan 1,000 points, text').output / 1e6).toFixed(1)} MB)`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
