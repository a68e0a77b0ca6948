import type { ChildProcess } from 'node:child_process';
import { INTERRUPTING_SIGNALS } from '../../graph/helper-contracts.js';
import type { Plan, PlanUnit } from '../../planner/plan.js';
import { stateTimestamp } from '../../state/point-state.js';
import { commandOnOneLine } from '../bash/quote.js';
import { HELPER_MESSAGES, withoutSig } from '../helper-messages.js';
import { type Confirmation, listForDryRun } from './confirm.js';
import { missingSecrets, type RunContext, writeAsTool } from './run-exec.js';
import { RunHooks, UnitHooks } from './run-hooks.js';
import type { UnitOutcome, UnitStatus } from './run-unit.js';
import { runScheduled } from './schedule.js';
import { makeWorkDir, removeWorkDir, sweepWorkDirs, type WorkDir, workParent } from './work-dir.js';

export type { UnitStatus } from './run-unit.js';

export interface UnitResult {
  readonly id: string;
  readonly status: UnitStatus;
  readonly message?: string;
  readonly seconds: number;
  /** Hooks of the unit that failed: the run's exit code becomes 1, the unit's outcome stays. */
  readonly hookFailures?: number;
}

export interface ExecuteOptions {
  readonly dry: boolean;
  readonly showCommands: boolean;
  /** Asked before each command when set; false skips it and fails the unit without recording it. */
  readonly confirm?: (line: string) => Promise<boolean>;
  readonly quiet: boolean;
  readonly say: (line: string) => void;
  /** Read once when the run starts (the date of its successes), then for each failure. */
  readonly clock: () => Date;
  /** How a restore step that replaces live data is confirmed; without it, such a step is declined. */
  readonly confirmation?: Confirmation;
  /** Secret values by variable name, resolved from the configuration at run time. */
  readonly secrets?: ReadonlyMap<string, string>;
  /** Relay the tools' output through this process's streams (`--log-file`). */
  readonly relayOutput?: boolean;
  /** Units run at most this many at a time (default 1); with more, each unit's output is kept until it ends. */
  readonly jobs?: number;
}

export interface ExecutionReport {
  readonly results: readonly UnitResult[];
  readonly exitCode: number;
}

/** The signals that interrupt a run, by node's name, and the status the run then exits with. */
const SIGNALS = new Map(
  INTERRUPTING_SIGNALS.map(({ name, status }): [NodeJS.Signals, number] => [`SIG${name}`, status]),
);

/** What a hang-up does to a run: nothing. */
const carryOn = () => {};

/** Runs a plan in-process: the same units, locks, guards and state records as the script. */
export async function executePlan(plan: Plan, options: ExecuteOptions): Promise<ExecutionReport> {
  const missing = missingSecrets(plan.secrets, options.secrets ?? new Map());
  if (missing.length > 0) {
    options.say(`secret variables not set: ${missing.join(' ')}`);
    return { results: [], exitCode: 2 };
  }
  // Secrets given in the environment are the run's, as the script's `export -n` keeps them: a tool
  // gets one only in its own environment, where the step that needs it passes it.
  const inherited = takeInheritedSecrets();
  options = { ...options, secrets: new Map([...(options.secrets ?? []), ...inherited]) };
  const started = options.clock();
  // The script runs under `umask 077`: backups are private to their owner.
  const umask = process.umask(0o077);
  // And exports LC_ALL=C: its tools speak, quote and sort in the C locale, and so do these.
  const locale = process.env.LC_ALL;
  process.env.LC_ALL = 'C';
  const processes = new Set<ChildProcess>();
  let interrupted: NodeJS.Signals | undefined;
  // Like the script's traps: stop the running tools with their children, let each unit record its
  // failure, start nothing more, then remove the private work directory.
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = signal;
    for (const child of processes) {
      try {
        process.kill(-(child.pid as number), signal);
      } catch {
        // Already gone.
      }
    }
  };
  for (const signal of SIGNALS.keys()) process.on(signal, onSignal);
  // A hang-up asks nothing to stop (graph/helper-contracts.ts): the run carries on without its
  // terminal, as the script's `trap '' HUP`. The tools, each the leader of a process group of its
  // own, never receive the terminal's.
  process.on('SIGHUP', carryOn);
  let workDir: WorkDir | Error | undefined;
  try {
    // A run where nothing is due has no unit to give a work directory (nor hooks to call). One
    // that has it locked removes what dead runs left beside it, as the script does.
    if (!options.dry && (plan.units.length > 0 || plan.hooks !== undefined)) {
      workDir = makeWorkDir();
      if (!(workDir instanceof Error)) sweepWorkDirs(workParent(), workDir.path);
    }
    const ctx =
      workDir !== undefined && !(workDir instanceof Error)
        ? {
            workDir: workDir.path,
            workDirFd: workDir.fd,
            secrets: options.secrets ?? new Map(),
            processes,
            relayOutput: options.relayOutput === true,
            runStarted: stateTimestamp(started),
            runStartedSeconds: Math.floor(started.getTime() / 1000),
          }
        : workDir;
    const unitOptions = { ...options, interrupted: () => interrupted, started };
    const run = new RunHooks(plan, unitOptions, ctx);
    await run.before();
    const { results, log } = await executeUnits(plan, options, ctx, () => interrupted, started);
    await run.after(results, log);
    const code = exitCodeOf(
      results,
      plan.skipped.some((s) => s.failed),
    );
    return {
      results,
      exitCode:
        interrupted !== undefined ? (SIGNALS.get(interrupted) as number) : run.failures > 0 ? 1 : code,
    };
  } finally {
    if (workDir !== undefined && !(workDir instanceof Error)) removeWorkDir(workDir);
    for (const signal of SIGNALS.keys()) process.off(signal, onSignal);
    process.off('SIGHUP', carryOn);
    process.umask(umask);
    if (locale === undefined) delete process.env.LC_ALL;
    else process.env.LC_ALL = locale;
    for (const [name, value] of inherited) process.env[name] = value;
  }
}

/** Removes the `POLYARCHIV_SECRET_*` variables from this process's environment, which every tool inherits. */
function takeInheritedSecrets(): Map<string, string> {
  const taken = new Map<string, string>();
  for (const [name, value] of Object.entries(process.env))
    if (name.startsWith('POLYARCHIV_SECRET_') && value !== undefined) {
      taken.set(name, value);
      delete process.env[name];
    }
  return taken;
}

async function executeUnits(
  plan: Plan,
  options: ExecuteOptions,
  ctx: Omit<RunContext, 'lockFd'> | Error | undefined,
  interrupted: () => NodeJS.Signals | undefined,
  runStarted: Date,
): Promise<{ results: UnitResult[]; log: string }> {
  let log = '';
  // Questions on the terminal come one at a time, so their units do too.
  const asks =
    options.confirm !== undefined || (options.confirmation !== undefined && !options.confirmation.yes);
  const jobs = options.dry || asks ? 1 : (options.jobs ?? 1);
  const results = await runScheduled<UnitResult>(
    plan.units,
    jobs,
    (unit, finished) => {
      const signal = interrupted();
      if (signal !== undefined) {
        options.say(HELPER_MESSAGES.notRunInterrupted(unit.id, withoutSig(signal)));
        return { id: unit.id, status: 'skipped', seconds: 0 };
      }
      const missing = unit.requires.find((id) => finished(id)?.status !== 'ok' && !options.dry);
      if (missing === undefined) return undefined;
      options.say(HELPER_MESSAGES.skippedAfter(unit.id, missing));
      return { id: unit.id, status: 'skipped', seconds: 0 };
    },
    async (unit) => {
      // Hooks receive the unit's output: it is kept (and, for a unit that asks, passed on as it comes).
      const hooked =
        !options.dry && ctx !== undefined && (unit.hooks !== undefined || plan.hooks !== undefined);
      const output =
        jobs > 1 || hooked
          ? new KeptOutput(options.say, { merged: hooked, passOn: hooked && asks })
          : undefined;
      const sayNow = output === undefined ? options.say : (line: string) => output.say(line);
      const say = options.quiet ? prefixedWith(unit.id, sayNow) : sayNow;
      const progress = options.quiet ? () => undefined : sayNow;
      progress(unit.id);
      const started = Date.now();
      const unitOptions = { ...options, say, interrupted, started: runStarted };
      const unitCtx =
        ctx === undefined || ctx instanceof Error
          ? ctx
          : { ...ctx, ...(output === undefined ? {} : { output: output.tool }) };
      const hooks = hooked ? new UnitHooks(unit, plan.mode, unitOptions, unitCtx) : undefined;
      await hooks?.before();
      const outcome: UnitOutcome =
        options.dry || unitCtx === undefined
          ? dryRun(unit, options.secrets ?? new Map(), progress, (text) =>
              writeAsTool(unitCtxOf(output), 'stderr', text),
            )
          : await isolated(unit, say, async () =>
              // The unit runner and its helpers load with the first unit that runs.
              (await import('./run-unit.js')).runUnit(unit, unitOptions, unitCtx),
            );
      await hooks?.after(outcome.status, () => output?.text() ?? '');
      output?.flush();
      if (plan.hooks !== undefined) log += output?.text() ?? '';
      return {
        id: unit.id,
        ...outcome,
        seconds: (Date.now() - started) / 1000,
        ...(hooks === undefined || hooks.failures === 0 ? {} : { hookFailures: hooks.failures }),
      };
    },
  );
  if (!options.quiet) {
    options.say('summary:');
    for (const r of results) options.say(`  ${r.status.padEnd(8)} ${r.id} (${r.seconds.toFixed(1)} s)`);
  }
  return { results, log };
}

/**
 * A unit's problems (failures, refusals, warnings) under --quiet, which prints no unit names:
 * each prefixed with the unit's name (twin of polyarchiv_say).
 */
function prefixedWith(id: string, say: (line: string) => void): (line: string) => void {
  return (line) => {
    const text = line.trimStart();
    say(text.startsWith(`${id}: `) ? text : `${id}: ${text}`);
  };
}

/** Whatever goes wrong inside a unit fails that unit only, as its subshell does in the script. */
async function isolated(
  unit: PlanUnit,
  say: (line: string) => void,
  run: () => Promise<UnitOutcome>,
): Promise<UnitOutcome> {
  try {
    return await run();
  } catch (error) {
    const message = (error as Error).message;
    say(`  ${unit.id}: ${message}`);
    return { status: 'failed', message };
  }
}

/**
 * One unit's lines and tool output, written together when the unit ends, or as they come
 * (`passOn`). For hooks (`merged`), the tools' output goes to standard error with the lines, as the
 * script's unit writes both streams to one file, and the whole is kept as the unit's log.
 */
class KeptOutput {
  private readonly parts: (() => void)[] = [];
  private readonly log: Buffer[] = [];
  constructor(
    private readonly sayNow: (line: string) => void,
    private readonly how: { readonly merged: boolean; readonly passOn: boolean },
  ) {}
  say(line: string): void {
    if (this.how.merged) this.log.push(Buffer.from(`polyarchiv: ${line}\n`));
    this.keep(() => this.sayNow(line));
  }
  readonly tool = (stream: 'stdout' | 'stderr', chunk: Buffer): void => {
    if (this.how.merged) this.log.push(chunk);
    const target = this.how.merged ? 'stderr' : stream;
    this.keep(() => process[target].write(chunk));
  };
  private keep(part: () => void): void {
    if (this.how.passOn) part();
    else this.parts.push(part);
  }
  /** What the unit wrote so far, its lines and its tools' output, in order. */
  text(): string {
    return Buffer.concat(this.log).toString('utf8');
  }
  flush(): void {
    for (const part of this.parts.splice(0)) part();
  }
}

/** Busy (75) only when nothing failed: a failure is what cron and monitoring must hear of. */
export function exitCodeOf(results: readonly UnitResult[], failedSkips: boolean): number {
  if (failedSkips || results.some((r) => ['failed', 'stale', 'declined'].includes(r.status))) return 1;
  if (results.some((r) => (r.hookFailures ?? 0) > 0)) return 1;
  if (results.some((r) => r.status === 'busy')) return 75;
  return 0;
}

/** A context for writing as the unit's tools do, where a dry run has none. */
const unitCtxOf = (output: KeptOutput | undefined): Pick<RunContext, 'output'> =>
  output === undefined ? {} : { output: output.tool };

function dryRun(
  unit: PlanUnit,
  secrets: ReadonlyMap<string, string>,
  say: (line: string) => void,
  write: (text: string) => void,
): { status: UnitStatus } {
  if (unit.tellsWhy === true) say(`  ${unit.why}`);
  unit.steps.forEach((step, i) => {
    say(`  ${i + 1}/${unit.steps.length} ${step.action.summary}`);
    for (const command of step.commands) {
      say(`    ${commandOnOneLine(command)}`);
      if (command.kind === 'confirm') listForDryRun(command, secrets, say, write);
    }
  });
  return { status: 'dry' };
}
