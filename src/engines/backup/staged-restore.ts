import type { Origin } from '../../diag/origin.js';
import type { ActionDraft } from '../../graph/action.js';
import { copyInPlace, copyMetadata } from '../copy-in-place.js';
import type { BoundBackupPoint, BoundCollectPoint } from '../engine.js';
import { expectFetched } from './expect-fetched.js';
import { applyMirrorModes, MIRROR_MODES_EXCLUSIONS } from './mirror-modes.js';
import { leftoverExclusions } from './source-leftovers.js';

/**
 * A restore that fetches the backup point's copy into an empty directory aside (the pair's
 * metadata directory, outside the export tree), then updates the collect point from it in place,
 * guarded like every copy: the collect point is not touched unless the whole copy arrived.
 * `alsoRemoved`: what the fetch leaves beside the staging directory (a downloaded archive);
 * `within`: the directory of the staging directory the fetch makes the copy (a link to it, or a
 * tree fetched into it), rather than the staging directory itself; `modes`: a mirror fetched from
 * a server, given the modes its manifest records before it is copied (mirror-modes.ts); `kept`:
 * the fetch links a copy the backup point keeps on this host, which the run's user may not read.
 */
export function restoreThroughStaging(
  bp: BoundBackupPoint,
  cp: BoundCollectPoint,
  how: {
    readonly from: string;
    readonly aside: string;
    /** What was fetched, for a message saying that it held nothing: `the archive /srv/site.tar.gz`. */
    readonly copy: string;
    readonly alsoRemoved?: readonly string[];
    readonly within?: string;
    readonly modes?: true;
    readonly kept?: true;
  },
  fetch: (staging: string, origin: Origin) => ActionDraft | readonly ActionDraft[],
): ActionDraft[] {
  const staging = `${bp.stateFile.slice(0, bp.stateFile.lastIndexOf('/'))}/extracted`;
  const fetched = how.within === undefined ? staging : `${staging}/${how.within}`;
  const removed = [staging, ...(how.alsoRemoved ?? [])];
  const origin = bp.options.origin('remote_url');
  const removeStaging = (summary: string): ActionDraft => ({
    kind: 'run',
    argv: ['rm', '-rf', '--', ...removed],
    origin,
    summary,
  });
  return [
    // Also removed when a later step fails: a whole copy of the backup, aside, read by nothing else.
    { ...removeStaging('remove what an interrupted restore left'), scratch: removed },
    { kind: 'mkdir', path: staging, origin, summary: `create ${staging}, ${how.aside}` },
    ...[fetch(fetched, origin)].flat(),
    ...expectFetched(
      bp,
      cp,
      {
        path: fetched,
        shown: fetched,
        detail: `${how.copy} holds nothing`,
        ...(how.kept === true ? { kept: true as const } : {}),
      },
      origin,
    ),
    ...(how.modes === true ? [applyMirrorModes(fetched, bp)] : []),
    ...copyInPlace({
      from: fetched,
      target: cp.exportDir,
      hardLinks: true,
      metadata: copyMetadata(bp.options),
      // Excluded, hence kept: a source's leftover may hold its last good copy until its next run.
      filters: [...leftoverExclusions(cp), ...(how.modes === true ? MIRROR_MODES_EXCLUSIONS : [])],
      origin,
      maxShrinkPercent: bp.options.integer('max_shrink_percent'),
      what: `the copy of "${cp.name}" ${how.from} backup point "${bp.name}"`,
    }),
    removeStaging(`remove ${removed.join(' and ')}`),
  ];
}
