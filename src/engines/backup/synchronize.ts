import type { Diagnostics } from '../../diag/diagnostic.js';
import type { ActionDraft, NewestFileSearch } from '../../graph/action.js';
import { copyFiguresKey } from '../../graph/build-commands.js';
import { MODES_FILE } from '../../graph/tree-modes.js';
import type { OptionValues } from '../../options/schema.js';
import { COPY_GUARD_OPTION, COPY_METADATA_OPTIONS, copyInPlace, copyMetadata } from '../copy-in-place.js';
import type { BackupEngine, BoundBackupPoint, BoundCollectPoint } from '../engine.js';
import { pairDir } from './archive.js';
import { datedSearch, getNewest, seriesDirExpected, unreadableSeries } from './dated-search.js';
import { expectFetched, partlyFetched, unreadableCopy } from './expect-fetched.js';
import { sendModes } from './mirror-modes.js';
import { leftoverExclusions, sourceLeftovers } from './source-leftovers.js';
import { restoreThroughStaging } from './staged-restore.js';
import {
  checkTarget,
  localLocation,
  pointTarget,
  rsyncRemote,
  shownTarget,
  type Target,
  TRANSPORT_OPTIONS,
  targetTicket,
} from './target.js';

/** Mirrors the collect point's export directory to another directory. */
export const synchronize: BackupEngine = {
  role: 'backup',
  name: 'synchronize',
  summary:
    'Mirror the collect point to a directory: a local path, a file:// URL, a directory on another host through ssh (ssh://[user@]host[:port]/path or user@host:/path), on a WebDAV or FTP server (http(s)://, ftp(s)://) or in an S3 bucket (s3://bucket/prefix).',
  options: [
    {
      name: 'remote_url',
      type: 'url',
      required: true,
      urlPasswordSecret: true,
      help: 'Target directory: /var/backups/{name}, file:///var/backups/{name}, ssh://[user@]host[:port]/var/backups/{name}, user@host:/var/backups/{name}, https://host[:port]/dav/{name} (WebDAV), ftp(s)://host[:port]/backups/{name} or s3://bucket/backups/{name}; http(s) and ftp(s) URLs may name a user before the host (user@host), and a password after it, which is a secret. Include {name}: each collect point needs its own directory.',
    },
    ...TRANSPORT_OPTIONS,
    ...COPY_METADATA_OPTIONS,
    COPY_GUARD_OPTION,
  ],
  check: checkMirrorTarget,
  checkPair: checkManifestPlace,
  findsDatedCopy: 'directories',
  location: localLocation,
  heldCopy(bp, last) {
    const path = localLocation(bp.options);
    // Keyed as the copy into it keeps them.
    const files = path === undefined ? undefined : last.copies?.[copyFiguresKey({ to: path })]?.files;
    if (path === undefined || files === undefined || files <= 0) return undefined;
    return { path, kind: 'directory', what: `${files} files`, held: `held ${files} files` };
  },
  backup(bp, cp) {
    const target = pointTarget(bp);
    if (target.kind === 'rclone') {
      const excludes = sourceLeftovers(cp);
      return [
        {
          kind: 'sync-dir',
          direction: 'up',
          local: cp.exportDir,
          transport: target.transport,
          remote: target.path,
          excludes,
          ownFile: MODES_FILE,
          changes: { stamp: `${pairDir(bp)}/mirror.stamp` },
          guard: {
            maxShrinkPercent: bp.options.integer('max_shrink_percent'),
            what: `the mirror of "${cp.name}"`,
          },
          origin: bp.options.origin('remote_url'),
          summary: `update the mirror of "${cp.name}" at ${shownTarget(target)} from ${cp.exportDir}`,
        },
        ...sendModes(bp, cp, target, excludes),
      ];
    }
    const remote = rsyncRemote(target, 'to');
    return [
      ...targetTicket(target, bp.options),
      ...copyInPlace({
        from: cp.exportDir,
        target: target.path,
        ...(remote === undefined ? {} : { remote }),
        hardLinks: true,
        metadata: copyMetadata(bp.options),
        filters: leftoverExclusions(cp),
        origin: bp.options.origin('remote_url'),
        what: `the mirror of "${cp.name}"`,
        maxShrinkPercent: bp.options.integer('max_shrink_percent'),
      }),
    ];
  },
  restore(bp, cp, context) {
    const target = pointTarget(bp);
    // A mirror named by the time of its backup, which no state here recorded: the newest there.
    const search =
      context.variablesRecorded === true
        ? undefined
        : datedSearch(bp, context.at, 'directories', (path) => shownTarget(target, path));
    if (search !== undefined && typeof search !== 'string')
      return restoreNewestMirror(bp, cp, target, search);
    if (target.kind === 'rclone') {
      const transport = target.transport;
      const shown = shownTarget(target);
      return [
        ...expectFetched(
          bp,
          cp,
          { path: target.path, shown, expect: 'path', transport },
          bp.options.origin('remote_url'),
        ),
        ...restoreThroughStaging(
          bp,
          cp,
          {
            from: 'fetched from',
            aside: 'where the mirror is fetched',
            copy: `the mirror at ${shownTarget(target)}`,
            modes: true,
          },
          (staging, origin) => ({
            kind: 'sync-dir',
            direction: 'down',
            local: staging,
            transport,
            remote: target.path,
            excludes: [],
            // Fetched aside: a fetch that fails leaves the collect point as it was.
            unreadable: unreadableCopy(bp, cp, { shown, tool: 'rclone' }),
            origin,
            summary: `fetch the mirror at ${shownTarget(target)} into ${staging}`,
          }),
        ),
      ];
    }
    const remote = rsyncRemote(target, 'from');
    return [
      ...targetTicket(target, bp.options),
      ...expectFetched(
        bp,
        cp,
        {
          path: target.path,
          shown: shownTarget(target),
          ...(target.kind === 'ssh' ? { transport: target.transport } : { kept: true as const }),
        },
        bp.options.origin('remote_url'),
      ),
      ...copyInPlace({
        from: target.path,
        ...(remote === undefined ? {} : { remote }),
        target: cp.exportDir,
        hardLinks: true,
        metadata: copyMetadata(bp.options),
        // Excluded, hence kept: a source's leftover may hold its last good copy until its next run.
        filters: leftoverExclusions(cp),
        origin: bp.options.origin('remote_url'),
        maxShrinkPercent: bp.options.integer('max_shrink_percent'),
        what: `the copy of "${cp.name}" fetched from backup point "${bp.name}"`,
        unreadable: unreadableCopy(bp, cp, {
          shown: shownTarget(target),
          tool: 'rsync',
          left: partlyFetched(cp),
        }),
      }),
    ];
  },
};

/**
 * The newest mirror of a dated series, found when the restore runs: linked (this host) or fetched
 * whole (another host, a server) beside the collect point, then copied into it as every staged
 * restore is.
 */
function restoreNewestMirror(
  bp: BoundBackupPoint,
  cp: BoundCollectPoint,
  target: Target,
  search: NewestFileSearch,
): ActionDraft[] {
  const transport = target.kind === 'local' ? undefined : target.transport;
  return [
    ...targetTicket(target, bp.options),
    ...restoreThroughStaging(
      bp,
      cp,
      {
        from: 'fetched from',
        aside: 'where the newest mirror is found',
        copy: 'the newest mirror found',
        within: 'mirror',
        // Only a server's mirror lost them: one of this host is linked (the backup itself, never
        // changed), one over ssh is fetched by rsync with its modes.
        ...(target.kind === 'rclone' ? { modes: true as const } : {}),
        ...(target.kind === 'local' ? { kept: true as const } : {}),
      },
      (mirror, origin) => [
        ...seriesDirExpected(bp, cp, target, search, origin),
        getNewest(
          'mirror',
          {
            ...(transport === undefined ? {} : { transport }),
            search,
            file: mirror,
            metadata: copyMetadata(bp.options),
            ...unreadableSeries(bp, cp, target, search),
          },
          origin,
        ),
      ],
    ),
  ];
}

/**
 * A mirror on a server keeps its manifest of modes at its top, which the sync never sends from the
 * collect point: a source writing there would never be mirrored. (git and subversion collect
 * points keep that name for their own manifest already.)
 */
function checkManifestPlace(bp: BoundBackupPoint, cp: BoundCollectPoint, diagnostics: Diagnostics): void {
  if (pointTarget(bp).kind !== 'rclone' || cp.engine.reservedPaths?.includes(MODES_FILE) === true) return;
  for (const source of cp.sources) {
    const path = source.options.optionalString('destination_path');
    if (path !== MODES_FILE && path?.startsWith(`${MODES_FILE}/`) !== true) continue;
    diagnostics.error(
      `destination_path '${path}' of source "${source.name}" is inside ${MODES_FILE}, which the mirror of backup point "${bp.name}" keeps at its top for the modes and owners the server cannot hold`,
      source.options.origin('destination_path'),
      'choose another sub-directory of the collect point',
    );
  }
}

function checkMirrorTarget(options: OptionValues, diagnostics: Diagnostics): void {
  const target = checkTarget(options, diagnostics);
  // ssh's check refuses its root directory itself.
  if (target !== undefined && target.kind !== 'ssh' && target.path === '/') {
    diagnostics.error(
      `remote_url '${options.string('remote_url')}' is the root directory`,
      options.origin('remote_url'),
      'expected a dedicated directory such as /var/backups/{name}',
    );
  }
}
