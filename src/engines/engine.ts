import type { Diagnostics } from '../diag/diagnostic.js';
import type { Origin } from '../diag/origin.js';
import type { ActionDraft } from '../graph/action.js';
import type { CopyFigures } from '../graph/command.js';
import type { Frequency } from '../options/frequency.js';
import type { OptionSpec, OptionValues } from '../options/schema.js';
import type { Variables } from '../options/variables.js';
import type { Target } from './backup/target.js';

/**
 * Every engine is a module exporting one of these, registered in `registry.ts`. Lowering is pure:
 * engines describe actions, they never touch the filesystem or the network.
 */
export type Role = 'source' | 'collect' | 'backup' | 'filter' | 'hook';

export interface EngineInfo {
  readonly name: string;
  /** Other spellings accepted in `engine=` (case-insensitive), e.g. the original's `postgressql`. */
  readonly aliases?: readonly string[];
  readonly summary: string;
  readonly options: readonly OptionSpec[];
  /** Checks that need several options together; single-option checks come from the schema. */
  readonly check?: (options: OptionValues, diagnostics: Diagnostics) => void;
}

export interface SourceEngine extends EngineInfo {
  readonly role: 'source';
  readonly backup: (source: BoundSource, cp: BoundCollectPoint) => ActionDraft[];
  readonly restore: (source: BoundSource, cp: BoundCollectPoint) => ActionDraft[];
  /** Checks that need the collect point's directories (the source's own options are checked by `check`). */
  readonly checkPlacement?: (source: BoundSource, layout: CollectLayout, diagnostics: Diagnostics) => void;
  /** Directories a failed run may leave beside its copy (staging copies): never mirrored. */
  readonly leftovers?: (source: BoundSource, cp: BoundCollectPoint) => readonly string[];
  /** The local directory it copies, for the overlap checks; undefined for remote or non-file origins. */
  readonly location?: (options: OptionValues) => string | undefined;
  /** Why this source cannot be restored as configured (checked when a restore is planned). */
  readonly restoreProblem?: (source: BoundSource) => { message: string; hint: string } | undefined;
}

export interface CollectEngine extends EngineInfo {
  readonly role: 'collect';
  /** The directory backup points read. */
  readonly exportDir: (layout: CollectLayout) => string;
  readonly beforeSources: (cp: BoundCollectPoint) => ActionDraft[];
  readonly afterSources: (cp: BoundCollectPoint) => ActionDraft[];
  /**
   * `at`: the restore's --at, which an engine that keeps its history (`historyAt`) honours;
   * `fetchedAt`: whether the copy a backup point gave back first is that time's already (rather
   * than none, or its newest, whose history then holds the older one).
   */
  readonly restoreBeforeSources: (cp: BoundCollectPoint, at?: Date, fetchedAt?: boolean) => ActionDraft[];
  /**
   * Its restore takes the files as they were at --at from a history it keeps rather than from its
   * last copy: in a repository elsewhere (`remote`: subversion), or in the collect directory
   * (`local`: git's, gone with a rebuilt machine, where a backup point brings it back).
   */
  readonly historyAt?: 'local' | 'remote';
  /**
   * Where a `local` history lives (git's `.git`): a restore --at without --from reads it only when
   * it is there, probed when the restore is planned; otherwise a backup point brings it back.
   */
  readonly historyDir?: (cp: BoundCollectPoint) => string;
  /** Paths of the import directory that the engine keeps for itself: no source may write there. */
  readonly reservedPaths?: readonly string[];
}

export interface BackupEngine extends EngineInfo {
  readonly role: 'backup';
  readonly backup: (bp: BoundBackupPoint, cp: BoundCollectPoint, context: BackupContext) => BackupDrafts;
  /** Checks that need the collect point the backup point is bound to. */
  readonly checkPair?: (bp: BoundBackupPoint, cp: BoundCollectPoint, diagnostics: Diagnostics) => void;
  /** Fetches the backup point's copy into the collect point's export directory. */
  readonly restore: (bp: BoundBackupPoint, cp: BoundCollectPoint, context: RestoreContext) => ActionDraft[];
  /**
   * The times of the copies a restore can choose from, read from what the point recorded (`data`
   * of its state); absent: one copy, of the last success.
   */
  readonly copies?: (recorded: unknown, bp: BoundBackupPoint) => readonly Date[];
  /**
   * Its restore finds the copy when it runs (restic lists its snapshots): chosen with --from, it
   * restores with --at even when none of the copies it recorded is that old (a state file lost
   * with the machine); the run fails, changing nothing, when the repository holds none either.
   */
  readonly copyFoundAtRun?: boolean;
  /**
   * What it finds on the target of a copy named by the time of its backup (`remote_url` with
   * `{Y}`...), when no state here recorded that time, or none as old as --at (see dated-search.ts),
   * which --at may then name as copyFoundAtRun allows: archives (files) or mirrors (directories).
   * Without this, or when the name cannot order the copies, such a restore reads the name this
   * run's time gives, and the plan warns.
   */
  readonly findsDatedCopy?: 'files' | 'directories';
  /** The local directory it replaces, for the overlap checks; undefined for remote targets. */
  readonly location?: (options: OptionValues) => string | undefined;
  /**
   * What a pair's last success left on this host (a mirror's directory, an archive, a repository),
   * read from what its state recorded: a copy gone since is most often a disk that is not
   * mounted, checked before the pair writes again (planner/held-copy-check.ts). Undefined when it
   * holds nothing here, or names a new place on each run.
   */
  readonly heldCopy?: (bp: BoundBackupPoint, last: LastRecord) => HeldCopy | undefined;
  /** Why `[filter]` sections cannot apply to what it ships; absent: they apply. */
  readonly filtersRefused?: string;
  /**
   * What a pair writes within its location (git: a branch, restic: the snapshots tagged with its
   * collect point): pairs that differ there may share it.
   */
  readonly locationPart?: (options: OptionValues, collectPoint: string) => string;
}

/** What a pair's state recorded of its last success. */
export interface LastRecord {
  /** `data`: what its runs recorded (dated archives, snapshots). */
  readonly recorded: unknown;
  /** The figures of its copies, by target (copyFiguresKey). */
  readonly copies: Readonly<Record<string, CopyFigures>> | undefined;
}

/** A copy that a pair's last success left on this host, and that must still be there. */
export interface HeldCopy {
  readonly path: string;
  readonly kind: 'directory' | 'file';
  /** What it holds, as the plan says it: `41 files`, `the archive`. */
  readonly what: string;
  /** What it held, as said when it is gone, before "at its last success": `held 41 files`. */
  readonly held: string;
}

/** What a backup point's last record tells its next run, and how the run was asked to treat it. */
export interface BackupContext {
  /** `data` of the point's state: what its earlier runs recorded (dated archives). */
  readonly recorded: unknown;
  /** Deleting more than half of a series in one run was allowed (--allow-mass-delete). */
  readonly allowMassDelete: boolean;
}

/** What a restore was asked for: the newest copy, or the newest not after a time (--at). */
export interface RestoreContext {
  readonly recorded: unknown;
  readonly at?: Date;
  /**
   * Whether a state here recorded the variables of the point's last success, with which its
   * options were filled; otherwise they hold this run's time (a rebuilt machine).
   */
  readonly variablesRecorded?: boolean;
}

/**
 * A backup point's actions, and for one that keeps a history, what its success records in `data`,
 * why (one line per copy kept or deleted, shown in every plan format) and what it held back.
 */
export type BackupDrafts =
  | readonly ActionDraft[]
  | {
      readonly drafts: readonly ActionDraft[];
      readonly recorded: unknown;
      readonly notes: readonly string[];
      readonly warnings: readonly EngineWarning[];
    };

/** A warning of an engine's plan: at the backup point's section, or at the line it names. */
export type EngineWarning = string | { readonly message: string; readonly origin: Origin };

/**
 * A filter transforms a collect point's tree on its way out (after the collect point's own step,
 * or before a backup point ships it) and back on a restore, in reverse order.
 */
export interface FilterEngine extends EngineInfo {
  readonly role: 'filter';
  /** Works on its input tree itself (when allowed) rather than into a directory of its own. */
  readonly inPlace: boolean;
  /** The files it writes at the root of the tree it leaves (its indexes), which no other filter of the chain may write. */
  readonly rootFiles?: (options: OptionValues) => readonly string[];
  readonly backup: (filter: BoundFilter, step: FilterStep) => ActionDraft[];
  /** Gives `step.input` back from `step.output`, or fails before it changes anything there. */
  readonly restore: (filter: BoundFilter, step: FilterStep) => ActionDraft[];
}

/** Where one filter of a chain reads and writes. */
export interface FilterStep {
  /** The tree it reads: the collect point's, or the output of the filter before it. */
  readonly input: string;
  /** The tree it leaves: `input` itself for a filter working in place, else its own directory. */
  readonly output: string;
  /** Its own directory beside the output, for what must not be shipped (staging, lists). */
  readonly scratch: string;
  /** Paths below `input` that are never read (what failed runs of sources left). */
  readonly excludes: readonly string[];
  /**
   * On a restore, the files that later filters of the chain keep at the root of `output` (their
   * indexes), which are not part of this filter's tree.
   */
  readonly indexes?: readonly string[];
  /** Who it works for, in messages: `filter "x" of collect point "y"`. */
  readonly what: string;
  /** The secret variables of its secret options, by option name. */
  readonly secrets: Readonly<Record<string, string>>;
}

export interface BoundFilter {
  readonly name: string;
  readonly origin: Origin;
  readonly engine: FilterEngine;
  readonly options: OptionValues;
}

export type Engine = SourceEngine | CollectEngine | BackupEngine | FilterEngine | HookEngine;

/**
 * A hook: what runs around a unit or the whole run, for the events it lists. Its text options are
 * filled with its owner's variables at plan time; the run's own (`status`...) stay `runtime`
 * parts, which each backend fills from the files it writes before each call.
 */
export interface HookEngine extends EngineInfo {
  readonly role: 'hook';
  /** Options whose `{variables}` may name the run's variables (status, detailed_status...). */
  readonly runtimeTemplates: readonly string[];
  /** Options formatted with the owner's variables only (paths, argv). */
  readonly ownerTemplates: readonly string[];
  readonly actions: (hook: BoundHook, files: HookFiles) => ActionDraft[];
}

/** Names of files in the run's private work directory, for one hook of one owner. */
export interface HookFiles {
  /** Where the run writes a runtime variable before each call. */
  readonly runtime: (variable: RuntimeVariable) => string;
  /** A file of the hook's own (a tool's configuration, a message). */
  readonly own: (suffix: string) => string;
}

/** Text with the run's variables left as parts to fill at run time. */
export type RuntimeText = readonly (string | { readonly runtime: RuntimeVariable })[];

/** The variables a hook receives when it runs, each a file of the run's private work directory. */
export const RUNTIME_VARIABLES = ['event', 'status', 'detailed_status', 'complete_log', 'date'] as const;
export type RuntimeVariable = (typeof RUNTIME_VARIABLES)[number];

export const HOOK_EVENTS = [
  'before_backup',
  'backup_success',
  'backup_error',
  'after_backup',
  'before_restore',
  'restore_success',
  'restore_error',
  'after_restore',
] as const;
export type HookEvent = (typeof HOOK_EVENTS)[number];

/** A hook bound to its owner (a collect point, a backup point for one collect point, or the run). */
export interface BoundHook {
  readonly name: string;
  readonly origin: Origin;
  readonly engine: HookEngine;
  readonly options: OptionValues;
  readonly events: readonly HookEvent[];
  /** Seconds before the hook's tool is stopped. */
  readonly timeout: number;
  /** `runtimeTemplates` options as text to fill at run time; `ownerTemplates` are in `options`. */
  readonly texts: Readonly<Record<string, RuntimeText>>;
  /** Secret options by name: the variable that carries each (never its value). */
  readonly secrets: Readonly<Record<string, string>>;
}

/** The on-disk layout shared by every collect point. */
export interface CollectLayout {
  readonly root: string;
  /** `L/backups`: where sources write. */
  readonly importDir: string;
  /** `L/metadata/collect_point` */
  readonly metadataDir: string;
  readonly stateFile: string;
  readonly lockFile: string;
  /** Scratch space on the collect point's filesystem, for staged replacements. */
  readonly workDir: string;
}

export interface Tags {
  readonly own: readonly string[];
  readonly included: readonly string[];
  readonly excluded: readonly string[];
}

export interface BoundSource {
  readonly name: string;
  readonly origin: Origin;
  readonly engine: SourceEngine;
  readonly options: OptionValues;
  /**
   * Its collect point's directory as seen from the directory this source copies (`/.backups`),
   * when that directory holds it on this machine (symbolic links followed): the copy leaves it out.
   */
  readonly collectPointWithin?: string;
}

export interface BoundCollectPoint {
  readonly name: string;
  readonly file: string;
  readonly origin: Origin;
  readonly engine: CollectEngine;
  readonly options: OptionValues;
  readonly variables: Variables;
  readonly layout: CollectLayout;
  readonly exportDir: string;
  readonly sources: readonly BoundSource[];
  /** Run in order after the collect point's own step; `exportDir` is the last one's output. */
  readonly filters: readonly BoundFilter[];
  readonly tags: Tags;
  readonly frequency: Frequency;
  readonly frequencyOrigin: Origin;
  /** The hooks of its file, around its unit. */
  readonly hooks?: readonly BoundHook[];
  /** Where each variable of its `[variables]` or of `--set` is given. */
  readonly variableSources?: VariableSources;
}

/**
 * Where each variable a user gives is set, the strongest kept: the line of a `[variables]`
 * section, or `--set`. Built-in variables, and those a restore takes from the recorded run, have
 * none.
 */
export type VariableSources = ReadonlyMap<string, Origin | '--set'>;

/** A backup point with its options rendered for one collect point. */
export interface BoundBackupPoint {
  readonly name: string;
  readonly collectPoint: string;
  readonly file: string;
  readonly origin: Origin;
  readonly engine: BackupEngine;
  readonly options: OptionValues;
  readonly variables: Variables;
  /** Where each variable of `[variables]` sections or of `--set` that the pair has is given. */
  readonly variableSources?: VariableSources;
  /** Run in order on the collect point's export directory, each into a directory of its own. */
  readonly filters: readonly BoundFilter[];
  readonly tags: Tags;
  readonly frequency: Frequency;
  readonly frequencyOrigin: Origin;
  /** `L/metadata/remote-<bp>/remote/<bp>.json` of the collect point. */
  readonly stateFile: string;
  /** The hooks of its file, filled for this collect point, around the pair's unit. */
  readonly hooks?: readonly BoundHook[];
  /** Where `metadata_url` mirrors the state file, when it is set. */
  readonly metadata?: StateMirror;
}

/** A copy of a pair's state file elsewhere: `target.path` is the file. */
export interface StateMirror {
  readonly target: Target;
  /** How summaries and messages name it: `/path`, `host:/path`, `https://host/path`, `s3:/bucket/key`. */
  readonly shown: string;
  readonly origin: Origin;
  /** The `metadata_*` options rendered for the pair: their secrets are the pair's too. */
  readonly options: OptionValues;
}
