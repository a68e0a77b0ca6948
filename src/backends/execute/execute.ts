import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatOrigin } from '../../diag/origin.js';
import { assertNever } from '../../graph/action.js';
import type { Command } from '../../graph/command.js';
import type { Plan, PlanUnit } from '../../planner/plan.js';
import { commandLine } from '../bash/quote.js';
import { dirReload } from './dir-reload.js';
import {
  checkDump,
  dirRecover,
  dirSwap,
  isStale,
  makeDir,
  recordState,
  releaseLock,
  takeLock,
} from './primitives.js';
import { missingSecrets, type RunContext, runExec, writePrivateFile } from './run-exec.js';

export type UnitStatus = 'ok' | 'failed' | 'busy' | 'stale' | 'skipped' | 'declined' | 'dry';

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
  readonly clock: () => Date;
  /** Secret values by variable name, resolved from the configuration at run time. */
  readonly secrets?: ReadonlyMap<string, string>;
  /** Relay the tools' output through this process's streams (`--log-file`). */
  readonly relayOutput?: boolean;
}

export interface ExecutionReport {
  readonly results: readonly UnitResult[];
  readonly exitCode: number;
}

/** Runs a plan in-process: the same units, locks, guards and state records as the script. */
export async function executePlan(plan: Plan, options: ExecuteOptions): Promise<ExecutionReport> {
  const missing = missingSecrets(plan.secrets, options.secrets ?? new Map());
  if (missing.length > 0) {
    options.say(`secret variables not set: ${missing.join(' ')}`);
    return { results: [], exitCode: 2 };
  }
  // The script runs under `umask 077`: backups are private to their owner.
  const umask = process.umask(0o077);
  const workDir = mkdtempSync(join(tmpdir(), 'polyarchiv.'));
  try {
    return await executeUnits(plan, options, {
      workDir,
      secrets: options.secrets ?? new Map(),
      relayOutput: options.relayOutput === true,
    });
  } finally {
    rmSync(workDir, { recursive: true, force: true });
    process.umask(umask);
  }
}

async function executeUnits(plan: Plan, options: ExecuteOptions, ctx: RunContext): Promise<ExecutionReport> {
  const results: UnitResult[] = [];
  for (const unit of plan.units) {
    const missing = unit.requires.find(
      (id) => results.find((r) => r.id === id)?.status !== 'ok' && !options.dry,
    );
    if (missing !== undefined) {
      options.say(`${unit.id}: skipped, ${missing} did not succeed`);
      results.push({ id: unit.id, status: 'skipped', seconds: 0 });
      continue;
    }
    options.say(unit.id);
    const started = Date.now();
    const outcome = options.dry ? await dryRun(unit, options) : await runUnit(unit, options, ctx);
    results.push({ id: unit.id, ...outcome, seconds: (Date.now() - started) / 1000 });
  }
  options.say('summary:');
  for (const r of results) {
    options.say(`  ${r.status.padEnd(8)} ${r.id}${options.quiet ? '' : ` (${r.seconds.toFixed(1)} s)`}`);
  }
  return {
    results,
    exitCode: exitCodeOf(
      results,
      plan.skipped.some((s) => s.failed),
    ),
  };
}

export function exitCodeOf(results: readonly UnitResult[], failedSkips: boolean): number {
  if (results.some((r) => r.status === 'busy')) return 75;
  if (failedSkips || results.some((r) => ['failed', 'stale', 'declined'].includes(r.status))) return 1;
  return 0;
}

async function dryRun(unit: PlanUnit, options: ExecuteOptions): Promise<{ status: UnitStatus }> {
  unit.steps.forEach((step, i) => {
    options.say(`  ${i + 1}/${unit.steps.length} ${step.action.summary}`);
    for (const command of step.commands) options.say(`    ${commandLine(command)}`);
  });
  return { status: 'dry' };
}

async function runUnit(
  unit: PlanUnit,
  options: ExecuteOptions,
  ctx: RunContext,
): Promise<{ status: UnitStatus; message?: string }> {
  const lock = takeLock(unit.lockFile);
  if (lock === 'busy') {
    options.say(`  ${unit.lockFile} is locked by another run`);
    return { status: 'busy', message: `${unit.lockFile} is locked by another run` };
  }
  try {
    for (const guard of unit.guards) {
      if (isStale(guard.file, guard.sha256)) {
        const message = `stale plan: ${guard.file} changed since the plan was made; run polyarchiv plan again`;
        options.say(`  ${message}`);
        return { status: 'stale', message };
      }
    }
    const failure = await runSteps(unit, options, ctx);
    if (failure === 'declined') return { status: 'declined', message: 'a command was declined' };
    if (unit.record !== undefined) {
      const template = failure === undefined ? unit.record.onSuccess : unit.record.onFailure;
      recordState(
        unit.record.file,
        template,
        failure ?? 'ok',
        options.clock(),
        failure === undefined ? unit.record.measure : undefined,
      );
    }
    return failure === undefined ? { status: 'ok' } : { status: 'failed', message: failure };
  } finally {
    releaseLock(lock, unit.lockFile);
  }
}

/** Undefined on success, else the message both backends record. */
async function runSteps(
  unit: PlanUnit,
  options: ExecuteOptions,
  ctx: RunContext,
): Promise<string | undefined | 'declined'> {
  const total = unit.steps.length;
  for (const [index, step] of unit.steps.entries()) {
    const name = `step ${index + 1} of ${total}`;
    if (!options.quiet) options.say(`  ${index + 1}/${total} ${step.action.summary}`);
    for (const command of step.commands) {
      const line = commandLine(command);
      if (options.showCommands) options.say(`    ${line}`);
      if (options.confirm !== undefined && !(await options.confirm(line))) return 'declined';
      const code = await runCommand(command, options, ctx);
      if (code !== 0) {
        const message = `failed with exit code ${code}: ${name} at ${formatOrigin(step.action.origin)}`;
        options.say(`  ${message}`);
        return message;
      }
    }
  }
  return undefined;
}

async function runCommand(command: Command, options: ExecuteOptions, ctx: RunContext): Promise<number> {
  if (command.kind === 'exec') return runExec(command, ctx);
  try {
    switch (command.kind) {
      case 'dir-reload':
        return await dirReload(command, ctx, options.say);
      case 'make-dir':
        makeDir(command.path);
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
        return checkDump(command, options.say) ? 0 : 1;
      default:
        return assertNever(command);
    }
  } catch (error) {
    process.stderr.write(`polyarchiv: ${(error as Error).message}\n`);
    return 1;
  }
}
