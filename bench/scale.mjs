// Thousands of units: what the run itself costs beside its units' work, in apply and in the script.
// - scheduling 6,000 units (1,000 collect points, each with 5 backup points that require it and
//   share its lock), at most 2 at a time, each ending as soon as it starts: apply's scheduler and
//   the script's polyarchiv_start_ready;
// - the script's hooks looked up for their units: 1,000 of the 6,000 units with a hook, and an
//   event that none of them listens to fired for each unit (the look-up alone);
// - the script of a 1,000-point configuration (3 sources, 5 backup points) until its first unit:
//   it checks its configuration and registers its units, then stops at an unknown argument.
// Every process the script starts forks its whole shell, which holds every unit's function: the
// resident size of that shell is printed too. Prints figures; asserts nothing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderHelperFile } from '../dist/backends/bash/render.js';
import { runScheduled } from '../dist/backends/execute/schedule.js';
import { helperCall } from '../dist/backends/helper-calls.js';
import { REGISTRATIONS } from '../dist/backends/registration-contracts.js';
import { LARGE_POINTS as POINTS, writeLargeConfig } from './shared/large-config.mjs';

const CLI = fileURLToPath(new URL('../dist/bin/main.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'polyarchiv-bench-scale-'));

/**
 * Wall-clock seconds and largest resident size (MiB) of bash running `script`. A snippet that
 * fails (a helper it calls not sourced) fails the benchmark, which would else time nothing;
 * `expectedStatus` is for the script that stops at an unknown argument.
 */
function bash(script, args = [], expectedStatus = 0) {
  const start = performance.now();
  const run = spawnSync('/usr/bin/time', ['-f', 'max-rss-kib=%M', 'bash', '-c', script, 'bash', ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  const seconds = (performance.now() - start) / 1000;
  const rss = /max-rss-kib=(\d+)/.exec(run.stderr);
  const stderr = run.stderr.replace(/^.*max-rss-kib=\d+\n?/m, '');
  if (rss === null || run.status !== expectedStatus || (expectedStatus === 0 && stderr !== ''))
    throw new Error(`bash exited ${run.status}:\n${run.stderr}`);
  return { seconds, rss: Number(rss[1]) / 1024, stdout: run.stdout, stderr };
}

/** Helper files of templates/partials/, as a script renders them, in one file to source. */
function helperFile(name, partials) {
  const file = join(root, name);
  writeFileSync(file, partials.map((partial) => renderHelperFile(partial)).join('\n'));
  return file;
}

/** Seconds between the two times (`$EPOCHREALTIME`) a bash snippet printed. */
function between(run) {
  const [from, to] = run.stdout.trim().split(' ').map(Number);
  return to - from;
}

try {
  const helpers = helperFile('helpers.sh', ['helpers.hbs', 'helpers-schedule.hbs']);
  const hooks = helperFile('helpers-hooks.sh', ['helpers-hooks.hbs']);

  const units = [];
  for (let c = 0; c < POINTS; c++) units.push({ id: `c${c}`, lockFile: `/l/${c}`, requires: [] });
  for (let b = 0; b < 5; b++)
    for (let c = 0; c < POINTS; c++)
      units.push({ id: `b${b}-${c}`, lockFile: `/l/${c}`, requires: [`c${c}`] });
  const start = performance.now();
  await runScheduled(
    units,
    2,
    () => undefined,
    async () => 'ok',
  );
  const applied = (performance.now() - start) / 1000;

  // The main part's lines, as a script has them.
  const registration = (unit) =>
    helperCall(REGISTRATIONS.unit, {
      id: unit.id,
      fn: 'f',
      lock_file: unit.lockFile,
      state_file: 's',
      planned_sha256: 'x',
      on_success: 'ok',
      on_failure: 'failed',
      measure: "''",
      keep_aside: "''",
      requires: unit.requires,
    });
  // In a file: thousands of lines are more than one argument of bash -c may hold.
  const unitLines = join(root, 'units.sh');
  writeFileSync(unitLines, `${units.map(registration).join('\n')}\n`);
  const register = `
    source "$1"
    polyarchiv_say() { :; }
    polyarchiv_progress() { :; }
    source '${unitLines}'`;
  const scheduled = bash(
    `${register}
    polyarchiv_start() { polyarchiv_status[$1]=running; polyarchiv_pids[$1]=0; }
    polyarchiv_jobs=2
    start=$EPOCHREALTIME
    polyarchiv_start_ready
    while ((\${#polyarchiv_pids[@]} > 0)); do
      for i in "\${!polyarchiv_pids[@]}"; do polyarchiv_status[i]=ok; unset 'polyarchiv_pids[i]'; done
      polyarchiv_start_ready
    done
    echo "$start $EPOCHREALTIME"`,
    [helpers],
  );

  const hookLines = join(root, 'hooks.sh');
  writeFileSync(
    hookLines,
    `${Array.from({ length: POINTS }, (_, c) =>
      helperCall(REGISTRATIONS.hook, {
        owner: `b4-${c}`,
        prefix: `p${c}`,
        fn: 'hook',
        label: 'label',
        events: ['before_backup', 'after_backup'],
      }),
    ).join('\n')}\n`,
  );
  const fired = bash(
    `${register}
    source "$2"
    hook() { :; }
    source '${hookLines}'
    start=$EPOCHREALTIME
    for ((i = 0; i < ${6 * POINTS}; i++)); do
      polyarchiv_fire "$i" backup_success -- '' ''
    done
    echo "$start $EPOCHREALTIME"`,
    [helpers, hooks],
  );

  const config = writeLargeConfig(join(root, 'config'), root);
  const script = join(root, 'backup.sh');
  const plan = spawnSync(process.execPath, [CLI, 'plan', '-C', config, '--out', script], {
    encoding: 'utf8',
  });
  if (plan.status !== 0) throw new Error(`plan failed:\n${plan.stderr}`);
  const started = bash('exec bash "$1" --bench-stops-here', [script], 2);
  if (!started.stderr.includes('unknown argument: --bench-stops-here'))
    throw new Error(`the script did not stop at its argument:\n${started.stderr}`);

  console.log(`${POINTS} collect points, ${units.length} units`);
  console.log(`scheduling, apply                         | ${applied.toFixed(3).padStart(7)} s`);
  console.log(`scheduling, script                        | ${between(scheduled).toFixed(3).padStart(7)} s`);
  console.log(`hooks looked up, script (1,000 hooks)     | ${between(fired).toFixed(3).padStart(7)} s`);
  console.log(
    `script start until its first unit         | ${started.seconds.toFixed(3).padStart(7)} s | its shell ${started.rss.toFixed(0)} MiB`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
