import type { ActionDraft, NewestFileSearch } from '../../graph/action.js';
import type { BoundBackupPoint, BoundCollectPoint } from '../engine.js';
import { extensionOf, extractArchive, listingOf, packArchive, pairDir } from './archive.js';
import { shownTarget, type Target, targetTicket } from './target.js';

/**
 * The steps that put the collect point's archive at `path` on its target. A local archive is
 * packed in place (hidden partial, published by a rename). An archive for another host is packed
 * in the pair's metadata directory, then sent to `remotePartial` beside `path` and renamed there.
 * Either way the `tar -tv` listing tar wrote while packing stays in the metadata directory, for
 * the guard of the next run (the previous archive is never read back, least of all over the
 * network).
 */
export function storeArchive(
  bp: BoundBackupPoint,
  cp: BoundCollectPoint,
  target: Target,
  path: string,
  places: { readonly previous: string; readonly partial: string },
): ActionDraft[] {
  if (target.kind === 'local') return [packArchive(bp, cp, path, places)];
  const outgoing = `${pairDir(bp)}/outgoing${extensionOf(path)}`;
  return [
    ...targetTicket(target, bp.options),
    packArchive(bp, cp, outgoing, { sentElsewhere: true }),
    {
      kind: 'put-file',
      file: outgoing,
      transport: target.transport,
      remote: path,
      partial: places.partial,
      listing: listingOf(bp),
      origin: bp.options.origin('remote_url'),
      summary: `send ${outgoing} to ${shownTarget(target, places.partial)}, then rename it over ${path} there`,
    },
  ];
}

/** The archive at `path` of the target, extracted into the collect point (see extractArchive). */
export function fetchArchive(
  bp: BoundBackupPoint,
  cp: BoundCollectPoint,
  target: Target,
  path: string,
): ActionDraft[] {
  if (target.kind === 'local') return extractArchive(bp, cp, path);
  return [
    ...targetTicket(target, bp.options),
    ...extractArchive(bp, cp, path, {
      kind: 'file',
      transport: target.transport,
      shown: shownTarget(target, path),
    }),
  ];
}

/**
 * The newest archive of the series `search` describes, found on the target when the restore runs,
 * extracted into the collect point (see extractArchive).
 */
export function fetchNewestArchive(
  bp: BoundBackupPoint,
  cp: BoundCollectPoint,
  target: Target,
  search: NewestFileSearch,
): ActionDraft[] {
  if (target.kind === 'local') return extractArchive(bp, cp, target.path, { kind: 'newest', search });
  return [
    ...targetTicket(target, bp.options),
    ...extractArchive(bp, cp, target.path, { kind: 'newest', transport: target.transport, search }),
  ];
}
