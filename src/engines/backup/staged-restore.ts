import type { Origin } from '../../diag/origin.js';
import type { ActionDraft } from '../../graph/action.js';
import { copyInPlace, copyMetadata } from '../copy-in-place.js';
import type { BoundBackupPoint, BoundCollectPoint } from '../engine.js';
import { leftoverExclusions } from './local-target.js';

/**
 * A restore that fetches the backup point's copy into an empty directory aside (the pair's
 * metadata directory, outside the export tree), then updates the collect point from it in place,
 * guarded like every copy: the collect point is not touched unless the whole copy arrived.
 */
export function restoreThroughStaging(
  bp: BoundBackupPoint,
  cp: BoundCollectPoint,
  how: { readonly from: string; readonly aside: string },
  fetch: (staging: string, origin: Origin) => ActionDraft,
): ActionDraft[] {
  const staging = `${bp.stateFile.slice(0, bp.stateFile.lastIndexOf('/'))}/extracted`;
  const origin = bp.options.origin('remote_url');
  const removeStaging = (summary: string): ActionDraft => ({
    kind: 'run',
    argv: ['rm', '-rf', '--', staging],
    origin,
    summary,
  });
  return [
    removeStaging('remove what an interrupted restore left'),
    { kind: 'mkdir', path: staging, origin, summary: `create ${staging}, ${how.aside}` },
    fetch(staging, origin),
    ...copyInPlace({
      from: staging,
      target: cp.exportDir,
      hardLinks: true,
      metadata: copyMetadata(bp.options),
      // Excluded, hence kept: a source's leftover may hold its last good copy until its next run.
      filters: leftoverExclusions(cp),
      origin,
      maxShrinkPercent: bp.options.integer('max_shrink_percent'),
      what: `the copy of "${cp.name}" ${how.from} backup point "${bp.name}"`,
    }),
    removeStaging(`remove ${staging}`),
  ];
}
