import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Plan, PlanUnit } from '../../planner/plan.js';
import { commandLine } from '../bash/quote.js';
import { type Confirmation, listForDryRun } from './confirm.js';
import { causeOf } from './primitives.js';
import { missingSecrets, type RunContext } from './run-exec.js';
import type { UnitOutcome, UnitStatus } from './run-unit.js';
import { runScheduled } from './schedule.js';

export type { UnitStatus } from './run-unit.js';

export interface UnitResult {
  readonly id: string;
  readonly status: UnitStatus;
  readonly message?: string;
  readonly seconds: number;
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

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** Runs a plan in-process: the same units, locks, guards and state records as the script. */
export async function executePlan(plan: Plan, options: ExecuteOptions): Promise<ExecutionReport> {
  const missing = missingSecrets(plan.secrets, options.secrets ?? new Map());
  if (missing.length > 0) {
    options.say(`secret variables not set: ${missing.join(' ')}`);
    return { results: [], exitCode: 2 };
  }
  const started = options.clock();
  // The script runs under `umask 077`: backups are private to their owner.
  const umask = process.umask(0o077);
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
  for (const signal of SIGNALS) process.on(signal, onSignal);
  let workDir: string | Error | undefined;
  try {
    // A run where nothing is due has no unit to give a work directory.
    if (!options.dry && plan.units.length > 0) workDir = makeWorkDir();
    const ctx =
      typeof workDir === 'string'
        ? {
            workDir,
            secrets: options.secrets ?? new Map(),
            processes,
            relayOutput: options.relayOutput === true,
          }
        : workDir;
    const results = await executeUnits(plan, options, ctx, () => interrupted, started);
    return {
      results,
      exitCode:
        interrupted !== undefined
          ? 128 + constants.signals[interrupted]
          : exitCodeOf(
              results,
              plan.skipped.some((s) => s.failed),
            ),
    };
  } finally {
    if (typeof workDir === 'string') rmSync(workDir, { recursive: true, force: true });
    for (const signal of SIGNALS) process.off(signal, onSignal);
    process.umask(umask);
  }
}

function makeWorkDir(): string | Error {
  try {
    return mkdtempSync(join(tmpdir(), 'polyarchiv.'));
  } catch (error) {
    return new Error(`cannot create a private work directory in ${tmpdir()}: ${causeOf(error)}`);
  }
}

async function executeUnits(
  plan: Plan,
  options: ExecuteOptions,
  ctx: Omit<RunContext, 'lockFd'> | Error | undefined,
  interrupted: () => NodeJS.Signals | undefined,
  runStarted: Date,
): Promise<UnitResult[]> {
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
        options.say(`${unit.id}: not run, interrupted by ${signal}`);
        return { id: unit.id, status: 'skipped', seconds: 0 };
      }
      const missing = unit.requires.find((id) => finished(id)?.status !== 'ok' && !options.dry);
      if (missing === undefined) return undefined;
      options.say(`${unit.id}: skipped, ${missing} did not succeed`);
      return { id: unit.id, status: 'skipped', seconds: 0 };
    },
    async (unit) => {
      const output = jobs > 1 ? new KeptOutput(options.say) : undefined;
      const sayNow = output === undefined ? options.say : (line: string) => output.say(line);
      const say = options.quiet ? prefixedWith(unit.id, sayNow) : sayNow;
      const progress = options.quiet ? () => undefined : sayNow;
      progress(unit.id);
      const started = Date.now();
      const outcome: UnitOutcome =
        options.dry || ctx === undefined
          ? dryRun(unit, progress)
          : await isolated(unit, say, async () =>
              // The unit runner and its helpers load with the first unit that runs.
              (await import('./run-unit.js')).runUnit(
                unit,
                { ...options, say, interrupted, started: runStarted },
                ctx instanceof Error
                  ? ctx
                  : { ...ctx, ...(output === undefined ? {} : { output: output.tool }) },
              ),
            );
      output?.flush();
      return { id: unit.id, ...outcome, seconds: (Date.now() - started) / 1000 };
    },
  );
  if (!options.quiet) {
    options.say('summary:');
    for (const r of results) options.say(`  ${r.status.padEnd(8)} ${r.id} (${r.seconds.toFixed(1)} s)`);
  }
  return results;
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

/** One unit's lines and tool output, written together when the unit ends. */
class KeptOutput {
  private readonly parts: (() => void)[] = [];
  constructor(private readonly sayNow: (line: string) => void) {}
  say(line: string): void {
    this.parts.push(() => this.sayNow(line));
  }
  readonly tool = (stream: 'stdout' | 'stderr', chunk: Buffer): void => {
    this.parts.push(() => process[stream].write(chunk));
  };
  flush(): void {
    for (const part of this.parts.splice(0)) part();
  }
}

export function exitCodeOf(results: readonly UnitResult[], failedSkips: boolean): number {
  if (results.some((r) => r.status === 'busy')) return 75;
  if (failedSkips || results.some((r) => ['failed', 'stale', 'declined'].includes(r.status))) return 1;
  return 0;
}

function dryRun(unit: PlanUnit, say: (line: string) => void): { status: UnitStatus } {
  unit.steps.forEach((step, i) => {
    say(`  ${i + 1}/${unit.steps.length} ${step.action.summary}`);
    for (const command of step.commands) {
      say(`    ${commandLine(command)}`);
      if (command.kind === 'confirm') listForDryRun(command, say);
    }
  });
  return { status: 'dry' };
}
