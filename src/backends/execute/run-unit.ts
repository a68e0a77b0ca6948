import { formatOrigin } from '../../diag/origin.js';
import { assertNever } from '../../graph/action.js';
import { type Command, type ExecCommand, explanationOf } from '../../graph/command.js';
import { unitGpgHomes } from '../../graph/gpg-agents.js';
import { unitScratch } from '../../graph/scratch.js';
import type { PlanUnit } from '../../planner/plan.js';
import { commandOnOneLine } from '../bash/quote.js';
import { HELPER_MESSAGES, withoutSig } from '../helper-messages.js';
import { afterFailure } from './after-failure.js';
import { applyModes } from './apply-modes.js';
import { checkCopy } from './check-copy.js';
import { type Confirmation, confirmStep } from './confirm.js';
import { dirReload } from './dir-reload.js';
import { alignMailboxes } from './dovecot-align.js';
import { execIfChanged } from './exec-if-changed.js';
import { gitResetAt } from './git-reset-at.js';
import { gitlabProject } from './gitlab-project.js';
import { dropGpgHomes, makeGpgHomes } from './gpg-homes.js';
import { guardedCopy } from './guarded-copy.js';
import { makeDir } from './make-dir.js';
import { mapTree } from './map-tree.js';
import { type MeasuredPart, measuredSize } from './measured-size.js';
import { newestFile } from './newest-file.js';
import {
  causeOf,
  checkDump,
  createFile,
  dirRecover,
  dirSwap,
  isStale,
  publishFile,
  type RecordOptions,
  recordState,
  releaseLock,
  takeLock,
} from './primitives.js';
import { keepStdoutUntilFailure } from './quiet-stdout.js';
import { resticInit } from './restic-init.js';
import { resticRestoreAt } from './restic-restore-at.js';
import {
  type RunContext,
  runExec,
  runKeepingErrors,
  tolerated,
  writeAsTool,
  writePrivateFile,
} from './run-exec.js';
import { removeScratch } from './scratch.js';
import { svnStage } from './svn-stage.js';
import { svnUpdateAt } from './svn-update-at.js';
import { builtinTest } from './test-builtin.js';

export type UnitStatus = 'ok' | 'failed' | 'busy' | 'stale' | 'skipped' | 'declined' | 'dry';

export interface UnitOutcome {
  readonly status: UnitStatus;
  readonly message?: string;
}

/** What one unit needs besides its context: the run's options, as far as a unit uses them. */
export interface UnitOptions {
  readonly showCommands: boolean;
  readonly quiet: boolean;
  readonly confirm?: (line: string) => Promise<boolean>;
  /** How a restore's confirm step is answered; without it, the step declines. */
  readonly confirmation?: Confirmation;
  readonly say: (line: string) => void;
  readonly clock: () => Date;
  /** When the run started: the script's `polyarchiv_started`, the date of its successes. */
  readonly started: Date;
  /** The signal that interrupted the run, once one did. */
  readonly interrupted: () => NodeJS.Signals | undefined;
}

/**
 * Twin of polyarchiv_run_unit: lock, stale guard, steps, state record. A fault outside the steps
 * (a read-only lock, an unreadable state file, a full disk) fails this unit only: one line naming
 * the unit and the cause, and the failure recorded when the state file can be written.
 */
export async function runUnit(
  unit: PlanUnit,
  options: UnitOptions,
  ctx: Omit<RunContext, 'lockFd'> | Error,
): Promise<UnitOutcome> {
  // Measured on the real clock even when --now pins the run's time, as the script measures it.
  const began = wholeSeconds();
  const times = (): RecordTimes => ({
    started: options.started,
    now: options.clock(),
    duration: wholeSeconds() - began,
  });
  const fault = (message: string): UnitOutcome => {
    options.say(`  ${unit.id}: ${message}`);
    if (unit.record !== undefined) {
      try {
        recordState(unit.record.file, unit.record.onFailure, message, times(), keptAside(unit));
      } catch (error) {
        options.say(`  ${unit.id}: ${(error as Error).message}`);
      }
    }
    return { status: 'failed', message };
  };
  if (ctx instanceof Error) return fault(ctx.message);
  let lock: number | 'busy';
  try {
    lock = await takeLock(unit.lockFile);
  } catch (error) {
    return fault((error as Error).message);
  }
  if (lock === 'busy') {
    const message = HELPER_MESSAGES.lockBusy(unit.lockFile);
    options.say(`  ${message}`);
    return { status: 'busy', message };
  }
  try {
    for (const guard of unit.guards) {
      let stale: boolean;
      try {
        stale = isStale(guard.file, guard.sha256);
      } catch (error) {
        return fault((error as Error).message);
      }
      if (stale) {
        const message = HELPER_MESSAGES.stalePlan(guard.file);
        options.say(`  ${message}`);
        return { status: 'stale', message };
      }
    }
    const copyFigures: string[] = [];
    const measuredParts: MeasuredPart[] = [];
    // The hooks that tell of an interrupted run still run: only the steps' tools stop for good.
    const quiet = options.quiet ? keepStdoutUntilFailure(ctx, unit.id) : undefined;
    const steps = {
      ...(quiet?.ctx ?? ctx),
      lockFd: lock,
      copyFigures,
      measuredParts,
      interrupted: options.interrupted,
    };
    let failure: Awaited<ReturnType<typeof runSteps>>;
    const gpgHomes = await makeGpgHomes(unitGpgHomes(unit.steps), steps);
    try {
      failure = await runSteps(unit, options, steps);
    } finally {
      await dropGpgHomes(gpgHomes, steps);
      removeScratch(unitScratch(unit.steps), steps);
    }
    if (failure !== undefined) quiet?.show();
    quiet?.discard();
    if (failure === 'declined') return { status: 'declined', message: 'a command was declined' };
    if (unit.record !== undefined) {
      const template = failure === undefined ? unit.record.onSuccess : unit.record.onFailure;
      const measure = failure === undefined ? unit.record.measure : undefined;
      const recordTimes = times();
      const size = measure === undefined ? undefined : await measuredSize(measure, measuredParts);
      try {
        recordState(unit.record.file, template, failure ?? 'ok', recordTimes, {
          ...keptAside(unit),
          ...(size === undefined ? {} : { size }),
          copies: copyFigures,
        });
      } catch (error) {
        options.say(`  ${unit.id}: ${(error as Error).message}`);
        return { status: 'failed', message: (error as Error).message };
      }
    }
    return failure === undefined ? { status: 'ok' } : { status: 'failed', message: failure };
  } finally {
    try {
      releaseLock(lock, unit.lockFile);
    } catch (error) {
      options.say(`  ${unit.id}: cannot remove the lock file ${unit.lockFile}: ${causeOf(error)}`);
    }
  }
}

type RecordTimes = Parameters<typeof recordState>[3];

/** The script's `printf '%(%s)T' -1`: the seconds of the Unix time. */
function wholeSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** A corrupt state file the plan saw is kept aside, never overwritten. */
function keptAside(unit: PlanUnit): RecordOptions {
  return unit.record?.keepAside === true ? { keepAside: true } : {};
}

/** Undefined on success, else the message both backends record. */
async function runSteps(
  unit: PlanUnit,
  options: UnitOptions,
  ctx: RunContext,
): Promise<string | undefined | 'declined'> {
  const total = unit.steps.length;
  if (unit.tellsWhy === true && !options.quiet) options.say(`  ${unit.why}`);
  for (const [index, step] of unit.steps.entries()) {
    const name = `step ${index + 1} of ${total} at ${formatOrigin(step.action.origin)}`;
    let refusedBecause: string | undefined;
    const stepCtx: RunContext = {
      ...ctx,
      explain: (why) => {
        refusedBecause = why.trimStart();
      },
    };
    if (!options.quiet) options.say(`  ${index + 1}/${total} ${step.action.summary}`);
    for (const command of step.commands) {
      const shown = options.showCommands || options.confirm !== undefined ? commandOnOneLine(command) : '';
      if (options.showCommands) options.say(`    ${shown}`);
      if (options.confirm !== undefined && !(await options.confirm(shown))) return 'declined';
      const code = options.interrupted() === undefined ? await runCommand(command, options, stepCtx) : 1;
      const signal = options.interrupted();
      if (signal !== undefined) {
        const message = `${HELPER_MESSAGES.interruptedBy(withoutSig(signal))}: ${name}`;
        options.say(`  ${message}`);
        return message;
      }
      if (code !== 0) {
        options.say(`  ${HELPER_MESSAGES.stepFailed(String(code), name)}`);
        // Its explanation was said above; the state records it too, for `check` and `status`.
        const why = refusedBecause ?? (command.kind === 'exec' ? explanationOf(command, code) : undefined);
        return why === undefined
          ? HELPER_MESSAGES.stepFailed(String(code), name)
          : HELPER_MESSAGES.stepFailedBecause(String(code), name, why);
      }
    }
  }
  return undefined;
}

/**
 * Twin of polyarchiv_explain_errors: the tool's error output kept until it ends, then shown unless
 * its status is one the command says in words.
 */
async function runErrorsUntilEnd(
  command: ExecCommand,
  ctx: RunContext,
): Promise<{ status: number; printed: string }> {
  const { status, errors } = await runKeepingErrors(command, ctx);
  // Only a status said in words of its own replaces the tool's lines; the others follow them.
  if (status === 0 || !command.explains?.some((e) => e.printed === undefined && e.status === status)) {
    writeAsTool(ctx, 'stderr', errors);
    return { status, printed: errors.toString() };
  }
  return { status, printed: '' };
}

const DECLINE: Confirmation = { yes: false, ask: async () => false };

export async function runCommand(command: Command, options: UnitOptions, ctx: RunContext): Promise<number> {
  if (command.kind === 'exec') {
    const builtin = builtinTest(command);
    const { status, printed } =
      builtin !== undefined || command.errorsUntilEnd === undefined
        ? { status: builtin ?? (await runExec(command, ctx)), printed: '' }
        : await runErrorsUntilEnd(command, ctx);
    const explained = explanationOf(command, status, printed);
    if (explained !== undefined) options.say(`  ${explained}`);
    // The step's failure records it: its status alone would give another explanation, or none.
    if (explained !== explanationOf(command, status)) ctx.explain?.(explained ?? '');
    return afterFailure(tolerated(status, command.alsoSucceedsOn), command.cleanupOnFailure, ctx);
  }
  // What a step found that is no problem: not under -q, which prints only problems.
  const note = options.quiet ? () => undefined : options.say;
  try {
    switch (command.kind) {
      case 'dir-reload':
        return await dirReload(command, ctx, options.say);
      case 'confirm':
        return await confirmStep(command, options.confirmation ?? DECLINE, options.say, ctx, options.quiet);
      case 'make-dir':
        makeDir(command.path);
        return 0;
      case 'create-file':
        createFile(command.path);
        return 0;
      case 'dir-recover':
        dirRecover(command);
        return 0;
      case 'dir-swap':
        dirSwap(command);
        return 0;
      case 'private-file':
        writePrivateFile(command, ctx);
        return 0;
      case 'check-dump':
        return checkDump(command, options.say, ctx.explain) ? 0 : 1;
      case 'check-copy':
        return checkCopy(command, ctx, options.say);
      case 'align-mailboxes':
        return alignMailboxes(command, ctx, options.say);
      case 'exec-if-changed':
        return execIfChanged(command, ctx, note, options.say);
      case 'restic-init':
        return resticInit(command, ctx, note, options.say);
      case 'restic-restore-at':
        return await resticRestoreAt(command, ctx, options.say, note);
      case 'git-reset-at':
        return await gitResetAt(command, ctx, options.say, note);
      case 'newest-file':
        return await newestFile(command, ctx, options.say, note);
      case 'gitlab-project':
        return await gitlabProject(command, ctx, options.say, note);
      case 'svn-stage':
        return await svnStage(command, ctx);
      case 'svn-update-at':
        return await svnUpdateAt(command, ctx, options.say, note);
      case 'map-tree':
        return await mapTree(command, ctx, options.say);
      case 'apply-modes':
        return applyModes(command, ctx);
      case 'copy':
        return await guardedCopy(command, ctx, options.say);
      case 'publish-file':
        publishFile(command.partial, command.file);
        return 0;
      default:
        return assertNever(command);
    }
  } catch (error) {
    options.say(`  ${(error as Error).message}`);
    return 1;
  }
}
