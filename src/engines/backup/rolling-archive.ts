import type { Diagnostics } from '../../diag/diagnostic.js';
import type { OptionSpec, OptionValues } from '../../options/schema.js';
import { formatTemplate, timeFields } from '../../options/variables.js';
import { newestFirst } from '../../retention/retention.js';
import type { BackupEngine, BoundBackupPoint } from '../engine.js';
import { atText } from '../toolkit.js';
import { withoutPassword } from '../url.js';
import { ARCHIVE_OPTIONS_AFTER_URL, checkArchiveTarget } from './archive.js';
import { fetchArchive, fetchNewestArchive, storeArchive } from './archive-place.js';
import {
  archiveEntry,
  archivesAt,
  parseEntry,
  type RecordedArchive,
  recordedArchives,
  retainSeries,
} from './archive-series.js';
import { ANOTHER_BACKUP_POINT, olderCopy } from './expect-fetched.js';
import { type CopyNoun, checkPolicy, policyOf, retentionOptions } from './retention-options.js';
import { seriesTarget } from './series-target.js';
import { localLocation, pointTarget, targetPathOf } from './target.js';

const ARCHIVES: CopyNoun = { one: 'archive', many: 'archives', a: 'an' };

const ROLLING_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'remote_url',
    type: 'url',
    required: true,
    urlPasswordSecret: true,
    help: 'Each archive file, named by its date: /var/backups/{name}-{Y}-{m}-{d}_{H}-{M}.tar.gz, or the same path through ssh://, WebDAV (http(s)://), ftp(s):// or s3://bucket/ as for archive; its extension (.tar.gz, .tar.bz2, .tar.xz or .tar.zst) chooses the compressor. It must use a date or time variable, and {name} when several collect points share the point.',
  },
  ...retentionOptions(ARCHIVES),
  ...ARCHIVE_OPTIONS_AFTER_URL,
];

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
  heldCopy(bp, last) {
    if (localLocation(bp.options) === undefined) return undefined;
    // Retention never deletes the newest: gone, it was taken away with its disk, or by hand.
    const here = archivesHere(bp, last.recorded);
    const newest = newestFirst(here)[0];
    if (newest === undefined) return undefined;
    const what = here.length === 1 ? 'its only archive' : `the newest of its ${here.length} archives`;
    return { path: newest.id, kind: 'file', what, held: `was ${what}` };
  },
  backup(bp, cp, context) {
    const target = pointTarget(bp);
    const file = target.path;
    const series = seriesTarget(bp);
    const previous = recordedArchives(context.recorded, entryParser(bp));
    const current = parseEntry(archiveEntry(file, bp.variables, series.id)) as RecordedArchive;
    const retained = retainSeries(previous, current, policyOf(bp.options), {
      allowMassDelete: context.allowMassDelete,
      origin: bp.options.origin('remote_url'),
      what: `backup point ${bp.name} of ${cp.name}`,
      target: series,
      ...(target.kind === 'local' ? {} : { transport: target.transport }),
    });
    // Judged against the newest archive the series recorded here: the one a restore would take.
    const newest = newestFirst(archivesAt(previous, series).here)[0]?.id ?? file;
    // One partial name per series, not per archive: the next run overwrites what a failed one left.
    const partial = `${file.slice(0, file.lastIndexOf('/'))}/.${bp.name}.${cp.name}.polyarchiv-partial`;
    return {
      drafts: [...storeArchive(bp, cp, target, file, { previous: newest, partial }), ...retained.deletions],
      recorded: retained.recorded,
      notes: retained.notes,
      warnings: retained.warnings,
    };
  },
  restore(bp, cp, context) {
    const target = pointTarget(bp);
    const [chosen, before] = eligibleArchives(bp, context.recorded, context.at);
    if (chosen !== undefined) {
      const otherCopies =
        before === undefined
          ? `no archive before it is recorded here; ${ANOTHER_BACKUP_POINT}`
          : `the archive before it (${before.id}): run the restore again with --at ${atText(new Date(before.instant))}`;
      return fetchArchive(bp, cp, target, chosen.id, otherCopies);
    }
    return fetchNewestArchive(bp, cp, target, context.at, olderCopy('archive'));
  },
  copies: (recorded, bp) => archivesHere(bp, recorded).map((archive) => new Date(archive.instant)),
  copyFoundAtRun: true,
  findsDatedCopy: 'files',
};

/**
 * How the pair reads its recorded entries: an entry of the original PolyArchiv (its run's
 * variables alone) names the file `remote_url` gives with them, as the original deleted it.
 */
function entryParser(bp: BoundBackupPoint): (entry: unknown) => RecordedArchive | undefined {
  const template = bp.options.template('remote_url') ?? '';
  return (entry) =>
    parseEntry(entry, (variables) => {
      const formatted = formatTemplate(template, { ...bp.variables, ...variables });
      return formatted.ok ? targetPathOf(withoutPassword(formatted.text)) : undefined;
    });
}

/** The recorded archives of the pair at the target its `remote_url` names (see SeriesTarget). */
function archivesHere(bp: BoundBackupPoint, recorded: unknown): RecordedArchive[] {
  return archivesAt(recordedArchives(recorded, entryParser(bp)), seriesTarget(bp)).here;
}

/**
 * The archives a restore may extract, newest first: those recorded at the target of `remote_url`,
 * not after `at`. None when no state here recorded one that old there (a new machine, or a target
 * moved): the restore then finds the newest on the target.
 */
function eligibleArchives(bp: BoundBackupPoint, recorded: unknown, at: Date | undefined): RecordedArchive[] {
  const eligible = archivesHere(bp, recorded).filter((a) => at === undefined || a.instant <= at.getTime());
  return newestFirst(eligible);
}

function checkRollingArchive(options: OptionValues, diagnostics: Diagnostics): void {
  checkArchiveTarget(options, diagnostics);
  const template = options.template('remote_url') ?? '';
  if (timeFields(template).length === 0) {
    diagnostics.error(
      `remote_url '${template}' does not change with time: each run would overwrite the archive of the run before`,
      options.origin('remote_url'),
      'name each archive by its date and time, e.g. /var/backups/{name}-{Y}-{m}-{d}_{H}-{M}.tar.gz',
    );
  }
  checkPolicy(options, diagnostics, ARCHIVES);
}
