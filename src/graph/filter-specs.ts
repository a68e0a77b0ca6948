/**
 * Every regular file of `from` encrypted (or decrypted) with gpg into the same name below `to`,
 * directories, symbolic links, named pipes, sockets and devices copied as they are, with a passphrase read from a private work file; only
 * files that changed since their last run are written again, and what `from` no longer holds is
 * removed from `to` last (see MapTreeCommand).
 */
export interface CryptTreeSpec {
  readonly direction: 'encrypt' | 'decrypt';
  readonly gpg: string;
  /** The work file that holds the passphrase (written by a private-file action before). */
  readonly passphraseFile: string;
  readonly from: string;
  readonly to: string;
  /** Paths below `from` never read. */
  readonly excludes: readonly string[];
}

/** The checksum tools of the `hashes` filter: `<method>sum`, as coreutils names them. */
export type HashMethod = 'sha1' | 'md5' | 'sha256' | 'sha512';

/**
 * The checksum index `index` (a name at the root of `dir`) checked against the files of `dir`:
 * every file it lists, and every regular file of `dir` listed in it; and the link index `links`
 * (beside it, listed in it) against the symbolic links of `dir`. The index itself, the copies'
 * holding directories and `excludes` (paths below `dir`) are left out, as when it was written.
 */
export interface HashCheckSpec {
  readonly dir: string;
  readonly index: string;
  readonly links: string;
  readonly method: HashMethod;
  readonly excludes: readonly string[];
}

/**
 * The checksum index of every regular file below `dir` (sorted by name, in the `sha256sum -b`
 * format), written to `partial`, then published over `dir/index`;
 * before it, the link index of every symbolic link, published over `dir/links`.
 */
export interface HashIndexSpec extends HashCheckSpec {
  readonly partial: string;
}
