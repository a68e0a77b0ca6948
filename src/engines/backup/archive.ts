import type { Diagnostics } from '../../diag/diagnostic.js';
import type { Origin } from '../../diag/origin.js';
import type {
  ActionDraft,
  Compression,
  GetNewestFileSpec,
  NewestFileSearch,
  Transport,
} from '../../graph/action.js';
import type { OptionSpec, OptionValues } from '../../options/schema.js';
import { COPY_GUARD_OPTION, copyMetadata } from '../copy-in-place.js';
import type { BackupEngine, BoundBackupPoint, BoundCollectPoint } from '../engine.js';
import { asWritten } from '../toolkit.js';
import { fetchArchive, fetchNewestArchive, storeArchive } from './archive-place.js';
import { getNewest, seriesDirExpected, unreadableSeries } from './dated-search.js';
import {
  ANOTHER_BACKUP_POINT,
  expectFetched,
  leftUnchanged,
  noCopyMessage,
  unreadableCopy,
} from './expect-fetched.js';
import { sourceLeftovers } from './source-leftovers.js';
import { restoreThroughStaging } from './staged-restore.js';
import {
  checkTarget,
  localLocation,
  pointTarget,
  shownTarget,
  type Target,
  TRANSPORT_OPTIONS,
} from './target.js';

/** The archive's name chooses its compressor. */
const EXTENSIONS: readonly (readonly [string, Compression])[] = [
  ['.tar.gz', 'gzip'],
  ['.tar.bz2', 'bzip2'],
  ['.tar.xz', 'xz'],
  ['.tar.zst', 'zstd'],
];

export function compressionOf(path: string): Compression | undefined {
  return EXTENSIONS.find(([extension]) => path.endsWith(extension))?.[1];
}

/** `.tar.gz`... of an archive the check accepted. */
export function extensionOf(path: string): string {
  return EXTENSIONS.find(([extension]) => path.endsWith(extension))?.[0] ?? '';
}

/** The options of every archive backup point after its `remote_url`. */
export const ARCHIVE_OPTIONS_AFTER_URL: readonly OptionSpec[] = [
  ...TRANSPORT_OPTIONS,
  {
    name: 'preserve_xattrs',
    type: 'boolean',
    default: 'true',
    help: 'Keep extended attributes in the archive (tar --xattrs) and put them back on restore; turn off where a filesystem has none.',
  },
  {
    name: 'preserve_acls',
    type: 'boolean',
    default: 'true',
    help: 'Keep POSIX ACLs in the archive (tar --acls) and put them back on restore; turn off where a filesystem has none.',
  },
  {
    ...COPY_GUARD_OPTION,
    help: 'An archive of a collect point that became empty, or lost more than this share (0-100) of the files or bytes the previous archive holds, is refused and the run fails, unless --allow-shrink is given; a restore that would do the same to the collect point too.',
  },
];

const ARCHIVE_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'remote_url',
    type: 'url',
    required: true,
    urlPasswordSecret: true,
    help: 'The archive file: /var/backups/{name}.tar.gz, file:///var/backups/{name}.tar.gz, ssh://[user@]host[:port]/var/backups/{name}.tar.gz, user@host:/var/backups/{name}.tar.gz, https://host[:port]/dav/{name}.tar.gz (WebDAV), ftp(s)://host[:port]/backups/{name}.tar.gz or s3://bucket/backups/{name}.tar.gz (a user may come before the host, user@host, and a password after it, which is a secret); its extension (.tar.gz, .tar.bz2, .tar.xz or .tar.zst) chooses the compressor. Include {name}: each collect point needs its own archive.',
  },
  ...ARCHIVE_OPTIONS_AFTER_URL,
];

/**
 * Packs the collect point's export directory into one compressed tarball, replaced whole on each
 * run; a restore extracts it aside, then updates the collect point from it in place.
 */
export const archive: BackupEngine = {
  role: 'backup',
  name: 'archive',
  summary:
    'Pack the collect point into one compressed tarball (.tar.gz, .tar.bz2, .tar.xz or .tar.zst) at a local path, a file:// URL, a path on another host through ssh, on a WebDAV or FTP server or in an S3 bucket, replaced whole on each run.',
  options: ARCHIVE_OPTIONS,
  check: checkArchiveTarget,
  location: localLocation,
  heldCopy(bp, last) {
    const path = localLocation(bp.options);
    // Only the archive its last success wrote: a dated one is new on each run.
    if (path === undefined || !isRecord(last.recorded) || last.recorded.archive !== path) return undefined;
    return { path, kind: 'file', what: 'the archive', held: 'was written' };
  },
  backup(bp, cp) {
    const target = pointTarget(bp);
    const drafts = storeArchive(bp, cp, target, target.path, {
      previous: target.path,
      partial: partialOf(target.path),
    });
    // An archive on this host is recorded, for the next run to check that it is still there.
    if (target.kind !== 'local') return drafts;
    return { drafts, recorded: { archive: target.path }, notes: [], warnings: [] };
  },
  restore: (bp, cp, context) => {
    const target = pointTarget(bp);
    // A name dated by the run that wrote it, which no state here recorded: the newest on the target.
    if (context.variablesRecorded === true)
      return fetchArchive(bp, cp, target, target.path, ANOTHER_BACKUP_POINT);
    return fetchNewestArchive(bp, cp, target, context.at, ANOTHER_BACKUP_POINT);
  },
  findsDatedCopy: 'files',
};

/** Where a pack writes and what its guard reads (see PackSpec and ArchiveGuard). */
export interface PackPlace {
  /** The archive on this host that the new one replaces or follows: by default `file` itself. */
  readonly previous?: string;
  /** By default hidden next to `file`. */
  readonly partial?: string;
  /** The archive is sent elsewhere: no previous one on this host, and the listing published once sent. */
  readonly sentElsewhere?: true;
}

/**
 * The collect point packed into `file`: judged against the archive it replaces (an empty or shrunk
 * collect point is refused), written to a hidden partial with the listing of what it holds,
 * decompressed whole, then published.
 */
export function packArchive(
  bp: BoundBackupPoint,
  cp: BoundCollectPoint,
  file: string,
  place: PackPlace = {},
): ActionDraft {
  const listing = listingOf(bp);
  const previous = place.sentElsewhere === true ? {} : { archive: place.previous ?? file };
  return {
    kind: 'pack',
    from: cp.exportDir,
    archive: file,
    partial: place.partial ?? partialOf(file),
    compression: compressionOf(file) as Compression,
    metadata: copyMetadata(bp.options),
    excludes: sourceLeftovers(cp),
    guard: {
      listing: listing.file,
      ...previous,
      maxShrinkPercent: bp.options.integer('max_shrink_percent'),
      what: `the archive of "${cp.name}" in backup point "${bp.name}"`,
    },
    listing: place.sentElsewhere === true ? { partial: listing.partial } : listing,
    origin: bp.options.origin('remote_url'),
    summary: `pack "${cp.name}" into ${file}, then check it and put it in place`,
  };
}

/**
 * The `tar -tv` listing of the last archive the pair wrote, kept beside its state file for the
 * guard of the next run, and where the pack writes the next one.
 */
export function listingOf(bp: BoundBackupPoint): { readonly file: string; readonly partial: string } {
  const file = `${pairDir(bp)}/archive.listing`;
  return { file, partial: partialOf(file) };
}

/**
 * How the archive to extract reaches this host: copied from another one (`file`), or found when
 * the restore runs as the newest of its series (`newest`, here or on another host).
 */
export type ArchiveFetch =
  | { readonly kind: 'file'; readonly transport: Transport; readonly shown: string }
  | {
      readonly kind: 'newest';
      readonly transport?: Transport;
      readonly search: NewestFileSearch;
      /** The target the series lies on, whose directory is looked for first. */
      readonly target: Target;
    };

/**
 * `archive` extracted aside, then the collect point updated from it in place. An archive that is
 * fetched is first copied (or, found on this host, linked) into the pair's metadata directory,
 * and removed with the extracted tree.
 */
export function extractArchive(
  bp: BoundBackupPoint,
  cp: BoundCollectPoint,
  archive: string,
  otherCopies: string,
  fetch?: ArchiveFetch,
): ActionDraft[] {
  const file = fetch === undefined ? archive : `${pairDir(bp)}/fetched${extensionOf(archive)}`;
  const shown =
    fetch === undefined ? archive : fetch.kind === 'file' ? fetch.shown : 'the archive this restore found';
  return restoreThroughStaging(
    bp,
    cp,
    {
      from: 'extracted from',
      aside: 'where the archive is extracted',
      copy: `the archive ${fetch === undefined ? archive : fetch.kind === 'file' ? fetch.shown : 'found'}`,
      ...(fetch === undefined ? {} : { alsoRemoved: [file] }),
    },
    (staging, origin) => [
      ...(fetch === undefined
        ? expectFetched(
            bp,
            cp,
            { path: archive, shown: archive, expect: 'path', kept: true, otherwise: otherCopies },
            origin,
          )
        : [
            // Asked first, where it is: the copy's tool would say it in its own words, or not at all.
            ...(fetch.kind === 'file'
              ? expectFetched(
                  bp,
                  cp,
                  {
                    path: archive,
                    shown: fetch.shown,
                    expect: 'path',
                    transport: fetch.transport,
                    otherwise: otherCopies,
                  },
                  origin,
                )
              : seriesDirExpected(bp, cp, fetch.target, fetch.search, origin)),
            fetchDraft(
              fetch,
              archive,
              file,
              origin,
              (shown) => noCopyMessage(bp, cp, `${shown} is missing`),
              // Fetched aside: a fetch that fails leaves the collect point as it was.
              (shown) =>
                unreadableCopy(
                  bp,
                  cp,
                  { shown, tool: fetch.transport?.kind === 'rclone' ? 'rclone' : 'rsync' },
                  otherCopies,
                ),
              (target, search) => unreadableSeries(bp, cp, target, search, otherCopies),
            ),
            // On this host the newest is linked, which reads nothing of it: whether the run's
            // user may read it is asked here, rather than said as an archive that extracts badly.
            ...(fetch.kind === 'newest' && fetch.target.kind === 'local'
              ? expectFetched(
                  bp,
                  cp,
                  {
                    path: file,
                    shown: `the newest of ${shownTarget(fetch.target, fetch.search.dir)}, named above`,
                    expect: 'path',
                    kept: true,
                    otherwise: otherCopies,
                  },
                  origin,
                )
              : []),
          ]),
      {
        kind: 'unpack',
        archive: file,
        into: staging,
        compression: compressionOf(file) as Compression,
        metadata: copyMetadata(bp.options),
        unreadable: unreadableArchive(shown, `${leftUnchanged(cp)}; ${otherCopies}`),
        origin,
        summary: `extract ${file} (the collect point is not touched unless the whole archive reads back)`,
      },
    ],
  );
}

function fetchDraft(
  fetch: ArchiveFetch,
  archive: string,
  file: string,
  origin: Origin,
  /** What a server that holds no file there means (see GetFileSpec.missing). */
  missing: (shown: string) => string,
  /** What any other failure to fetch it means (see GetFileSpec.unreadable). */
  unreadable: (shown: string) => string,
  /** What a failure to list its series or fetch the newest of it means (see unreadableSeries). */
  words: (target: Target, search: NewestFileSearch) => Pick<GetNewestFileSpec, 'unlisted' | 'unreadable'>,
): ActionDraft {
  if (fetch.kind === 'file')
    return {
      kind: 'get-file',
      transport: fetch.transport,
      remote: archive,
      file,
      missing: missing(fetch.shown),
      unreadable: unreadable(fetch.shown),
      origin,
      summary: `fetch ${fetch.shown} into ${file}`,
    };
  const { search, transport } = fetch;
  return getNewest(
    'archive',
    { ...(transport === undefined ? {} : { transport }), search, file, ...words(fetch.target, search) },
    origin,
  );
}

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Where the archive is written before it replaces the previous one: hidden, next to it. */
export function partialOf(file: string): string {
  const slash = file.lastIndexOf('/');
  return `${file.slice(0, slash)}/.${file.slice(slash + 1)}.polyarchiv-partial`;
}

/** The pair's metadata directory, beside its state file. */
export function pairDir(bp: BoundBackupPoint): string {
  return bp.stateFile.slice(0, bp.stateFile.lastIndexOf('/'));
}

/** Said when `archive` could not be extracted, followed by what was left as it was and what to do. */
export function unreadableArchive(archive: string, then: string): string {
  return `${archive} could not be extracted whole (the tools say why above: a damaged or cut archive, or no room to extract it): ${then}`;
}

export function checkArchiveTarget(options: OptionValues, diagnostics: Diagnostics): void {
  const path = checkTarget(options, diagnostics)?.path;
  // A trailing slash names a directory, whatever the name before it.
  if (
    path === undefined ||
    (compressionOf(path) !== undefined && !/\/\.?$/.test(options.string('remote_url')))
  )
    return;
  // As written, not as resolved for each collect point: one mistake, one error.
  diagnostics.error(
    `remote_url '${asWritten(options, 'remote_url')}' is not a .tar.gz, .tar.bz2, .tar.xz or .tar.zst file`,
    options.origin('remote_url'),
    'its extension chooses the compressor, e.g. /var/backups/{name}.tar.gz',
  );
}
