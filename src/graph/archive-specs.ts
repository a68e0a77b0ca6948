import type { CopyMetadata } from './copy-specs.js';

/** The compressors of the archive formats polyarchiv writes: `.tar.gz`, `.tar.bz2`, `.tar.xz`, `.tar.zst`. */
export type Compression = 'gzip' | 'bzip2' | 'xz' | 'zstd';

/**
 * A directory packed into a compressed tarball: tar streams into the compressor, which writes
 * `partial` (next to `archive`, same filesystem); the partial is decompressed whole, then
 * published over `archive`. A failed, killed or unreadable archive never replaces the previous
 * one; the next run overwrites the partial it left.
 */
export interface PackSpec {
  readonly from: string;
  readonly archive: string;
  readonly partial: string;
  readonly compression: Compression;
  readonly metadata: CopyMetadata;
  /** Paths below `from` left out of the archive, each with everything below it. */
  readonly excludes: readonly string[];
  /** What `from` is judged against before anything is written (see ArchiveGuard). */
  readonly guard?: ArchiveGuard;
  /**
   * The `tar -tv` listing tar writes while it packs, for the guard of the next run: into
   * `partial`, published over `file` after the archive (without `file`, the step that sends the
   * archive elsewhere publishes it once sent).
   */
  readonly listing?: { readonly partial: string; readonly file?: string };
}

/**
 * The archive a collect point's new archive replaces (or follows, for dated archives): a collect
 * point that held files there and is now empty, or lost more than `maxShrinkPercent` of them or
 * of their bytes, is refused unless the plan allows it, as a guarded copy is. What it held is read
 * from `listing`, kept by the run that wrote it, else (a listing lost, or an archive written
 * before listings were kept) from `archive` itself when it is on this host.
 */
export interface ArchiveGuard {
  readonly listing: string;
  readonly archive?: string;
  readonly maxShrinkPercent: number;
  readonly what: string;
}

/** A compressed tarball extracted into `into`, a directory that exists and is empty. */
export interface UnpackSpec {
  readonly archive: string;
  readonly into: string;
  readonly compression: Compression;
  readonly metadata: CopyMetadata;
  /**
   * What a failed extraction means and where to turn, said after the tools' own words: a damaged
   * or cut archive reads the same to a user as a full disk until told what was left unchanged.
   */
  readonly unreadable: string;
}
