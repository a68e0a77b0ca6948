import type { CopyFigures } from '../../graph/command.js';

const NEWLINE = 0x0a;
const ZERO = 0x30;
const FILE = 0x66; // f
const LINK = 0x6c; // l

/**
 * Twin of the awk program that sums a guarded copy's `find -printf '%y %s\n'` listing
 * (`incomingMeasure`): the entries listed plus the top directory, the regular files (`f`), and
 * the bytes of regular files and symbolic links (`l`). Summed here rather than by awk: under a
 * load every process node starts costs a fork and a wait for a core, more than the sum itself.
 * The listing is summed piece by piece as find writes it, so that the sum runs beside find's walk
 * instead of after it: what is left when find ends is its last piece.
 */
export class TreeListingSum {
  private files = 0;
  private bytes = 0;
  private entries = 1;
  /** Where the line read so far stands: its type's byte, then its size as far as it came. */
  private type = -1;
  private size = 0;
  private inSize = false;

  add(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      if (byte === NEWLINE) {
        this.endLine();
      } else if (this.type === -1) {
        this.type = byte;
      } else if (this.inSize) {
        this.size = this.size * 10 + (byte - ZERO);
      } else {
        // The space after the type.
        this.inSize = true;
      }
    }
  }

  figures(): CopyFigures & { entries: number } {
    // A last line without its newline still counts, as awk counts it.
    if (this.type !== -1) this.endLine();
    return { files: this.files, bytes: this.bytes, entries: this.entries };
  }

  private endLine(): void {
    this.entries += 1;
    if (this.type === FILE) this.files += 1;
    if (this.type === FILE || this.type === LINK) this.bytes += this.size;
    this.type = -1;
    this.size = 0;
    this.inSize = false;
  }
}

/** The sum of a whole listing (see `TreeListingSum`). */
export function sumTreeListing(listing: string): CopyFigures & { entries: number } {
  const sum = new TreeListingSum();
  sum.add(Buffer.from(listing));
  return sum.figures();
}
