import { hookLabel, type PlanHooks, type PlanUnit } from '../../planner/plan.js';
import { type CallLayout, helperCall } from '../helper-calls.js';
import { REGISTRATIONS } from '../registration-contracts.js';
import { functionName, shellWord } from './shell-word.js';

/**
 * The lines of the script's main part that register its units and hooks, and the names of the
 * functions they register: a unit's steps, a unit's hooks, the run's hooks.
 */

/** A unit's function name: its number keeps names unique whatever the ids fold to. */
export const unitFunction = (unit: PlanUnit, index: number): string =>
  functionName(`unit_${index + 1}`, unit.id);

/** Where a unit's registration line is continued: its state files are long. */
const UNIT_LINE_BREAKS: ReadonlySet<string> = new Set([
  'state_file',
  'on_success',
  'on_failure',
  'measure',
  'requires',
]);
const UNIT_LAYOUT: CallLayout = { breakBefore: (arg) => UNIT_LINE_BREAKS.has(arg.name), indent: '  ' };

/** A unit's line of the main part: its registration, over several lines. */
export function unitRegistration(unit: PlanUnit, index: number): string {
  const guard = unit.guards[0];
  return helperCall(
    REGISTRATIONS.unit,
    {
      id: shellWord(unit.id),
      fn: unitFunction(unit, index),
      lock_file: shellWord(unit.lockFile),
      state_file: unit.record === undefined ? "''" : shellWord(unit.record.file),
      planned_sha256: shellWord(guard?.sha256 ?? ''),
      on_success: shellWord(unit.record?.onSuccess ?? ''),
      on_failure: shellWord(unit.record?.onFailure ?? ''),
      measure: shellWord(unit.record?.measure ?? ''),
      keep_aside: unit.record?.keepAside === true ? 'keep-aside' : "''",
      requires: unit.requires.map(shellWord),
    },
    UNIT_LAYOUT,
  );
}

export const unitHookFunction = (unit: PlanUnit, index: number, k: number): string =>
  `${unitFunction(unit, index)}_hook_${k + 1}`;
export const runHookFunction = (k: number): string => `run_hook_${k + 1}`;

export function hookRegistrations(
  owner: string,
  hooks: PlanHooks | undefined,
  fn: (k: number) => string,
): string[] {
  return (hooks?.hooks ?? []).map((hook, k) =>
    helperCall(REGISTRATIONS.hook, {
      owner: shellWord(owner),
      prefix: shellWord(hooks?.prefix ?? ''),
      fn: fn(k),
      label: shellWord(hookLabel(hook)),
      events: hook.events,
    }),
  );
}
