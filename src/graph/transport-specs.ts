import type { EnvValue, Explanation, SecretPart } from './command.js';
import type { CopyGuard, CopyMetadata } from './copy-specs.js';
import type { KerberosLogin } from './kerberos-specs.js';

/**
 * Another host holding a backup point's files. ssh: rsync moves the files (its receiver checks
 * each one against a whole-file checksum), ssh runs `mv` and `rm` there.
 */
export interface SshTransport {
  readonly kind: 'ssh';
  /** A host name, an IPv4 address or a bracketed IPv6 address, as rsync wants it. */
  readonly host: string;
  /** ssh's options (BatchMode, port, user, key, the user's options), without the executable. */
  readonly sshArgs: readonly string[];
  /** A Kerberos login from a keytab, under which each command reaches the host (k5start). */
  readonly kerberos?: KerberosLogin;
}

/**
 * A WebDAV, FTP or S3 server, reached by rclone through an on-the-fly remote (`:webdav:PATH`...)
 * set up entirely by rclone's variables: no configuration file, no secret in argv. The passwords
 * rclone wants obscured (`obscured`: rclone's variable -> the secret's variable) are obscured at
 * run time by `rclone obscure -` reading them on its standard input.
 */
export interface RcloneTransport {
  readonly kind: 'rclone';
  readonly remote: ':webdav:' | ':ftp:' | ':s3:';
  /** rclone's settings (RCLONE_WEBDAV_URL...), plain secrets among them (RCLONE_S3_SECRET_ACCESS_KEY). */
  readonly env: Readonly<Record<string, EnvValue>>;
  readonly obscured: Readonly<Record<string, string>>;
  /** How summaries name the server before a path: `https://host:port`, `ftp://host`, `s3:/`. */
  readonly shown: string;
  /**
   * What rclone prints when the server refuses the login, each naming the option to
   * fix: said by every command that reaches the server, whichever first meets the refusal.
   */
  readonly loginFailures?: readonly Explanation[];
  /**
   * WebDAV: the rename is curl's `MOVE` with `Overwrite: T` on `base` + the %-encoded path, its
   * credentials and TLS settings in a curl configuration written to a private work file.
   */
  readonly webdav?: {
    readonly base: string;
    readonly curlConfig: readonly SecretPart[];
    /** Its private work file, one per (backup point, collect point). */
    readonly curlConfigFile: string;
    /** What curl prints when the server refuses the login, naming the option to fix. */
    readonly loginFailures?: readonly Explanation[];
  };
}

export type Transport = SshTransport | RcloneTransport;

/**
 * A local file sent to `remote` through a hidden `partial` beside it: the upload writes the
 * partial only (a killed upload leaves nothing else, and the next upload overwrites it), then one
 * rename on the remote host replaces the previous file. Without `transport`, `remote` is a path
 * of this host. The local file is removed once sent, unless `keepFile` (a state file mirrored);
 * `listing`, the listing of what was sent, is published after the rename.
 */
export interface PutFileSpec {
  readonly file: string;
  readonly transport?: Transport;
  readonly remote: string;
  readonly partial: string;
  readonly listing?: { readonly partial: string; readonly file: string };
  readonly keepFile?: true;
}

/**
 * A directory mirrored by rclone between this host and a WebDAV, FTP or S3 server: `up` makes
 * `remote` like `local` (each file uploaded whole, deletions after every transfer), judged by
 * `guard` first; `down` makes `local` like `remote` (a directory of this host's own, which no
 * guard protects: what reads it judges it). Symbolic links travel as rclone's `.rclonelink` files.
 */
export interface SyncDirSpec {
  readonly direction: 'up' | 'down';
  readonly local: string;
  readonly transport: RcloneTransport;
  readonly remote: string;
  /** Paths below `local` left out (and kept on the other side), each with everything below it. */
  readonly excludes: readonly string[];
  /**
   * Up: a file at the top of `remote` that a step of its own sends (the mirror's manifest of
   * modes): the sync neither sends a local file of that name nor deletes it there.
   */
  readonly ownFile?: string;
  readonly guard?: CopyGuard;
  /**
   * Up: a local file whose modification time marks the start of the last upload that ended well
   * (see syncDirCommands).
   */
  readonly changes?: { readonly stamp: string };
  /** Down, in a restore: the words for a failure to fetch the mirror, after rclone's lines. */
  readonly unreadable?: string;
}

/** A remote file fetched into the local `file` (written aside, renamed in when whole). */
export interface GetFileSpec {
  readonly transport: Transport;
  readonly remote: string;
  readonly file: string;
  /**
   * What it means that the server holds no file there, when rclone finds none to copy (S3, where
   * a key is not asked for before: nothing answers that it is missing).
   */
  readonly missing?: string;
  /** A restore's words for any other failure to fetch it (a server gone), after the tool's lines. */
  readonly unreadable?: string;
}

/**
 * Where the newest file of a dated series is looked for, and how it is told: each path listed
 * below `dir` (at most `depth` levels down, relative to it) that the anchored extended regular
 * expression `pattern` matches is a candidate; the groups `order` names (1-based), joined, are its
 * time, which sorts as text. Not after `notAfter` when it is not empty (the same groups of that
 * time). `shown` is the series as a reader knows it: where the configuration names it (a server's
 * URL, a host), with the time variables.
 */
export interface NewestFileSearch {
  /** What the series holds: archives, or mirrors (directories, listed with a final slash). */
  readonly entries: 'files' | 'directories';
  /**
   * What orders them: the time their names hold, or (names that rotate, without the year) their
   * modification time, which the listing prints in UTC before each path.
   */
  readonly orderBy: 'name' | 'modification';
  readonly dir: string;
  readonly depth: number;
  readonly pattern: string;
  /** The group of `pattern` that holds the path; 0: the whole line. */
  readonly pathGroup: number;
  readonly order: readonly number[];
  readonly notAfter: string;
  /**
   * The name `--at`'s time gives, when the names are coarser than it (a day, an hour): `notAfter`
   * is then the key before it, as that name may be that of a copy made after `--at`. Named as
   * `shown` is.
   */
  readonly passedOver?: string;
  readonly shown: string;
}

/**
 * The newest file or directory of a series on a target (`transport`; absent: this host), found
 * when the step runs, made the local `file`: fetched whole, or on this host linked to where it is.
 * A directory is fetched with its extended attributes and ACLs as `metadata` says.
 */
export interface GetNewestFileSpec {
  readonly transport?: Transport;
  readonly search: NewestFileSearch;
  readonly file: string;
  readonly metadata?: CopyMetadata;
  /** Said after the listing tool's lines when the series cannot be listed. */
  readonly unlisted?: string;
  /** Said after the fetching tool's lines when the newest cannot be fetched. */
  readonly unreadable?: string;
}
