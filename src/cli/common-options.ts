import { defaultConfigDir } from '../config/load.js';
import { UsageError } from '../diag/diagnostic.js';
import type { Selection } from '../planner/plan.js';
import { formatTimestamp } from '../state/point-state.js';
import { type Command, Option } from './commander.js';

export interface CommonFlags {
  config?: string;
  now?: string;
  set: string[];
  force?: boolean;
  allowShrink?: boolean;
  allowMassDelete?: boolean;
  at?: string;
  onlyCollectPoints: string[];
  onlyBackupPoints: string[];
  skipCollect?: boolean;
  skipBackup?: boolean;
  verbose?: boolean;
  quiet?: boolean;
  verbosity?: string;
  logFile?: string;
  showCommands?: boolean;
}

/** One NAME=VALUE per --set: a value may hold commas (`--set excludes=a,b`). */
const repeated = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * Comma-separated patterns. A word that names nothing ('' or ',', an empty `$POINTS` in a cron
 * line) is kept as given, for the selection to refuse: dropped, it would select every point.
 */
const collectPatterns = (value: string, previous: string[]): string[] => {
  const patterns = value.split(',').filter((v) => v !== '');
  return [...previous, ...(patterns.length === 0 ? [value] : patterns)];
};

/** Flags shared by the commands that read the configuration. */
export function withConfigOptions(command: Command): Command {
  return command
    .option('-C, --config <dir>', `configuration directory (default: ${defaultConfigDir()})`)
    .option(
      '--now <time>',
      'pin the time: ISO-8601 (2026-01-31T03:00:00+01:00) or @EPOCH; default the clock ($SOURCE_DATE_EPOCH for plan)',
    )
    .option('--set <name=value>', 'pin a variable, e.g. --set hostname=web1 (repeatable)', repeated, [])
    .option('-v, --verbose', 'more output: commands, notices (--verbosity 3)')
    .option('-q, --quiet', 'print nothing but errors and warnings (--verbosity 0)')
    .option('--verbosity <level>', '0 quiet, 1 normal (default), 2 or 3 verbose; wins over -v and -q')
    .option(
      '--log-file <file>',
      "also write the whole run's output to FILE (truncated first), each line with its time",
    );
}

/**
 * The original's verbosity: --verbosity wins, then -v, then --show-commands, then -q. Sets
 * `quiet` and `verbose` to what the command must do.
 */
export function resolveVerbosity(flags: CommonFlags): void {
  const level =
    flags.verbosity !== undefined
      ? verbosityLevel(flags.verbosity)
      : flags.verbose
        ? 3
        : flags.showCommands
          ? 1
          : flags.quiet
            ? 0
            : 1;
  flags.quiet = level <= 0;
  flags.verbose = level >= 2;
}

function verbosityLevel(text: string): number {
  if (!/^[0-3]$/.test(text)) throw new UsageError(`--verbosity '${text}': expected a level, 0 to 3`);
  return Number(text);
}

/**
 * Flags that choose points. `report`: a command that runs nothing (config, check) reads only the
 * `--only-*` patterns; it still accepts the flags of a run, as the original accepted every flag
 * with every command, but its help does not list them.
 */
export function withSelectionOptions(command: Command, use: 'run' | 'report' = 'run'): Command {
  const ofRuns = (option: Option) => (use === 'run' ? option : option.hideHelp());
  return command
    .addOption(ofRuns(new Option('-f, --force', 'ignore frequencies: run every selected point')))
    .addOption(
      ofRuns(
        new Option(
          '--allow-shrink',
          'let a copy proceed that would become empty or lose more than max_shrink_percent of its files or bytes, and a restore load an empty or incomplete dump',
        ),
      ),
    )
    .addOption(
      ofRuns(
        new Option(
          '--allow-mass-delete',
          'let retention delete more than half of the archives of a rolling_archive series in one run',
        ),
      ),
    )
    .option(
      '--only-collect-points <pattern...>',
      'only these collect points: names or tags, * and ? globs (several, comma-separated or repeated)',
      collectPatterns,
      [],
    )
    .option(
      '--only-backup-points <pattern...>',
      'only these backup points: names or tags, * and ? globs (several, comma-separated or repeated)',
      collectPatterns,
      [],
    )
    .addOption(
      ofRuns(
        new Option(
          '--skip-collect',
          'do not run collect points (backup points send what is there); in a restore, fetch only: the live data is left alone',
        ),
      ),
    )
    .addOption(
      ofRuns(
        new Option(
          '--skip-backup',
          'do not run backup points; in a restore, restore the sources from the collect points as they are',
        ),
      ),
    );
}

/** The original accepted all its options with each of its commands; those that do nothing here stay quiet. */
const ORIGINAL_OPTIONS: readonly (readonly [string, string])[] = [
  ['-f, --force', 'force'],
  ['-n, --nrpe', 'nrpe'],
  ['-D, --dry', 'dry'],
  ['--show-commands', 'showCommands'],
  ['--confirm-commands', 'confirmCommands'],
  ['--only-collect-points <pattern...>', 'onlyCollectPoints'],
  ['--only-backup-points <pattern...>', 'onlyBackupPoints'],
  ['--skip-collect', 'skipCollect'],
  ['--skip-backup', 'skipBackup'],
];

/** Adds, hidden from help and without effect, the original's options a command does not use. */
export function withOriginalOptions(command: Command): Command {
  for (const [flags, name] of ORIGINAL_OPTIONS) {
    if (command.options.some((o) => o.attributeName() === name)) continue;
    command.addOption(new Option(flags).hideHelp());
  }
  return command;
}

export function configDir(flags: CommonFlags): string {
  return flags.config ?? defaultConfigDir();
}

/**
 * The time a plan is rendered for: --now, else SOURCE_DATE_EPOCH (reproducible renders), else the
 * clock. Only `plan` honours SOURCE_DATE_EPOCH; commands that run or judge backups use `runTime`.
 */
export function planTime(flags: CommonFlags): Date {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (flags.now === undefined && epoch !== undefined && epoch !== '')
    return parseTime(`@${epoch}`, 'SOURCE_DATE_EPOCH');
  return runTime(flags);
}

/** The time of a run or a check: --now, else the clock (an exported SOURCE_DATE_EPOCH never freezes it). */
export function runTime(flags: CommonFlags): Date {
  return flags.now === undefined ? new Date() : parseTime(flags.now, '--now');
}

/** `--now` and `--at`: ISO-8601 or `@EPOCH`; a day or an hour past its range is refused, never carried over. */
export function parseTime(text: string, what: string): Date {
  const date =
    text.startsWith('@') && /^@\d+$/.test(text) ? new Date(Number(text.slice(1)) * 1000) : new Date(text);
  if (!/^@\d+$/.test(text) && !/^\d{4}-\d{2}-\d{2}/.test(text)) {
    throw new UsageError(
      `${what} '${text}': expected ISO-8601 such as 2026-01-31T03:00:00+01:00, or @EPOCH seconds`,
    );
  }
  if (Number.isNaN(date.getTime()) || !inRange(text))
    throw new UsageError(`${what} '${text}': not a valid time`);
  return date;
}

/**
 * Whether the calendar fields are in their ranges: JavaScript's parser carries a day past its
 * month's end into the next (2026-02-30 is March 2) and reads 24:00 as the next midnight.
 */
function inRange(text: string): boolean {
  const fields = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(text);
  if (fields === null) return true;
  const field = (i: number) => Number(fields[i] ?? 0);
  const [month, day] = [field(2), field(3)];
  const daysInMonth = new Date(Date.UTC(field(1), month, 0)).getUTCDate();
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    field(4) <= 23 &&
    field(5) <= 59 &&
    field(6) <= 59
  );
}

export function pinnedVariables(flags: CommonFlags): Record<string, string> {
  const pinned: Record<string, string> = {};
  for (const item of flags.set) {
    const eq = item.indexOf('=');
    const name = eq < 0 ? '' : item.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError(`--set '${item}': expected NAME=VALUE`);
    if (name === 'name')
      throw new UsageError(`--set name=...: 'name' is the point's own name and cannot be pinned`);
    pinned[name] = item.slice(eq + 1);
  }
  return pinned;
}

export function selectionOf(flags: CommonFlags, from?: string): Selection {
  if (from !== undefined && flags.skipBackup === true)
    throw new UsageError(
      `--from ${from} names the backup point to fetch from, and --skip-backup fetches nothing: give one of them`,
    );
  return {
    onlyCollectPoints: flags.onlyCollectPoints ?? [],
    onlyBackupPoints: flags.onlyBackupPoints ?? [],
    skipCollect: flags.skipCollect === true,
    skipBackup: flags.skipBackup === true,
    force: flags.force === true,
    ...(flags.allowShrink === true ? { allowShrink: true } : {}),
    ...(from === undefined ? {} : { from }),
    ...(flags.allowMassDelete === true ? { allowMassDelete: true } : {}),
    ...(flags.at === undefined ? {} : { at: formatTimestamp(parseTime(flags.at, '--at')) }),
  };
}
