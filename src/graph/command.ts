import { createHash } from 'node:crypto';
import type { HelperCommand } from './helper-commands.js';

/**
 * What actually runs. Both backends consume the same Commands: the bash backend quotes them, the
 * executor spawns them without a shell. That is what makes the script and `apply` equivalent.
 */
export type Command =
  | ExecCommand
  | MakeDirCommand
  | CreateFileCommand
  | DirSwapCommand
  | PrivateFileCommand
  | DumpCheckCommand
  | CopyCheckCommand
  | CopyCommand
  | PublishFileCommand
  | HelperCommand;

/** Executable paths from `[global]` (`rsync_executable`...), keyed by tool name. */
export type ToolPaths = Readonly<Record<string, string>>;

/**
 * One argv word: literal text, a path in the run's private work directory (created mode 0700
 * by each backend, removed when the run ends), or the time the run started in seconds since the
 * epoch (known only when it runs), each of the last two after a prefix such as `--option=`.
 */
export type Word = string | WorkFileWord | RunStartedWord;

export interface WorkFileWord {
  readonly prefix: string;
  readonly workFile: string;
}

export interface RunStartedWord {
  readonly prefix: string;
  readonly runStarted: 'seconds';
}

export interface ExecCommand {
  readonly kind: 'exec';
  readonly argv: readonly Word[];
  readonly cwd?: string;
  /** Added to the inherited environment. Secrets are references, resolved only at run time. */
  readonly env?: Readonly<Record<string, EnvValue>>;
  /** Standard input read from this file (restores, a password file of the work directory). */
  readonly stdin?: Word;
  /**
   * Standard output written to this file, truncated: a `.partial` that a later rename publishes is
   * created first by a CreateFileCommand, so that it never keeps a leftover's mode. A work file
   * is created mode 0600, as every file of the run.
   */
  readonly stdout?: Word;
  /**
   * The programs that read this one's standard output in turn (`argv | pipeline[0] | ...`), in the
   * same environment and directory; `stdout` is then the last one's. The command fails when any
   * fails, with the status bash's pipefail reports: the last one's that is not zero.
   */
  readonly pipeline?: readonly (readonly Word[])[];
  /**
   * A status besides 0 that means the command did what it is for: rclone's 3, "directory not
   * found", for a deletion whose directory someone already removed.
   */
  readonly alsoSucceedsOn?: number;
  /**
   * Failure statuses whose meaning the tool does not print, each with the words that say it before
   * the step fails with it: rclone's 9, "nothing transferred", for a file the server does not hold.
   */
  readonly explains?: readonly Explanation[];
  /**
   * A work file where the tool's error output waits until it ends (apply keeps it in memory): it
   * is shown then, unless the status is one `explains` says in words, in place of the tool's
   * (rclone's "Failed to lsjson: directory not found" before "... holds no copy ...").
   */
  readonly errorsUntilEnd?: string;
  /**
   * Run when the command fails, its own outcome and output ignored: the removal of what the
   * command leaves on another host, naming only that (an upload's partial, which would else stay
   * there, taking its room, until the next upload replaces it). The command's status is kept.
   */
  readonly cleanupOnFailure?: readonly Word[];
  /** Where a program the tool starts writes its own error output (see ChildErrors). */
  readonly childErrors?: ChildErrors;
}

/**
 * A work file where a program that the tool starts writes its own error output: the ssh that
 * restic runs for sftp, whose lines restic copies through a pipe of its own and may exit before
 * it has copied them, so that a refused key would go unsaid. Removed before the tool runs; once
 * the tool ends, each of its lines is shown after `prefix` (as the tool shows them) on the tool's
 * error output, where the command's explanations read it, then removed.
 */
export interface ChildErrors {
  readonly workFile: string;
  readonly prefix: string;
}

/**
 * A tool's exit status and what it means, in words; `other`: any failure status, for a step whose
 * every failure means one thing (listed last, after the statuses that mean something else).
 */
export interface Explanation {
  readonly status: number | 'other';
  readonly message: string;
  /**
   * Said only when the tool's error output holds this text (of a command with `errorsUntilEnd`),
   * after the tool's own lines, for any failure status that no number explains: what the tool
   * prints tells which option is wrong where its status does not (restic exits 1 for a wrong
   * password as for every other failure). Listed before `other`.
   */
  readonly printed?: string;
}

/**
 * A command whose failures `explains` says in words: what the tool prints of them ("Failed to
 * copyto: directory not found") is held until it ends, in a work file named by the command's kind
 * and a digest of what it is about (units running side by side never share one), and shown only
 * for the statuses that no number of `explains` says, then the words of the text it printed
 * (`printed`) or of any other failure.
 */
export function explained(
  command: ExecCommand,
  explains: readonly Explanation[],
  errors: { readonly kind: string; readonly of: string },
): ExecCommand {
  const digest = createHash('sha256').update(errors.of).digest('hex').slice(0, 16);
  return { ...command, errorsUntilEnd: `${errors.kind}.${digest}.errors`, explains };
}

/** `command` with the words of any failure it does not explain otherwise, when there are some. */
export function orUnreadable(command: ExecCommand, unreadable: string | undefined): ExecCommand {
  if (unreadable === undefined) return command;
  return { ...command, explains: [...(command.explains ?? []), { status: 'other', message: unreadable }] };
}

/**
 * What a command's failure `status` means, when the command says it: the explanation of that
 * status, else the first whose text the tool's error output (`printed`) holds, else `other`.
 */
export function explanationOf(command: ExecCommand, status: number, printed = ''): string | undefined {
  if (status === 0) return undefined;
  const explains = command.explains ?? [];
  return (
    explains.find((e) => e.printed === undefined && e.status === status)?.message ??
    printedExplanation(explains, printed) ??
    explains.find((e) => e.printed === undefined && e.status === 'other')?.message
  );
}

/** The words of the first explanation whose text the tool's output `printed` holds. */
export function printedExplanation(explains: readonly Explanation[], printed: string): string | undefined {
  return explains.find((e) => e.printed !== undefined && printed.includes(e.printed))?.message;
}

/**
 * A variable's value: literal text, a secret (by variable name), or the path of a work file. A
 * secret with `obscuredBy` is handed over as rclone reads passwords: the output of `rclone obscure -`
 * (that executable), which reads the secret on its standard input, never on a command line.
 */
export type EnvValue =
  | { readonly literal: string }
  | { readonly secret: string; readonly obscuredBy?: string }
  | { readonly workFile: string }
  /** The text of a work-directory file written earlier in the run, without its final newlines. */
  | { readonly fileText: string }
  /**
   * When the run started, as its state files date its successes (local time, no offset): git
   * dates a collect point's commits so, and a restore --at finds them by the times recorded. The
   * variable's own value wins when the run's environment sets it (GIT_COMMITTER_DATE=...).
   */
  | { readonly runStarted: true };

/**
 * `mkdir -p` as under umask 022, whatever the run's own umask: every missing directory gets mode
 * 0755, like those the original tool created, so that a restored /srv/www stays reachable through
 * a recreated /srv. Existing directories keep their mode; files keep the run's umask 077.
 */
export interface MakeDirCommand {
  readonly kind: 'make-dir';
  readonly path: string;
}

/**
 * Creates `path` new and empty (O_EXCL, mode 0600 under the run's umask) after removing what a
 * killed run left there: a file opened for writing keeps the mode and owner it already had, which
 * the rename that publishes it would carry over (a dump full of data readable by all, 0644).
 */
export interface CreateFileCommand {
  readonly kind: 'create-file';
  readonly path: string;
}

/**
 * Staged directory replacement, in two halves around the writer that fills `staging`:
 * - `recover`: a run killed between the two renames left `previous` without `target`: put it back;
 *   a run killed after them left a stale `previous`: drop it.
 * - `swap`: `target` -> `previous`, `staging` -> `target`, then drop `previous` (the staged tree
 *   was flushed by a `sync -f` before).
 * The previous good copy exists at every instant.
 */
export interface DirSwapCommand {
  readonly kind: 'dir-recover' | 'dir-swap';
  readonly staging: string;
  readonly target: string;
  readonly previous: string;
}

/**
 * A private file (mode 0600) in the work directory, made of literal text and secret values, for
 * tools that read credentials from a file (mysql --defaults-extra-file, PGPASSFILE...).
 */
export interface PrivateFileCommand {
  readonly kind: 'private-file';
  readonly workFile: string;
  readonly parts: readonly SecretPart[];
  /** A local user who must read it (a tool run through sudo): the file is given to that user. */
  readonly owner?: string;
}

/**
 * Literal text, a secret value with each character of `escape` preceded by a backslash, or the
 * text of a work-directory file written earlier in the run (without its final newlines), escaped
 * the same way, with each line break (CR, LF or CRLF) replaced by `newline`.
 */
export type SecretPart =
  | string
  | { readonly secret: string; readonly escape: string }
  | { readonly fileText: string; readonly escape: string; readonly newline: string };

/**
 * Judges a finished dump before it replaces the previous one: an empty dump, or one that shrank
 * by more than `maxShrinkPercent`, is reported; with `onSuspicious: fail` it also fails the step.
 */
/**
 * A dump judged: a backup's new dump (`partial`) before it replaces `previous` (empty, or shrunk
 * past `maxShrinkPercent`: suspicious, `warn` or `fail` as on_suspicious_dump says), or a
 * restore's dump before it is loaded (`previous` ''; `refuse`, or `allow` with --allow-shrink).
 * With a `completeMark`, a dump that is empty or lacks, in its last DUMP_END_BYTES, a line that
 * starts with it is incomplete: a backup refuses it whatever on_suspicious_dump says.
 */
export interface DumpCheckCommand {
  readonly kind: 'check-dump';
  readonly partial: string;
  readonly previous: string;
  readonly maxShrinkPercent: number;
  readonly onSuspicious: 'warn' | 'fail' | 'refuse' | 'allow';
  readonly completeMark: string;
}

/** How far from its end a whole dump holds its tool's completion line: tail -c reads no more. */
export const DUMP_END_BYTES = 4096;

/**
 * Judges a copy before it changes anything: two rsync dry runs (`--stats`, no file list, into a
 * directory that does not exist) measure the regular files and bytes that would arrive and those
 * the copy holds (or the listing of the archive it replaces, or the `rclone size --json` of a
 * mirror on a server, whose failure counts nothing); a copy that held files and would
 * become empty, or lose more than `maxShrinkPercent` of its files or bytes, fails the step unless
 * `allowShrink`.
 */
export interface CopyCheckCommand {
  readonly kind: 'check-copy';
  readonly incoming: readonly Word[];
  readonly previous: readonly Word[];
  /** Measures the previous side instead when `previous` fails (a kept listing that is missing). */
  readonly otherwise?: readonly Word[];
  readonly maxShrinkPercent: number;
  readonly allowShrink: boolean;
  /** How messages name the copy, e.g. `the copy of source "www"`. */
  readonly what: string;
  /**
   * Added to the environment of every program the check runs (a transport's settings: a mirror's
   * server measured by rclone).
   */
  readonly env?: Readonly<Record<string, EnvValue>>;
}

/** Regular files and their total size in bytes, as rsync's --stats counts them. */
export interface CopyFigures {
  readonly files: number;
  readonly bytes: number;
}

/**
 * An rsync copy in place, judged before it changes anything. What the copy holds is known from
 * `recorded` (the figures the point's state kept from its last successful run), else measured by
 * the `previous` dry run (`--stats`, no file list, into a directory that does not exist). A copy
 * that holds files is judged against what `incoming` counts (an rsync dry run, or a `find`
 * listing that the helper sums): becoming empty, or losing more than `maxShrinkPercent` of its
 * files or bytes, fails the command unless `allowShrink`. A target that holds nothing yet gets the
 * first copy, `copy` without the words that hold updates back (there is nothing to protect;
 * `withoutHolding` in rsync-commands.ts, the script's helper by the same rule); any other gets
 * `copy`. With a `figuresKey`, the figures of the copy's own --stats are kept for the unit's state
 * record.
 */
export interface CopyCommand {
  readonly kind: 'copy';
  readonly incoming: readonly Word[];
  /**
   * `incoming` prints a `find -printf '%y %s\\n'` listing, which the helper sums with awk
   * (polyarchiv_sum_listing) and the executor as it comes (`TreeListingSum`); without it,
   * `incoming` prints rsync's figures.
   */
  readonly incomingListing?: true;
  /** Empty when `recorded` is given. */
  readonly previous: readonly Word[];
  readonly copy: readonly Word[];
  readonly recorded?: CopyFigures;
  /** The copy's key in the state's `copies`, as JSON text: set in units that record a state. */
  readonly figuresKey?: string;
  /**
   * The copy's target as a `du --exclude` pattern, when it lies in the directory whose size the
   * unit records: that size counts the copy by its figures' bytes, not by a second walk.
   */
  readonly measuredPart?: string;
  readonly maxShrinkPercent: number;
  readonly allowShrink: boolean;
  /** How messages name the copy, e.g. `the copy of source "www"`. */
  readonly what: string;
  /** Added to the environment of every program the command runs (a transport's settings). */
  readonly env?: Readonly<Record<string, EnvValue>>;
  /**
   * A restore's words for a copy that fails (not one its guard refused), said after the tool's
   * lines and recorded as the step's failure (`polyarchiv_copy`'s UNREADABLE).
   */
  readonly unreadable?: string;
  /**
   * What the copy's tool prints of failures that have words (a server's refusal of the login):
   * with some, the copy's error output is kept until it ends, shown, and the words of the first
   * text it holds are said in place of `unreadable`'s. The guard's measure of the target says
   * nothing of its failure (the copy says why), so the copy is the one that must name the option.
   */
  readonly explains?: readonly Explanation[];
  /**
   * Made (as MakeDirCommand) once the guard has passed, before the copy: the target's holding
   * directory, which rsync's --temp-dir needs, and the target with it. A refused copy has then
   * changed nothing at its target, not even made a directory there.
   */
  readonly makeDir?: string;
}

/**
 * Replaces `file` with a finished `partial` so that a crash leaves one or the other, whole: the
 * partial's data is flushed to the disk (fsync), renamed over `file`, then the directory is flushed
 * so that the rename itself survives.
 */
export interface PublishFileCommand {
  readonly kind: 'publish-file';
  readonly partial: string;
  readonly file: string;
}

/**
 * The commands of single engines' features (a restore's confirmation, Dovecot's mailboxes, restic,
 * GitLab, Subversion...), each run by a bash helper in the script and its twin in `apply`.
 */
export type * from './helper-commands.js';
