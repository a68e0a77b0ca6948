import type { Diagnostics } from '../../diag/diagnostic.js';
import type { OptionSpec, OptionValues } from '../../options/schema.js';
import { TIME_VARIABLES, templateFields } from '../../options/variables.js';
import { ruleOption } from '../../retention/explain.js';
import { RULES } from '../../retention/periods.js';
import { isEmptyPolicy, newestFirst, type Policy } from '../../retention/retention.js';
import type { BackupEngine, BoundBackupPoint } from '../engine.js';
import { ARCHIVE_OPTIONS_AFTER_URL, checkArchiveTarget, extractArchive, packArchive } from './archive.js';
import {
  archiveEntry,
  parseEntry,
  type RecordedArchive,
  recordedArchives,
  retainSeries,
} from './archive-series.js';
import { localLocation, localTarget } from './local-target.js';

/** The original's counts where it had them (hourly 1, daily 30, weekly 10, yearly 20), and 12 months. */
const COUNTS: readonly (readonly [string, string, string])[] = [
  ['hourly_count', '1', 'hour'],
  ['daily_count', '30', 'day'],
  ['weekly_count', '10', 'ISO week (Monday to Sunday)'],
  ['monthly_count', '12', 'month'],
  ['yearly_count', '20', 'year'],
];

const COUNT_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'keep_last',
    type: 'integer',
    range: [-1, 1_000_000],
    default: '0',
    variables: false,
    help: 'Keep this many newest archives, whatever their dates; -1 keeps every archive, 0 turns the rule off.',
  },
  ...COUNTS.map(
    ([name, fallback, period]): OptionSpec => ({
      name,
      type: 'integer',
      range: [-1, 1_000_000],
      default: fallback,
      variables: false,
      help: `Keep the newest archive of each of this many periods of one ${period} that hold an archive (a period without one does not count); -1 keeps the newest of every such period, 0 turns the rule off.`,
    }),
  ),
];

const ROLLING_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'remote_url',
    type: 'url',
    required: true,
    help: 'Each archive file, named by its date: /var/backups/{name}-{Y}-{m}-{d}_{H}-{M}.tar.gz; its extension (.tar.gz, .tar.bz2, .tar.xz or .tar.zst) chooses the compressor. It must use a date or time variable, and {name} when several collect points share the point.',
  },
  ...COUNT_OPTIONS,
  ...ARCHIVE_OPTIONS_AFTER_URL,
];

function policyOf(options: OptionValues): Policy {
  return Object.fromEntries(RULES.map((rule) => [rule, options.integer(ruleOption(rule))])) as Policy;
}

/**
 * Dated archives with calendar retention: each run packs the collect point into a new archive named
 * by its time, records it, then deletes the recorded archives no rule keeps any more.
 */
export const rollingArchive: BackupEngine = {
  role: 'backup',
  name: 'rolling_archive',
  summary:
    'Pack the collect point into a new dated tarball on each run and keep a calendar history of them (newest per hour, day, ISO week, month and year, as many as each count says), deleting only archives it recorded.',
  options: ROLLING_OPTIONS,
  check: checkRollingArchive,
  location: localLocation,
  backup(bp, cp, context) {
    const file = localTarget(bp);
    const previous = recordedArchives(context.recorded);
    const current = parseEntry(archiveEntry(file, bp.variables)) as RecordedArchive;
    const series = retainSeries(previous, current, policyOf(bp.options), {
      allowMassDelete: context.allowMassDelete,
      origin: bp.options.origin('remote_url'),
      what: `backup point ${bp.name} of ${cp.name}`,
    });
    // Judged against the newest archive the series recorded: the one a restore would take.
    const newest = newestFirst(previous)[0]?.id ?? file;
    // One partial name per series, not per archive: the next run overwrites what a failed one left.
    const partial = `${file.slice(0, file.lastIndexOf('/'))}/.${bp.name}.${cp.name}.polyarchiv-partial`;
    return {
      drafts: [packArchive(bp, cp, file, newest, partial), ...series.deletions],
      recorded: series.recorded,
      notes: series.notes,
      warnings: series.warnings,
    };
  },
  restore(bp, cp, context) {
    return extractArchive(bp, cp, chosenArchive(bp, context.recorded, context.at));
  },
  copies: (recorded) => recordedArchives(recorded).map((archive) => new Date(archive.instant)),
};

/**
 * The archive a restore extracts: the newest recorded one not after `at`; the plan only chooses
 * this point when it has one, else its current name (which fails, saying which file is missing).
 */
function chosenArchive(bp: BoundBackupPoint, recorded: unknown, at: Date | undefined): string {
  const eligible = recordedArchives(recorded).filter((a) => at === undefined || a.instant <= at.getTime());
  return newestFirst(eligible)[0]?.id ?? localTarget(bp);
}

function checkRollingArchive(options: OptionValues, diagnostics: Diagnostics): void {
  checkArchiveTarget(options, diagnostics);
  const template = options.template('remote_url') ?? '';
  const timeFields: readonly string[] = TIME_VARIABLES;
  if (!templateFields(template).some((field) => timeFields.includes(field))) {
    diagnostics.error(
      `remote_url '${template}' does not change with time: each run would overwrite the archive of the run before`,
      options.origin('remote_url'),
      'name each archive by its date and time, e.g. /var/backups/{name}-{Y}-{m}-{d}_{H}-{M}.tar.gz',
    );
  }
  if (isEmptyPolicy(policyOf(options))) {
    diagnostics.error(
      'every retention count is 0: no archive would be kept but the newest',
      options.origin('daily_count'),
      `set at least one of ${RULES.map(ruleOption).join(', ')}`,
    );
  }
}
