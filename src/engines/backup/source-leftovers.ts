import type { RsyncFilter } from '../../graph/action.js';
import type { BoundCollectPoint } from '../engine.js';

/**
 * What failed runs of the collect point's sources may have left in its export directory (staging
 * copies), relative to it: never sent to a backup point, and kept on restore.
 */
export function sourceLeftovers(cp: BoundCollectPoint): string[] {
  const root = `${cp.exportDir}/`;
  return cp.sources
    .flatMap((source) => source.engine.leftovers?.(source, cp) ?? [])
    .filter((path) => path.startsWith(root))
    .map((path) => path.slice(root.length));
}

/**
 * The leftovers as rsync filters, each anchored at the transfer root, so that a user's file of
 * the same name elsewhere is still copied.
 */
export function leftoverExclusions(cp: BoundCollectPoint): RsyncFilter[] {
  return sourceLeftovers(cp).map((path) => ({ rule: 'exclude', pattern: `/${path}/` }));
}
