import { formatOrigin, type Origin } from '../diag/origin.js';
import type { HookEvent } from '../engines/engine.js';
import type { Action } from '../graph/action.js';
import type { Command } from '../graph/command.js';

/**
 * Bumped whenever a saved plan's shape changes; `apply FILE` refuses other formats, and plans made
 * by another polyarchiv version. 2: a step's clean-up after a failure and the scratch paths a step
 * removes whatever its outcome. 3: a guarded copy carries neither its first copy (derived from
 * the copy where it runs) nor the program that sums its incoming listing (`incomingListing`).
 * 4: a guarded copy in place makes its target's holding directory itself once judged (`makeDir`),
 * where a step before it made it.
 * 5: a copy's check carries the environment of its measures (a mirror's server, judged before
 * the files changed since its last upload are sent, by a check rather than by its copy).
 */
export const PLAN_FORMAT_VERSION = 5;

/**
 * A plan is plain data: what runs, in which order, what is skipped and why. It is rendered as a
 * script, described as text or JSON, or executed, and never re-derived from the config on the way.
 */
export interface Plan {
  readonly formatVersion: typeof PLAN_FORMAT_VERSION;
  readonly polyarchivVersion: string;
  readonly mode: 'backup' | 'restore';
  readonly configDir: string;
  readonly inputs: readonly PlanInput[];
  readonly configHash: string;
  /** The pinned run time (ISO-8601 with offset) that variables and frequencies used. */
  readonly now: string;
  readonly hostVariables: Readonly<Record<string, string>>;
  /**
   * The `--set` variables the plan was made with; in a saved plan, without those named by
   * `withheld`.
   */
  readonly pinned: Readonly<Record<string, string>>;
  /**
   * The `--set` variables that secrets are made of (`password = {dbpw}`): their values are secrets,
   * which a saved plan never holds; the secrets made of them are read from the environment.
   */
  readonly withheld?: readonly string[];
  readonly selection: Selection;
  /** The command line that regenerates this plan. */
  readonly regenerate: string;
  readonly units: readonly PlanUnit[];
  readonly skipped: readonly SkippedPoint[];
  readonly tools: readonly string[];
  /** Names of the secret variables the plan's commands reference (never their values). */
  readonly secrets: readonly string[];
  /** Configuration warnings, one line each, so that a reviewer sees them in the script too. */
  readonly warnings: readonly string[];
  /** Hooks of the `.global` files, around the whole run. */
  readonly hooks?: PlanHooks;
}

/** What a plan says before its units: all known once the configuration is resolved. */
export type PlanHead = Omit<Plan, 'units' | 'skipped' | 'tools' | 'secrets' | 'warnings' | 'hooks'>;

/** What a plan says after its units: known once every unit is planned. */
export type PlanTail = Pick<Plan, 'skipped' | 'tools' | 'secrets' | 'warnings' | 'hooks'>;

/**
 * A plan in the order it is made: its head, its units one at a time as they are read (a plan of
 * thousands of units need not be held whole to be written), then its tail, which the units'
 * generator returns.
 */
export interface PlanParts {
  readonly head: PlanHead;
  readonly units: Generator<PlanUnit, PlanTail, undefined>;
}

/** The head as a saved plan writes it: the values of the withheld variables left out. */
export function savedHead(head: PlanHead): PlanHead {
  const withheld = head.withheld ?? [];
  if (withheld.length === 0) return head;
  const pinned = Object.fromEntries(Object.entries(head.pinned).filter(([name]) => !withheld.includes(name)));
  return { ...head, pinned };
}

/** The plan as `plan --format json` writes it (see `savedHead`). */
export function savedPlan(plan: Plan): Plan {
  return { ...plan, pinned: savedHead(plan).pinned };
}

/** The plan whole, its keys in the order a saved plan has always had them. */
export function assemblePlan(head: PlanHead, units: readonly PlanUnit[], tail: PlanTail): Plan {
  return {
    formatVersion: head.formatVersion,
    polyarchivVersion: head.polyarchivVersion,
    mode: head.mode,
    configDir: head.configDir,
    inputs: head.inputs,
    configHash: head.configHash,
    now: head.now,
    hostVariables: head.hostVariables,
    selection: head.selection,
    regenerate: head.regenerate,
    units,
    skipped: tail.skipped,
    tools: tail.tools,
    secrets: tail.secrets,
    pinned: head.pinned,
    ...(head.withheld === undefined ? {} : { withheld: head.withheld }),
    ...(tail.hooks === undefined ? {} : { hooks: tail.hooks }),
    warnings: tail.warnings,
  };
}

/** Every unit of the parts, then the whole plan. */
export function collectPlan(parts: PlanParts): Plan {
  const units: PlanUnit[] = [];
  let next = parts.units.next();
  for (; next.done !== true; next = parts.units.next()) units.push(next.value);
  return assemblePlan(parts.head, units, next.value);
}

/** Each unit of the parts as `describe` makes it, handed out as it is planned; returns the tail. */
export function* describeUnits<T>(
  parts: PlanParts,
  describe: (unit: PlanUnit) => T,
): Generator<T, PlanTail, undefined> {
  let next = parts.units.next();
  for (; next.done !== true; next = parts.units.next()) yield describe(next.value);
  return next.value;
}

/** The parts of a plan already whole (what describes a plan one unit at a time takes either). */
export function partsOf(plan: Plan): PlanParts {
  return {
    head: plan,
    units: (function* () {
      yield* plan.units;
      return plan;
    })(),
  };
}

/**
 * Hooks around a unit or the whole run, called one after the other for each event they list. A
 * hook that fails is reported and makes the run's exit code 1; it changes no unit's outcome.
 */
export interface PlanHooks {
  /** The run writes the runtime variables to `<prefix>.<variable>` in its work directory before each call. */
  readonly prefix: string;
  readonly hooks: readonly PlanHook[];
}

export interface PlanHook {
  readonly name: string;
  readonly engine: string;
  readonly origin: Origin;
  readonly events: readonly HookEvent[];
  readonly steps: readonly PlanStep[];
}

export interface PlanInput {
  readonly file: string;
  readonly sha256: string;
}

export interface Selection {
  readonly onlyCollectPoints: readonly string[];
  readonly onlyBackupPoints: readonly string[];
  readonly skipCollect: boolean;
  readonly skipBackup: boolean;
  readonly force: boolean;
  readonly from?: string;
  /** Copies that would become empty or shrink past max_shrink_percent proceed (--allow-shrink). */
  readonly allowShrink?: boolean;
  /** Retention may delete more than half of a series of archives in one run (--allow-mass-delete). */
  readonly allowMassDelete?: boolean;
  /** Restore the newest copy made at or before this time (--at, ISO-8601 with offset). */
  readonly at?: string;
  /**
   * A review render (plan --review): every selected point due, no state file read, time and host
   * pinned by flags, so the same configuration gives the same bytes on every machine; the script
   * refuses to run.
   */
  readonly review?: true;
}

/** `metadata`: a pair's state file mirrored to its metadata_url, after the pair's unit. */
export type UnitKind = 'collect' | 'backup' | 'metadata' | 'fetch' | 'restore';

/** One point's run: locked, guarded against a stale plan, recorded, isolated from the others. */
export interface PlanUnit {
  readonly id: string;
  readonly kind: UnitKind;
  readonly title: string;
  readonly collectPoint: string;
  readonly backupPoint?: string;
  readonly origin: Origin;
  readonly lockFile: string;
  /** State files that must still be as they were when the plan was made. */
  readonly guards: readonly StateGuard[];
  readonly record?: StateRecord;
  /** Units of this run that must not have failed (a backup needs its collect). */
  readonly requires: readonly string[];
  /** Why it runs: due by its frequency, forced, chosen for a restore. */
  readonly why: string;
  /**
   * Its why is said as its steps begin, by both backends: which copy a restore takes and why is
   * what its reader needs before anything is replaced.
   */
  readonly tellsWhy?: true;
  /** Why each dated archive is kept or deleted (backup points that keep a history). */
  readonly notes?: readonly string[];
  readonly steps: readonly PlanStep[];
  /** The hooks of its collect point (collect, restore) or backup point (backup, fetch). */
  readonly hooks?: PlanHooks;
}

export interface StateGuard {
  readonly file: string;
  readonly sha256: string | null;
}

export interface StateRecord {
  readonly file: string;
  readonly onSuccess: string;
  readonly onFailure: string;
  /**
   * Measured on success for `total_size` (collect points: what they hold): `du -sb`, less the
   * trees the unit's copies counted (`CopyCommand.measuredPart`), plus their bytes.
   */
  readonly measure?: string;
  /** The file was corrupt when planned: the record keeps it as `FILE.corrupt-TIMESTAMP`. */
  readonly keepAside?: true;
}

export interface PlanStep {
  readonly action: Action;
  readonly commands: readonly Command[];
}

export interface SkippedPoint {
  readonly title: string;
  /** Absent for a backup point associated with no collect point. */
  readonly collectPoint?: string;
  readonly backupPoint?: string;
  readonly origin: Origin;
  readonly reason: string;
  /** True when the skip is a failure (restore with nothing to restore from). */
  readonly failed?: boolean;
}

/** Whether some step of the plan runs a command of this kind. */
export function usesCommand(plan: Plan, kind: Command['kind']): boolean {
  return commandKinds(plan).has(kind);
}

/** What holds steps: a plan, or some of its units and hooks. */
type StepsOf = { readonly units: readonly PlanUnit[]; readonly hooks?: PlanHooks | undefined };

/** The kinds of command the plan runs, in one walk (the script asks for a dozen of them). */
export function commandKinds(plan: StepsOf): ReadonlySet<Command['kind']> {
  const kinds = new Set<Command['kind']>();
  forEachStep(plan, (step) => {
    for (const command of step.commands) kinds.add(command.kind);
  });
  return kinds;
}

/**
 * Every step of the plan: the units' and their hooks', then the run's hooks'. A walk rather than
 * an array: a plan of thousands of units has tens of thousands of steps.
 */
export function forEachStep(plan: StepsOf, visit: (step: PlanStep) => void): void {
  const hookSteps = (hooks: PlanHooks | undefined) => {
    for (const hook of hooks?.hooks ?? []) for (const step of hook.steps) visit(step);
  };
  for (const unit of plan.units) {
    for (const step of unit.steps) visit(step);
    hookSteps(unit.hooks);
  }
  hookSteps(plan.hooks);
}

/** How messages name a hook: its name and where it is configured. */
export function hookLabel(hook: PlanHook): string {
  return `hook "${hook.name}" at ${formatOrigin({ file: hook.origin.file, line: hook.origin.line })}`;
}

/** The events of a unit or a run: restores have their own. */
export function hookEvents(mode: Plan['mode']) {
  return mode === 'backup'
    ? ({
        before: 'before_backup',
        success: 'backup_success',
        error: 'backup_error',
        after: 'after_backup',
      } as const)
    : ({
        before: 'before_restore',
        success: 'restore_success',
        error: 'restore_error',
        after: 'after_restore',
      } as const);
}
