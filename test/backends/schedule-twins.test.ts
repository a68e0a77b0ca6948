import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runScheduled } from '../../src/backends/execute/schedule.js';
import { helperCall } from '../../src/backends/helper-calls.js';
import { REGISTRATIONS } from '../../src/backends/registration-contracts.js';
import type { PlanUnit } from '../../src/planner/plan.js';
import { partialFile } from '../helpers/partials.js';
import { haveTools } from '../helpers/tools.js';

const HELPERS = [partialFile('helpers.hbs'), partialFile('helpers-schedule.hbs')];
const canRun = haveTools('bash');

/** A unit of the scenario: its lock, the units it requires, and how it ends when it runs. */
interface Scenario {
  readonly id: string;
  readonly lock: string;
  readonly requires?: readonly string[];
  readonly fails?: boolean;
}

/**
 * What the scheduler does, as lines: `start ID` for each unit started, `end` when every running
 * unit ends (both backends see them end together: the script reaps them after `wait -n`, apply
 * after the race of their promises), `skip ID` for a unit settled without running.
 */
async function inApply(units: readonly Scenario[], jobs: number): Promise<string[]> {
  const lines: string[] = [];
  const plan = units.map((u) => ({
    id: u.id,
    lockFile: u.lock,
    requires: u.requires ?? [],
  })) as unknown as PlanUnit[];
  let ending: Promise<void> | undefined;
  await runScheduled<string>(
    plan,
    jobs,
    (unit, finished) => {
      const missing = unit.requires.find((id) => finished(id) !== 'ok');
      if (missing === undefined) return undefined;
      lines.push(`skip ${unit.id}`);
      return 'skipped';
    },
    async (unit) => {
      lines.push(`start ${unit.id}`);
      // The units started in one look end together, once it is over.
      ending ??= Promise.resolve().then(() => {
        lines.push('end');
        ending = undefined;
      });
      await ending;
      return units.find((u) => u.id === unit.id)?.fails === true ? 'failed' : 'ok';
    },
  );
  return lines;
}

function inScript(units: readonly Scenario[], jobs: number): string[] {
  const register = units
    .map((u) =>
      helperCall(REGISTRATIONS.unit, {
        id: u.id,
        fn: `fn_${u.id}`,
        lock_file: u.lock,
        state_file: 'state',
        planned_sha256: 'sum',
        on_success: 'ok',
        on_failure: 'failed',
        measure: "''",
        keep_aside: "''",
        requires: u.requires ?? [],
      }),
    )
    .join('\n');
  const outcomes = units.map((u) => `[${u.id}]=${u.fails === true ? 'failed' : 'ok'}`).join(' ');
  const script = `
    set -Eeuo pipefail
    source "$1"
    source "$2"
    declare -A outcome=(${outcomes})
    # The scheduler says only why it settles a unit without running it.
    polyarchiv_say() { echo "skip \${1%%:*}"; }
    polyarchiv_start() {
      echo "start \${polyarchiv_units[$1]}"
      polyarchiv_status[$1]=running
      polyarchiv_pids[$1]=0
    }
    ${register}
    polyarchiv_jobs=${jobs}
    polyarchiv_start_ready
    while ((\${#polyarchiv_pids[@]} > 0)); do
      echo end
      for i in "\${!polyarchiv_pids[@]}"; do
        polyarchiv_status[i]=\${outcome[\${polyarchiv_units[i]}]}
        unset 'polyarchiv_pids[i]'
      done
      polyarchiv_start_ready
    done`;
  const run = spawnSync('bash', ['-c', script, 'bash', ...HELPERS], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return run.stdout.trim().split('\n');
}

/** Two collect points (locks a and b), each with three backup points that require it. */
const twoPoints: Scenario[] = [
  { id: 'collect-a', lock: 'a' },
  { id: 'collect-b', lock: 'b' },
  ...[1, 2, 3].flatMap((n) => [
    { id: `backup${n}-a`, lock: 'a', requires: ['collect-a'] },
    { id: `backup${n}-b`, lock: 'b', requires: ['collect-b'] },
  ]),
];

describe.runIf(canRun)('the scheduler: apply and the script start the same units in the same order', () => {
  it('runs the units of a lock one after the other, in plan order, at most --jobs at a time', async () => {
    const two = await inApply(twoPoints, 2);
    expect(two).toEqual([
      'start collect-a',
      'start collect-b',
      'end',
      'start backup1-a',
      'start backup1-b',
      'end',
      'start backup2-a',
      'start backup2-b',
      'end',
      'start backup3-a',
      'start backup3-b',
      'end',
    ]);
    expect(inScript(twoPoints, 2)).toEqual(two);
    for (const jobs of [1, 3, 8])
      expect([jobs, inScript(twoPoints, jobs)]).toEqual([jobs, await inApply(twoPoints, jobs)]);
    expect((await inApply(twoPoints, 1)).filter((line) => line !== 'end')).toEqual(
      twoPoints.map((u) => `start ${u.id}`),
    );
  });

  it('settles the units that require a failed one without running them, and goes on with the others', async () => {
    const units: Scenario[] = [
      { id: 'collect-a', lock: 'a', fails: true },
      { id: 'collect-b', lock: 'b' },
      { id: 'backup-a', lock: 'a', requires: ['collect-a'] },
      { id: 'after-a', lock: 'a' },
      { id: 'both', lock: 'c', requires: ['collect-b', 'backup-a'] },
      { id: 'backup-b', lock: 'b', requires: ['collect-b'] },
    ];
    const applied = await inApply(units, 2);
    expect(applied).toEqual([
      'start collect-a',
      'start collect-b',
      'end',
      'skip backup-a',
      'start after-a',
      'skip both',
      'start backup-b',
      'end',
    ]);
    for (const jobs of [1, 2, 4])
      expect([jobs, inScript(units, jobs)]).toEqual([jobs, await inApply(units, jobs)]);
  });

  it('schedules thousands of units alike', async () => {
    const many: Scenario[] = [];
    for (let c = 0; c < 300; c++) many.push({ id: `c${c}`, lock: `l${c}`, fails: c % 7 === 3 });
    for (let b = 0; b < 3; b++)
      for (let c = 0; c < 300; c++) many.push({ id: `b${b}-${c}`, lock: `l${c}`, requires: [`c${c}`] });
    const applied = await inApply(many, 3);
    expect(applied.filter((line) => line.startsWith('start ')).length).toBe(300 + 3 * (300 - 43));
    expect(inScript(many, 3)).toEqual(applied);
  });
});
