import type { CopyFigures } from '../../graph/command.js';

const FILE = 0x66; // f
const LINK = 0x6c; // l

/**
 * Twin of polyarchiv_sum_listing (its awk program: TREE_LISTING_SUM in tool-conventions.ts), which
 * sums a guarded copy's `find -printf '%y %s\n'` listing (`incomingMeasure`): the entries listed
 * plus the top directory, the regular files (`f`), and the bytes of regular files and symbolic
 * links (`l`). Summed here rather than by awk: under a load every process node starts costs a
 * fork and a wait for a core, more than the sum itself.
 * The listing is summed piece by piece as find writes it, so that the sum runs beside find's walk
 * instead of after it: what is left when find ends is its last piece.
 */
export class TreeListingSum {
  private files = 0;
  private bytes = 0;
  private entries = 1;
  /** The start of a line whose end has not come yet. */
  private rest = '';

  add(chunk: Buffer): void {
    // Line by line, found by indexOf: a loop over every byte took half as long again.
    const text = this.rest + chunk.toString('latin1');
    let { files, bytes, entries } = this;
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      entries += 1;
      const type = text.charCodeAt(start);
      if (type === FILE) files += 1;
      if (type === FILE || type === LINK) bytes += Number(text.slice(start + 2, end));
      start = end + 1;
    }
    this.rest = text.slice(start);
    this.files = files;
    this.bytes = bytes;
    this.entries = entries;
  }

  figures(): CopyFigures & { entries: number } {
    // A last line without its newline still counts, as awk counts it.
    if (this.rest !== '') this.add(Buffer.from('\n'));
    return { files: this.files, bytes: this.bytes, entries: this.entries };
  }
}

/** The sum of a whole listing (see `TreeListingSum`). */
export function sumTreeListing(listing: string): CopyFigures & { entries: number } {
  const sum = new TreeListingSum();
  sum.add(Buffer.from(listing));
  return sum.figures();
}
