import { hookEvents, type Plan, type PlanUnit } from '../../planner/plan.js';
import type { UnitResult } from './execute.js';
import type { HookCall } from './hooks.js';
import type { RunContext } from './run-exec.js';
import type { UnitOptions, UnitStatus } from './run-unit.js';

type Context = Omit<RunContext, 'lockFd'> | Error | undefined;

/** The hook runner loads with the first hook called, as the unit runner does with the first unit. */
async function fire(hooks: PlanUnit['hooks'], call: HookCall, options: UnitOptions, ctx: Context) {
  if (hooks === undefined || ctx === undefined || ctx instanceof Error) return 0;
  return (await import('./hooks.js')).fireHooks(hooks, call, options, ctx);
}

/** `OK: ID` or `KO: ID`, a unit's line of `detailed_status`. */
const statusLine = (id: string, status: UnitStatus) => `${status === 'ok' ? 'OK' : 'KO'}: ${id}`;

/** Twin of the hook calls of polyarchiv_run_unit (before) and polyarchiv_end (after). */
export class UnitHooks {
  failures = 0;
  private readonly events;
  constructor(
    private readonly unit: PlanUnit,
    mode: Plan['mode'],
    private readonly options: UnitOptions,
    private readonly ctx: Context,
  ) {
    this.events = hookEvents(mode);
  }

  async before(): Promise<void> {
    const call = { event: this.events.before, status: '--', detailedStatus: '', completeLog: '' } as const;
    this.failures += await fire(this.unit.hooks, call, this.options, this.ctx);
  }

  /** `log` is read at each call: the output so far, the earlier hooks' included. */
  async after(status: UnitStatus, log: () => string): Promise<void> {
    const ok = status === 'ok';
    for (const event of [ok ? this.events.success : this.events.error, this.events.after]) {
      const call = {
        event,
        status: ok ? 'OK' : 'KO',
        detailedStatus: statusLine(this.unit.id, status),
        completeLog: log(),
      } as const;
      this.failures += await fire(this.unit.hooks, call, this.options, this.ctx);
    }
  }
}

/** Twin of the global hook calls of polyarchiv_main (before) and polyarchiv_finish (after). */
export class RunHooks {
  failures = 0;
  private readonly events;
  constructor(
    private readonly plan: Plan,
    private readonly options: UnitOptions,
    private readonly ctx: Context,
  ) {
    this.events = hookEvents(plan.mode);
  }

  async before(): Promise<void> {
    const call = { event: this.events.before, status: '--', detailedStatus: '', completeLog: '' } as const;
    this.failures += await fire(this.plan.hooks, call, this.options, this.ctx);
  }

  /** Status `--` when no unit ran, `OK` when every one succeeded, else `KO`; the units' output as the log. */
  async after(results: readonly UnitResult[], log: string): Promise<void> {
    if (this.plan.hooks === undefined || results.some((r) => r.status === 'dry')) return;
    const ok = results.every((r) => r.status === 'ok');
    const status = results.length === 0 ? '--' : ok ? 'OK' : 'KO';
    const detailedStatus = results.map((r) => statusLine(r.id, r.status)).join('\n');
    for (const event of [ok ? this.events.success : this.events.error, this.events.after]) {
      const call = { event, status, detailedStatus, completeLog: log } as const;
      this.failures += await fire(this.plan.hooks, call, this.options, this.ctx);
    }
  }
}
