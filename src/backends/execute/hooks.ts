import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HookEvent, RuntimeVariable } from '../../engines/engine.js';
import { hookLabel, type PlanHook, type PlanHooks } from '../../planner/plan.js';
import { HELPER_MESSAGES } from '../helper-messages.js';
import { keepStdoutUntilFailure } from './quiet-stdout.js';
import type { RunContext } from './run-exec.js';
import { runCommand, type UnitOptions } from './run-unit.js';

/** What one call of an owner's hooks receives. */
export interface HookCall {
  readonly event: HookEvent;
  /** `OK` when every unit of the phase succeeded, `KO` when one did not, `--` before any ran. */
  readonly status: 'OK' | 'KO' | '--';
  readonly detailedStatus: string;
  readonly completeLog: string;
}

/**
 * Twin of polyarchiv_fire: writes the runtime variables to the owner's files, then runs, one after
 * the other, each hook that lists the event. A hook that fails is reported and the others still
 * run; returns how many failed.
 */
export async function fireHooks(
  hooks: PlanHooks | undefined,
  call: HookCall,
  options: UnitOptions,
  ctx: RunContext,
): Promise<number> {
  const called = (hooks?.hooks ?? []).filter((hook) => hook.events.includes(call.event));
  if (hooks === undefined || called.length === 0) return 0;
  const values: Record<RuntimeVariable, string> = {
    event: call.event,
    status: call.status,
    detailed_status: call.detailedStatus,
    complete_log: call.completeLog,
    date: mailDate(options.clock()),
  };
  for (const [variable, value] of Object.entries(values))
    writeFileSync(join(ctx.workDir, `${hooks.prefix}.${variable}`), value, { mode: 0o600 });
  let failures = 0;
  for (const hook of called) {
    if (!options.quiet) options.say(`  ${call.event}: ${hookLabel(hook)}`);
    // Under -q a hook's standard output is kept, and shown only if the hook fails, as a unit's.
    const quiet = options.quiet ? keepStdoutUntilFailure(ctx, `${hooks.prefix}.hook`) : undefined;
    const code = await runHook(hook, options, quiet?.ctx ?? ctx);
    if (code !== 0) {
      options.say(HELPER_MESSAGES.hookFailed(hookLabel(hook), call.event, String(code)));
      quiet?.show();
      failures++;
    }
    quiet?.discard();
  }
  return failures;
}

async function runHook(hook: PlanHook, options: UnitOptions, ctx: RunContext): Promise<number> {
  for (const step of hook.steps)
    for (const command of step.commands) {
      const code = await runCommand(command, options, ctx);
      if (code !== 0) return code;
    }
  return 0;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A message's Date header, as `date -R` writes it in the C locale: `Mon, 30 Nov 2026 03:45:56 +0100`. */
export function mailDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const offset = -date.getTimezoneOffset();
  const zone = `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)}`;
  return `${DAYS[date.getDay()]}, ${pad(date.getDate())} ${MONTHS[date.getMonth()]} ${date.getFullYear()} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} ${zone}`;
}
