import type { Origin } from '../diag/origin.js';
import type { EnvValue, SecretPart, Word } from './command.js';

/**
 * The action graph: what a plan does, as plain data. Every node carries the config line that
 * produced it. New engines add kinds here; every switch over `kind` is exhaustive, so a kind
 * without a command builder or a description is a compile error.
 */
export type Action = ActionCommon & ActionBody;

export interface ActionCommon {
  /** Stable within a plan: `<unit id>/<n>`. */
  readonly id: string;
  readonly origin: Origin;
  /** Ids of actions of the same unit that must run first. */
  readonly after: readonly string[];
  /** One line for people: what this step does. */
  readonly summary: string;
}

export type ActionBody =
  | { readonly kind: 'mkdir'; readonly path: string }
  | ({ readonly kind: 'rsync' } & RsyncSpec)
  | ({ readonly kind: 'recover-dir' } & DirSwapPaths)
  | ({ readonly kind: 'replace-dir' } & DirSwapPaths)
  | {
      readonly kind: 'private-file';
      readonly workFile: string;
      readonly parts: readonly SecretPart[];
      readonly owner?: string;
    }
  | ({ readonly kind: 'dump' } & ToolRun & DumpSpec)
  | ({ readonly kind: 'load' } & ToolRun & { readonly input: string })
  | ({ readonly kind: 'run' } & ToolRun)
  | ({ readonly kind: 'reload-dir' } & ReloadDirSpec)
  | ({ readonly kind: 'confirm' } & ConfirmSpec)
  | ({ readonly kind: 'align-mailboxes' } & MailboxAlignSpec)
  | ({ readonly kind: 'run-if-changed' } & RunIfChangedSpec)
  | ({ readonly kind: 'pack' } & PackSpec)
  | ({ readonly kind: 'unpack' } & UnpackSpec)
  | ({ readonly kind: 'git-push' } & GitPushSpec)
  | ({ readonly kind: 'git-fetch' } & GitFetchSpec)
  | ({ readonly kind: 'gitlab-project' } & GitlabProjectSpec)
  | ({ readonly kind: 'kerberos-ticket' } & KerberosLogin)
  | { readonly kind: 'svn-config'; readonly repository: SvnRepositorySpec }
  | ({ readonly kind: 'svn-checkout' } & SvnWorkingCopySpec)
  | ({ readonly kind: 'svn-commit' } & SvnCommitSpec)
  | ({ readonly kind: 'svn-update' } & SvnWorkingCopySpec)
  | ({ readonly kind: 'put-file' } & PutFileSpec)
  | ({ readonly kind: 'get-file' } & GetFileSpec)
  | ({ readonly kind: 'sync-dir' } & SyncDirSpec)
  | { readonly kind: 'delete-archive'; readonly archive: string; readonly transport?: Transport }
  | { readonly kind: 'restic-init'; readonly repository: ResticRepository }
  | ({ readonly kind: 'restic-backup' } & ResticBackupSpec)
  | ({ readonly kind: 'restic-forget' } & ResticForgetSpec)
  | ({ readonly kind: 'restic-restore' } & ResticRestoreSpec)
  | ({ readonly kind: 'hash-index' } & HashIndexSpec)
  | ({ readonly kind: 'verify-hashes' } & HashCheckSpec)
  | ({ readonly kind: 'crypt-tree' } & CryptTreeSpec);

/**
 * Every regular file of `from` encrypted (or decrypted) with gpg into the same name below `to`,
 * directories and symbolic links alike, with a passphrase read from a private work file; only
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

/**
 * A restic repository as restic reaches it. Its password and the backend's keys are secrets,
 * handed over in restic's environment (added to the inherited one, so PATH and HOME stay), never
 * in argv.
 */
export interface ResticRepository {
  /** `--repo`: a path or a restic location such as `sftp:host:/srv/repo`, without password. */
  readonly url: string;
  /**
   * A location with a password (a REST server's `rest:http://user:password@host/`): restic reads
   * it from a private file (`--repository-file`) instead of `--repo`.
   */
  readonly secretLocation?: readonly SecretPart[];
  /** The secret variable that holds the repository's password (RESTIC_PASSWORD). */
  readonly passwordSecret: string;
  /** The backend's variables (AWS_ACCESS_KEY_ID...), its keys as secrets. */
  readonly env: Readonly<Record<string, EnvValue>>;
  /** sftp: the ssh command restic runs (`-o sftp.command=`): ssh's words, destination, `-s sftp`. */
  readonly sftpCommand?: readonly string[];
}

/**
 * A snapshot of `from`, taken from inside it (its paths are relative: a restore never nests the
 * absolute path), tagged `tag`, dated `time` (`YYYY-MM-DD HH:MM:SS`, the plan's wall-clock time).
 */
export interface ResticBackupSpec {
  readonly repository: ResticRepository;
  readonly from: string;
  readonly tag: string;
  readonly time: string;
  /** Paths below `from` left out, each with everything below it. */
  readonly excludes: readonly string[];
}

/** How many snapshots, hours, days... `restic forget` keeps; 0 turns a rule off, -1 keeps every period. */
export interface ResticKeep {
  readonly last: number;
  readonly hourly: number;
  readonly daily: number;
  readonly weekly: number;
  readonly monthly: number;
  readonly yearly: number;
}

/** `restic forget --prune` of the snapshots tagged `tag` (one group) that no rule of `keep` keeps. */
export interface ResticForgetSpec {
  readonly repository: ResticRepository;
  readonly tag: string;
  readonly keep: ResticKeep;
}

/**
 * The newest snapshot tagged `tag` restored into `into`, an empty directory; with `at` (a
 * timestamp, `--at`), the newest one taken at or before it, which the run finds in the repository.
 */
export interface ResticRestoreSpec {
  readonly repository: ResticRepository;
  readonly tag: string;
  readonly into: string;
  readonly at?: string;
}

/** The checksum tools of the `hashes` filter: `<method>sum`, as coreutils names them. */
export type HashMethod = 'sha1' | 'md5' | 'sha256' | 'sha512';

/** The checksum index `index` (a name at the root of `dir`) checked against the files of `dir`. */
export interface HashCheckSpec {
  readonly dir: string;
  readonly index: string;
  readonly method: HashMethod;
}

/**
 * The checksum index of every regular file below `dir` (sorted by name, in the `sha256sum -b`
 * format), written to `partial` beside a `list` of the names, then published over `dir/index`.
 * The index itself, the copies' holding directories and `excludes` (paths below `dir`) are left out.
 */
export interface HashIndexSpec extends HashCheckSpec {
  readonly list: string;
  readonly partial: string;
  readonly excludes: readonly string[];
}

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
   * WebDAV: the rename is curl's `MOVE` with `Overwrite: T` on `base` + the %-encoded path, its
   * credentials and TLS settings in a curl configuration written to a private work file.
   */
  readonly webdav?: {
    readonly base: string;
    readonly curlConfig: readonly SecretPart[];
    /** Its private work file, one per (backup point, collect point). */
    readonly curlConfigFile: string;
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
 * `guard` first; `down` copies `remote` into `local`, an empty directory. Symbolic links travel as
 * rclone's `.rclonelink` files.
 */
export interface SyncDirSpec {
  readonly direction: 'up' | 'down';
  readonly local: string;
  readonly transport: RcloneTransport;
  readonly remote: string;
  /** Paths below `local` left out (and kept on the other side), each with everything below it. */
  readonly excludes: readonly string[];
  readonly guard?: CopyGuard;
  /**
   * Up: a local file whose modification time marks the start of the last upload that ended well
   * (see syncDirCommands), and `list`, where the names changed since are written during a run.
   */
  readonly changes?: { readonly stamp: string; readonly list: string };
}

/** A remote file fetched into the local `file` (written aside, renamed in when whole). */
export interface GetFileSpec {
  readonly transport: Transport;
  readonly remote: string;
  readonly file: string;
}

/**
 * Another git repository, as git reaches it. Credentials never appear in `url`: an ssh key and
 * options travel in GIT_SSH_COMMAND, an http(s) password in a secret variable that a credential
 * helper reads from the environment.
 */
export interface GitRemoteSpec {
  /** A local path or a URL without password. */
  readonly url: string;
  /** ssh's words after the executable (BatchMode, key, the user's options), for ssh remotes. */
  readonly sshArgs?: readonly string[];
  /** The secret variable that holds the http(s) password. */
  readonly passwordSecret?: string;
  /** A Kerberos login from a keytab, under which git reaches the remote (k5start). */
  readonly kerberos?: KerberosLogin;
}

/**
 * A ticket of the first principal of `keytab` (k5start -U), kept in `ticketCache`, a file of the
 * run's private work directory: the user's own ticket cache is never read nor written.
 */
export interface KerberosLogin {
  readonly keytab: string;
  /** The work file that holds the ticket cache, one per (backup point, collect point) pair. */
  readonly ticketCache: string;
}

/** The current commit of a repository sent to `branch` of the remote, as a fast-forward only. */
export interface GitPushSpec {
  readonly gitDir: string;
  readonly remote: GitRemoteSpec;
  readonly branch: string;
}

/**
 * `branch` of the remote fetched into the repository of the work tree `workTree` (`workTree/.git`,
 * created when missing), whose current branch and files are then set to it. Nothing changes
 * unless the fetch succeeded; the commits it replaces stay in the repository's reflog.
 */
export interface GitFetchSpec {
  readonly workTree: string;
  readonly remote: GitRemoteSpec;
  readonly branch: string;
}

/**
 * A GitLab project made sure to exist before a push, through the v4 REST API at `api` (the
 * instance's URL with its port and path prefix, then `/api/v4`): created private in its namespace
 * when missing. The token is a secret, read by curl from a private file of the work directory.
 */
export interface GitlabProjectSpec {
  readonly api: string;
  /** `namespace/name`, the namespace possibly nested (`group/subgroup/name`). */
  readonly project: string;
  readonly tokenSecret: string;
  /** The prefix of its files in the private work directory, unique to its (backup point, collect point). */
  readonly workFiles: string;
}

/**
 * A Subversion repository as svn reaches it. Credentials never appear in `url` nor in argv: the
 * password reaches svn on its standard input (`--password-from-stdin`), the client certificate's
 * password in the `servers` file of a configuration directory private to the run, where no
 * credential is ever cached.
 */
export interface SvnRepositorySpec {
  /** The repository's URL, without user nor password. */
  readonly url: string;
  readonly username?: string;
  /** The secret variable that holds the password. */
  readonly passwordSecret?: string;
  /** Accept the server's certificate whatever its authority (`ca_cert = any`). */
  readonly trustServerCert?: boolean;
  /** Files of the authorities that sign the server's certificate. */
  readonly caCert?: string;
  readonly clientCert?: string;
  readonly clientCertPasswordSecret?: string;
  /** svn's configuration directory: a directory of the run's work directory, one per collect point. */
  readonly configDir: string;
}

/**
 * A working copy of `repository` at `workingCopy` (a directory, maybe not there yet), reached
 * with the configuration directory that an `svn-config` action of the unit wrote before.
 */
export interface SvnWorkingCopySpec {
  readonly workingCopy: string;
  readonly repository: SvnRepositorySpec;
}

/**
 * Every change of the working copy committed: unversioned files added, missing ones deleted, an
 * entry that changed kind deleted then added; "nothing to commit" is a success.
 */
export interface SvnCommitSpec extends SvnWorkingCopySpec {
  readonly message: string;
}

/**
 * A tool run only when a probe says something changed: the probe exits 1 for "changed" (as
 * `git diff --quiet` and `cmp` do), 0 for "nothing to do" (then `unchanged` is said and the step
 * succeeds), anything else fails the step. "Nothing to commit" is thus a success, while every
 * other failure of the tool stays one.
 */
export interface RunIfChangedSpec {
  readonly probe: readonly Word[];
  readonly run: readonly Word[];
  readonly unchanged: string;
  /** The `[global]` tool that the first word of both `probe` and `run` names (see ToolRun). */
  readonly tool?: string;
}

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
}

/**
 * Before a restore step that deletes or overwrites live data: what it replaces, and for a
 * directory the copy that will replace it: its guard is judged first, then the same rsync run
 * with --dry-run itemizes every change before the question.
 */
export interface ConfirmSpec {
  readonly warning: string;
  readonly copy?: RsyncSpec;
}

/**
 * Before `doveadm backup -R` makes live mailboxes look like a copy (see MailboxAlignCommand): the
 * copy's mailboxes get the live ones' next UID.
 */
export interface MailboxAlignSpec {
  /** One maildir per user (DIR/USER, LAYOUT=fs). */
  readonly copyDir: string;
  /** doveadm and its global options, for the live mailboxes. */
  readonly live: readonly Word[];
  /** The doveadm server's unix socket that reaches the live mailboxes (`-S`); undefined: local. */
  readonly socket?: string;
  /** doveadm and its global options, for the copy (as its owner). */
  readonly copy: readonly Word[];
}

/**
 * A service's data directory rebuilt by a loader (slapadd): the old contents wait in `previous`, a
 * directory inside `target`, until the load succeeds, and come back if it fails; `start` runs on
 * every way out (see DirReloadCommand).
 */
export interface ReloadDirSpec {
  readonly target: string;
  readonly previous: string;
  /** The loader's standard input; a missing or empty file stops the step before anything moves. */
  readonly input: string;
  readonly load: readonly Word[];
  readonly start: readonly Word[];
}

/** A tool run by a source: argv (sudo already prepended when configured) and environment. */
export interface ToolRun {
  readonly argv: readonly Word[];
  /**
   * The `[global]` tool that `argv[0]` names (`git`): the argv builder puts its configured
   * executable (`git_executable`) in its place.
   */
  readonly tool?: string;
  readonly env?: Readonly<Record<string, EnvValue>>;
  readonly cwd?: string;
  /** Seconds before the tool is stopped (TERM, then KILL 5 seconds later): hooks have one. */
  readonly timeout?: number;
}

/**
 * A dump written to `partial`, judged, then renamed over `output`: a failed, killed or
 * suspicious dump never replaces the previous good one.
 */
export interface DumpSpec {
  readonly output: string;
  /** Where the tool writes, on the output's filesystem but outside the exported tree. */
  readonly partial: string;
  readonly maxShrinkPercent: number;
  readonly onSuspicious: 'warn' | 'fail';
}

/** A directory replaced through a staging copy (see DirSwapCommand). */
export interface DirSwapPaths {
  readonly staging: string;
  readonly target: string;
  readonly previous: string;
}

export type ActionKind = ActionBody['kind'];

export interface RsyncFilter {
  readonly rule: 'include' | 'exclude';
  /** A pattern, or `@file` in the config, which becomes `fromFile`. */
  readonly pattern?: string;
  readonly fromFile?: string;
}

export interface RsyncSpec {
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
}

/** An action as an engine returns it, before the lower pass gives it an id and edges. */
export type ActionDraft = ActionBody & { readonly origin: Origin; readonly summary: string };

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
