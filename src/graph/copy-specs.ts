import type { KerberosLogin } from './kerberos-specs.js';
/** A directory replaced through a staging copy (see DirSwapCommand). */
export interface DirSwapPaths {
  readonly staging: string;
  readonly target: string;
  readonly previous: string;
}

export interface RsyncFilter {
  readonly rule: 'include' | 'exclude';
  /** A pattern, or `@file` in the config, which becomes `fromFile`. */
  readonly pattern?: string;
  readonly fromFile?: string;
}

export interface RsyncSpec {
  /** A restore's words for a copy that fails (CopyCommand.unreadable): guarded copies only. */
  readonly unreadable?: string;
  readonly from: string;
  readonly to: string;
  readonly deleteExtraneous: boolean;
  readonly hardLinks: boolean;
  /** Extended attributes (-X) and POSIX ACLs (-A), kept unless a point or source turns them off. */
  readonly metadata?: CopyMetadata;
  readonly filters: readonly RsyncFilter[];
  /** Unchanged files are hard-linked from here instead of copied (staged replacement). */
  readonly linkDest?: string;
  /**
   * Updates `to` in place: every updated file waits, whole, in a holding directory until the
   * transfer ends, then all are renamed in; deletions come after them. A killed copy leaves every
   * file whole, old or new; the next one removes the holding directories it left.
   */
  readonly inPlace?: boolean;
  /** Measured before it changes anything (see CopyCheckCommand). */
  readonly guard?: CopyGuard;
  /**
   * The target is live data (a restore into a source's directory): a directory there named like
   * the holding directories is the user's, and is never deleted (a leftover of a killed restore
   * stays too). In polyarchiv's own copies such a directory is a leftover, deleted.
   */
  readonly liveTarget?: true;
  /**
   * The source is live data (a source's directory, or a fetched mirror of one): a file or directory
   * there named like the holding directories cannot be copied, and a guarded copy says which it
   * leaves out (rsync names each: --debug=FILTER1, read back by polyarchiv_copy and its twin).
   */
  readonly liveSource?: true;
  /**
   * What the filters leave out is deleted from `to` too (--delete-excluded): a copy of live data
   * into polyarchiv's own tree holds the source as configured now, not what earlier patterns let
   * in. Never on a copy into live data, whose excluded files are the user's.
   */
  readonly deleteExcluded?: true;
  /** One side is on another host, reached through ssh (remote_files); absent for local copies. */
  readonly remote?: RsyncRemote;
}

export interface CopyMetadata {
  readonly xattrs: boolean;
  readonly acls: boolean;
}

export interface CopyGuard {
  readonly maxShrinkPercent: number;
  readonly what: string;
}

/**
 * The far side of an rsync over ssh. `sshArgs` are plain words (no shell syntax): the argv
 * builder quotes each one for rsync's own splitting of `-e`, and rsync's `-s` keeps the remote
 * path away from the remote shell.
 */
export interface RsyncRemote {
  /** Which of `from` and `to` is a path on the remote host. */
  readonly side: 'from' | 'to';
  /** A host name, an IPv4 address or a bracketed IPv6 address. */
  readonly host: string;
  /** ssh's options, without the executable: rsync appends the host and its own command. */
  readonly sshArgs: readonly string[];
  /** A Kerberos login from a keytab, under which rsync reaches the host (k5start). */
  readonly kerberos?: KerberosLogin;
}
