// The copies polyarchiv runs for a local_files source and a local synchronize mirror, as the
// benchmarks run them by hand: built by the same functions as polyarchiv's own commands.
import { mkdirSync } from 'node:fs';

import { buildCommands, holdingDir, rsyncArgv } from '../../dist/graph/build-commands.js';

/** A guarded copy in place from `from` to `to`, its holding directory made as polyarchiv makes it. */
export function copySpec(from, to, hardLinks) {
  mkdirSync(holdingDir(to), { recursive: true });
  return {
    kind: 'rsync',
    from,
    to,
    deleteExtraneous: true,
    inPlace: true,
    guard: { maxShrinkPercent: 50, what: 'bench' },
    hardLinks,
    metadata: { xattrs: true, acls: true },
    filters: [],
  };
}

/** The copy's rsync words; a first copy holds nothing back (its target is empty). */
export const copyArgv = (spec, first) => rsyncArgv(spec, 'ssh', !first);

/**
 * The guard's count of the copy's incoming side, as a copy whose figures were recorded runs it:
 * its words (the work directory's path put in) and whether they print a listing that the copy's
 * helper sums (polyarchiv_sum_listing) rather than rsync's figures.
 */
export function incomingCount(spec, workPath) {
  const [judged] = buildCommands(spec, {}, { copyFigures: { [spec.to]: { files: 1, bytes: 1 } } });
  return {
    argv: judged.incoming.map((word) => (typeof word === 'string' ? word : workPath)),
    listing: judged.incomingListing === true,
  };
}
