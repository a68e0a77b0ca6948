import type { ActionDraft, RsyncFilter } from '../../graph/action.js';
import { MODES_FILE, recordModesRuns } from '../../graph/tree-modes.js';
import type { BoundBackupPoint, BoundCollectPoint } from '../engine.js';
import { pairDir, partialOf } from './archive.js';
import { shownTarget, type Target } from './target.js';

/*
 * WebDAV, FTP and S3 keep a mirror's contents and names, not its modes, owners or empty
 * directories: fetched back, every file would be the restoring user's 0600 and every empty
 * directory gone, so that the restore's copy would remove the live data's. A mirror there
 * therefore carries the manifest git and svn collect points commit (tree-modes.ts), written from
 * the collect point's export directory once the sync ended well, and sent beside the files, at
 * the mirror's top; a restore applies it to the fetched copy before the copy into the collect
 * point, which never takes the manifest itself.
 */

/** The manifest's place at the top of the mirror, and its hidden partial while it is sent. */
const MANIFEST_PARTIAL = partialOf(`/${MODES_FILE}`).slice(1);

/**
 * The manifest of `cp`'s export directory (without what the mirror leaves out), written in the
 * pair's metadata directory, then sent over the previous one (a hidden partial renamed over it).
 */
export function sendModes(
  bp: BoundBackupPoint,
  cp: BoundCollectPoint,
  target: Extract<Target, { readonly kind: 'rclone' }>,
  excludes: readonly string[],
): ActionDraft[] {
  const origin = bp.options.origin('remote_url');
  const manifest = `${pairDir(bp)}/modes`;
  const listing = `${pairDir(bp)}/modes.listing`;
  const { list, sort } = recordModesRuns(cp.exportDir, {
    pruned: [MODES_FILE, ...excludes],
    listing,
    manifest,
  });
  const partial = `${target.path}/${MANIFEST_PARTIAL}`;
  return [
    {
      kind: 'run',
      ...list,
      // Read by the sort alone: the manifest it writes is what is sent.
      scratch: [listing],
      origin,
      summary: `list the modes and owners of ${cp.exportDir}, which the server cannot hold`,
    },
    { kind: 'run', ...sort, origin, summary: `write them, sorted, into ${manifest}` },
    {
      kind: 'put-file',
      file: manifest,
      transport: target.transport,
      remote: `${target.path}/${MODES_FILE}`,
      partial,
      origin,
      summary: `send ${manifest} to ${shownTarget(target, partial)}, then rename it over ${MODES_FILE} there`,
    },
  ];
}

/** The fetched mirror given the modes, owners and empty directories its manifest records. */
export function applyMirrorModes(fetched: string, bp: BoundBackupPoint): ActionDraft {
  return {
    kind: 'apply-modes',
    workTree: fetched,
    origin: bp.options.origin('remote_url'),
    summary: `give ${fetched} the modes, owners and empty directories that the mirror's ${MODES_FILE} records`,
  };
}

/**
 * The manifest and its partial stay out of the copy into the collect point (and a git or svn
 * collect point keeps its own manifest of that name).
 */
export const MIRROR_MODES_EXCLUSIONS: readonly RsyncFilter[] = [
  { rule: 'exclude', pattern: `/${MODES_FILE}` },
  { rule: 'exclude', pattern: `/${MANIFEST_PARTIAL}` },
];
