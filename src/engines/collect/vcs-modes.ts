import type { Origin } from '../../diag/origin.js';
import type { ActionDraft } from '../../graph/action.js';
import { MODES_FILE, recordModesRuns } from '../../graph/tree-modes.js';
import type { BoundCollectPoint } from '../engine.js';

/**
 * The manifest of what git or svn cannot hold (modes, owners, empty directories), written after
 * the sources, before the commit that takes it with the files.
 */
export function recordModes(
  cp: BoundCollectPoint,
  metadataName: '.git' | '.svn',
  origin: Origin,
): ActionDraft[] {
  const listing = `${cp.layout.metadataDir}/modes.listing`;
  const { list, sort } = recordModesRuns(cp.layout.importDir, {
    pruned: [metadataName, MODES_FILE],
    listing,
    manifest: `${cp.layout.importDir}/${MODES_FILE}`,
  });
  return [
    {
      kind: 'run',
      ...list,
      // Read by the sort alone: the manifest it writes is what is committed.
      scratch: [listing],
      origin,
      summary: 'list the modes and owners of the collect directory, which the commit cannot hold',
    },
    {
      kind: 'run',
      ...sort,
      origin,
      summary: `write them, sorted, into ${MODES_FILE}, committed with the files`,
    },
  ];
}

/** The manifest's modes and owners given to the checked-out files, and its empty directories made. */
export function applyModes(cp: BoundCollectPoint, origin: Origin): ActionDraft {
  return {
    kind: 'apply-modes',
    workTree: cp.layout.importDir,
    origin,
    summary: `give the collect directory the modes, owners and empty directories that ${MODES_FILE} records`,
  };
}
