import type { CopyFigures } from '../../graph/command.js';

/**
 * Twin of the awk program that sums a guarded copy's `find -printf '%y %s\n'` listing
 * (`incomingMeasure`): the entries listed plus the top directory, the regular files (`f`), and
 * the bytes of regular files and symbolic links (`l`). Summed here rather than by awk: under a
 * load every process node starts costs a fork and a wait for a core, more than the sum itself.
 */
export function sumTreeListing(listing: string): CopyFigures & { entries: number } {
  const figures = { files: 0, bytes: 0, entries: 1 };
  let start = 0;
  while (start < listing.length) {
    let end = listing.indexOf('\n', start);
    if (end === -1) end = listing.length;
    figures.entries += 1;
    const type = listing[start];
    if (type === 'f') figures.files += 1;
    if (type === 'f' || type === 'l') figures.bytes += Number(listing.slice(start + 2, end));
    start = end + 1;
  }
  return figures;
}
