import type { ActionDraft, NewestFileSearch } from '../../graph/action.js';
import type { BoundBackupPoint, BoundCollectPoint } from '../engine.js';
import {
  type ArchiveFetch,
  extensionOf,
  extractArchive,
  listingOf,
  packArchive,
  pairDir,
} from './archive.js';
import { datedSearch } from './dated-search.js';
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

/**
 * The archive at `path` of the target, or with a `search` the newest of its series found there
 * when the restore runs, extracted into the collect point (see extractArchive).
 */
export function fetchArchive(
  bp: BoundBackupPoint,
  cp: BoundCollectPoint,
  target: Target,
  path: string,
  /** Where to turn when this archive cannot be extracted (see unreadableArchive). */
  otherCopies: string,
  search?: NewestFileSearch,
): ActionDraft[] {
  const transport = target.kind === 'local' ? undefined : target.transport;
  const fetch: ArchiveFetch | undefined =
    search !== undefined
      ? { kind: 'newest', ...(transport === undefined ? {} : { transport }), search, target }
      : transport === undefined
        ? undefined
        : { kind: 'file', transport, shown: shownTarget(target, path) };
  const archive = extractArchive(bp, cp, path, otherCopies, fetch);
  return transport === undefined ? archive : [...targetTicket(target, bp.options), ...archive];
}

/**
 * The archive a restore takes when no state here says which (a rebuilt machine): the newest that
 * `remote_url`'s dated name finds on the target (see datedSearch), not after `at`; the name of
 * this run's time when the name holds no date that orders them.
 */
export function fetchNewestArchive(
  bp: BoundBackupPoint,
  cp: BoundCollectPoint,
  target: Target,
  at: Date | undefined,
  otherCopies: string,
): ActionDraft[] {
  const search = datedSearch(bp, at, 'files', (path) => shownTarget(target, path));
  return fetchArchive(
    bp,
    cp,
    target,
    target.path,
    otherCopies,
    typeof search === 'string' ? undefined : search,
  );
}
