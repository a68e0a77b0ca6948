import type { Origin } from '../diag/origin.js';
import type { PackSpec, UnpackSpec } from './archive-specs.js';
import type { EnvValue, Explanation, SecretPart, Word } from './command.js';
import type { DirSwapPaths, RsyncSpec } from './copy-specs.js';
import type { CryptTreeSpec, HashCheckSpec, HashIndexSpec } from './filter-specs.js';
import type { KerberosLogin } from './kerberos-specs.js';
import type {
  ResticBackupSpec,
  ResticForgetSpec,
  ResticRepository,
  ResticRestoreSpec,
} from './restic-specs.js';
import type {
  GetFileSpec,
  GetNewestFileSpec,
  PutFileSpec,
  SyncDirSpec,
  Transport,
} from './transport-specs.js';
import type {
  ApplyModesSpec,
  GitCheckoutAtSpec,
  GitFetchSpec,
  GitlabProjectSpec,
  GitPushSpec,
  SvnCommitSpec,
  SvnRepositorySpec,
  SvnUpdateSpec,
  SvnWorkingCopySpec,
} from './vcs-specs.js';

// The specs of each family of actions live beside this file; importers find them all here too.
export type { ArchiveGuard, Compression, PackSpec, UnpackSpec } from './archive-specs.js';
export type {
  CopyGuard,
  CopyMetadata,
  DirSwapPaths,
  RsyncFilter,
  RsyncRemote,
  RsyncSpec,
} from './copy-specs.js';
export type { CryptTreeSpec, HashCheckSpec, HashIndexSpec, HashMethod } from './filter-specs.js';
export type { KerberosLogin } from './kerberos-specs.js';
export type {
  ResticBackupSpec,
  ResticForgetSpec,
  ResticKeep,
  ResticRepository,
  ResticRestoreSpec,
} from './restic-specs.js';
export type {
  GetFileSpec,
  GetNewestFileSpec,
  NewestFileSearch,
  PutFileSpec,
  RcloneTransport,
  SshTransport,
  SyncDirSpec,
  Transport,
} from './transport-specs.js';
export type {
  ApplyModesSpec,
  GitCheckoutAtSpec,
  GitFetchSpec,
  GitlabProjectSpec,
  GitPushSpec,
  GitRemoteSpec,
  SvnCommitSpec,
  SvnRepositorySpec,
  SvnUpdateSpec,
  SvnWorkingCopySpec,
} from './vcs-specs.js';

/**
 * The action graph: what a plan does, as plain data. Every node carries the config line that
 * produced it. New engines add kinds here; every switch over `kind` is exhaustive, so a kind
 * without a command builder or a description is a compile error.
 */
export type Action = ActionCommon & ActionBody;

/**
 * Files and directories that the unit's steps write only for the unit's own length (a staging
 * copy, a listing read by the next step), beside those its commands declare themselves (a
 * partial, a holding directory: graph/scratch.ts): removed once its steps end, whatever their
 * outcome, so that a failed or interrupted step leaves none of them behind.
 */
export interface ActionScratch {
  readonly scratch?: readonly string[];
}

export interface ActionCommon extends ActionScratch {
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
  | ({ readonly kind: 'load' } & ToolRun & LoadSpec)
  | ({ readonly kind: 'verify-dump' } & VerifyDumpSpec)
  | ({ readonly kind: 'expect-copy' } & ExpectCopySpec)
  | ({
      readonly kind: 'run';
      readonly check?: true;
      /** In a restore, changes the collect point's copy only, to ready it: live data is untouched. */
      readonly readiesCopy?: true;
    } & ToolRun)
  | ({ readonly kind: 'reload-dir' } & ReloadDirSpec)
  | ({ readonly kind: 'confirm' } & ConfirmSpec)
  | ({ readonly kind: 'align-mailboxes' } & MailboxAlignSpec)
  | ({ readonly kind: 'run-if-changed' } & RunIfChangedSpec)
  | ({ readonly kind: 'pack' } & PackSpec)
  | ({ readonly kind: 'unpack' } & UnpackSpec)
  | ({ readonly kind: 'git-push' } & GitPushSpec)
  | ({ readonly kind: 'git-fetch' } & GitFetchSpec)
  | ({ readonly kind: 'git-checkout-at' } & GitCheckoutAtSpec)
  | ({ readonly kind: 'apply-modes' } & ApplyModesSpec)
  | ({ readonly kind: 'gitlab-project' } & GitlabProjectSpec)
  | ({ readonly kind: 'kerberos-ticket' } & KerberosLogin)
  | { readonly kind: 'svn-config'; readonly repository: SvnRepositorySpec }
  | ({ readonly kind: 'svn-checkout' } & SvnWorkingCopySpec)
  | ({ readonly kind: 'svn-commit' } & SvnCommitSpec)
  | ({ readonly kind: 'svn-update' } & SvnUpdateSpec)
  | ({ readonly kind: 'put-file' } & PutFileSpec)
  | ({ readonly kind: 'get-file' } & GetFileSpec)
  | ({ readonly kind: 'get-newest-file' } & GetNewestFileSpec)
  | ({ readonly kind: 'sync-dir' } & SyncDirSpec)
  | { readonly kind: 'delete-archive'; readonly archive: string; readonly transport?: Transport }
  | { readonly kind: 'restic-init'; readonly repository: ResticRepository }
  | {
      readonly kind: 'restic-unlock';
      readonly repository: ResticRepository;
      /** A restore's words for a repository restic cannot open, said after restic's lines. */
      readonly unreadable?: string;
    }
  | ({ readonly kind: 'restic-backup' } & ResticBackupSpec)
  | ({ readonly kind: 'restic-forget' } & ResticForgetSpec)
  | ({ readonly kind: 'restic-restore' } & ResticRestoreSpec)
  | ({ readonly kind: 'hash-index' } & HashIndexSpec)
  | ({ readonly kind: 'verify-hashes' } & HashCheckSpec)
  | ({ readonly kind: 'crypt-tree' } & CryptTreeSpec);

/**
 * A tool run only when a probe says something changed: the probe exits 1 for "changed" (as
 * `git diff --quiet` and `cmp` do), 0 for "nothing to do" (then `unchanged` is said and the step
 * succeeds), anything else fails the step. "Nothing to commit" is thus a success, while every
 * other failure of the tool stays one.
 */
export interface RunIfChangedSpec {
  readonly probe: readonly Word[];
  readonly run: readonly Word[];
  /** Added to the environment of both. */
  readonly env?: Readonly<Record<string, EnvValue>>;
  readonly unchanged: string;
  /** The `[global]` tool that the first word of both `probe` and `run` names (see ToolRun). */
  readonly tool?: string;
}

/**
 * Before a restore step that deletes or overwrites live data: what it replaces, and for a
 * directory the copy that will replace it: its guard is judged first, then the same rsync run
 * with --dry-run itemizes every change before the question. For a directory on a server
 * reached through rclone, `sync` is the push that follows: the same rclone sync with --dry-run
 * names every file it would send or delete (its guard is judged by the push itself).
 */
export interface ConfirmSpec {
  readonly warning: string;
  readonly copy?: RsyncSpec;
  readonly sync?: SyncDirSpec;
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
  /** The work file that receives the users to restore, one a line (`doveadm backup -F`). */
  readonly users: string;
  /** user_mask: the copy's users it restores; undefined: all of them. */
  readonly mask?: string;
  /** The only mailbox restored (the source's `mailbox`): a copy that holds it for no user is refused. */
  readonly mailbox?: string;
  /** The selection in messages, with the options' lines: `user_mask 'a*' (site.collect:9)`. */
  readonly selects: string;
  /** What a copy without the mailbox lacks, in messages: `mailbox 'X' (FILE:LINE) for no user`. */
  readonly lacking: string;
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
  /**
   * Stops the service first; empty: none. A stop that fails changes nothing and skips `start`:
   * the service was not stopped.
   */
  readonly stop: readonly Word[];
  /** Where `stop` is configured, as the failure of a stop names it (`site.collect:7 [source "x"]`). */
  readonly stopOrigin: string;
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
  /** Standard output written to this file (or work file), truncated. */
  readonly stdout?: Word;
  /** Seconds before the tool is stopped (TERM, then KILL 5 seconds later): hooks have one. */
  readonly timeout?: number;
  /** Programs that read the tool's output in turn, as ExecCommand's `pipeline`. */
  readonly pipeline?: readonly (readonly Word[])[];
  /** What failure statuses mean, said before the step fails (a check's "not found"). */
  readonly explains?: readonly Explanation[];
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
  /**
   * The start of the line the tool writes once it has dumped everything, found near the end of
   * every whole dump ('' when the tool writes none): a dump without it is never recorded.
   */
  readonly completeMark: string;
  /**
   * A program the tool's output passes through on its way to `partial` (the script's pipefail,
   * and the executor, fail the step when either fails): it appends an end line to an export whose
   * tool writes none.
   */
  readonly through?: readonly Word[];
}

/**
 * A file fed to a tool's standard input (a restore's dump). With `through`, the file is read by
 * that program instead, whose output the tool reads (a statement made of the dump's first lines).
 */
export interface LoadSpec {
  readonly input: string;
  readonly through?: readonly Word[];
  /** In a restore, reads what it loads to judge it and changes nothing: no live data is touched. */
  readonly check?: true;
  /** A file that `through` writes for a later step of the unit: its scratch, removed as the unit ends. */
  readonly writes?: string;
}

/**
 * A restore's dump judged before anything changes: empty, or without the line that marks a whole
 * dump of its tool near its end, it is refused unless the plan was made with --allow-shrink.
 */
export interface VerifyDumpSpec {
  readonly input: string;
  readonly completeMark: string;
}

/**
 * What a restore needs to find before it goes on, with the words that say what its absence
 * means: `entries`, a directory that holds something (a fetched copy); `path`, a file or
 * directory that exists (a source's part of that copy); `directory`, a directory or nothing (the
 * live directory a copy is restored into, which must not be a file).
 */
export interface ExpectCopySpec {
  readonly expect: 'entries' | 'path' | 'directory';
  readonly path: string;
  readonly missing: string;
  /**
   * What any other failure of the check means (it could not read there: a server gone, a
   * permission denied), said after the tool's own lines: a fetch's check says it. On this host,
   * for `entries` and `path`: what a copy the run's user may not read, or may not even see (a
   * directory above it that it may not search), means, asked first (find and test say nothing
   * else of it than of a missing one; see readableFirst).
   */
  readonly unreadable?: string;
  /**
   * Over ssh, for `entries` and `path`: what a path the server's permissions deny the user ssh
   * logs in as means (find and test there would say it missing), asked there before the look.
   */
  readonly denied?: string;
  /**
   * `path` is on another host, looked at over ssh (a mirror a restore fetches from), or on a
   * server, asked through rclone whether anything is there (`entries` as `path`: an empty copy is
   * found empty once fetched).
   */
  readonly transport?: Transport;
}

export type ActionKind = ActionBody['kind'];

/** An action as an engine returns it, before the lower pass gives it an id and edges. */
export type ActionDraft = ActionBody & ActionScratch & { readonly origin: Origin; readonly summary: string };

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
