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
  | DirReloadCommand
  | ConfirmCommand
  | MailboxAlignCommand
  | ExecIfChangedCommand
  | ResticInitCommand
  | ResticRestoreAtCommand
  | GitlabProjectCommand
  | SvnStageCommand
  | MapTreeCommand;

/**
 * One argv word: literal text, or a path in the run's private work directory (created mode 0700
 * by each backend, removed when the run ends), optionally after a prefix such as `--option=`.
 */
/** Executable paths from `[global]` (`rsync_executable`...), keyed by tool name. */
export type ToolPaths = Readonly<Record<string, string>>;

export type Word = string | WorkFileWord;

export interface WorkFileWord {
  readonly prefix: string;
  readonly workFile: string;
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
   * created first by a CreateFileCommand, so that it never keeps a leftover's mode.
   */
  readonly stdout?: string;
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
}

/** A tool's exit status and what it means, in words. */
export interface Explanation {
  readonly status: number;
  readonly message: string;
}

/** What a command's failure `status` means, when the command says it (its `explains`). */
export function explanationOf(command: ExecCommand, status: number): string | undefined {
  return status === 0 ? undefined : command.explains?.find((e) => e.status === status)?.message;
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
  | { readonly fileText: string };

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
export interface DumpCheckCommand {
  readonly kind: 'check-dump';
  readonly partial: string;
  readonly previous: string;
  readonly maxShrinkPercent: number;
  readonly onSuspicious: 'warn' | 'fail';
}

/**
 * Judges a copy before it changes anything: two rsync dry runs (`--stats`, no file list, into a
 * directory that does not exist) measure the regular files and bytes that would arrive and those
 * the copy holds (or the listing of the archive it replaces); a copy that held files and would
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
 * that holds files is judged against what `incoming` counts (an rsync dry run, or a `find` listing
 * that `incomingSum` adds up): becoming empty, or losing more than
 * `maxShrinkPercent` of its files or bytes, fails the command unless `allowShrink`. A target that
 * holds nothing yet gets `firstCopy`, which does not hold updates back (there is nothing to
 * protect); any other gets `copy`. With a `figuresKey`, the figures of the copy's own --stats are
 * kept for the unit's state record.
 */
export interface CopyCommand {
  readonly kind: 'copy';
  readonly incoming: readonly Word[];
  /** Reads `incoming`'s output and prints its total (`incoming | incomingSum`); empty: none. */
  readonly incomingSum: readonly Word[];
  /**
   * `incoming` prints a `find -printf '%y %s\\n'` listing, which `incomingSum` (awk) adds up; the
   * executor adds it up itself (`sumTreeListing`) rather than start awk.
   */
  readonly incomingListing?: true;
  /** Empty when `recorded` is given. */
  readonly previous: readonly Word[];
  readonly copy: readonly Word[];
  readonly firstCopy: readonly Word[];
  readonly recorded?: CopyFigures;
  /** The copy's key in the state's `copies`, as JSON text: set in units that record a state. */
  readonly figuresKey?: string;
  readonly maxShrinkPercent: number;
  readonly allowShrink: boolean;
  /** How messages name the copy, e.g. `the copy of source "www"`. */
  readonly what: string;
  /** Added to the environment of every program the command runs (a transport's settings). */
  readonly env?: Readonly<Record<string, EnvValue>>;
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
 * Rebuilds a stopped service's data directory `target` with a loader, keeping the old contents:
 * refuse a missing or empty `input`; put back the contents a killed run left in `previous` (a
 * directory inside `target`: `target` itself never moves, it may be a mount point); move the
 * entries of `target` into `previous`; run `load` with `input` on stdin; on success give the new
 * files the owner of `target`, flush its filesystem (`sync -f`) and drop `previous`, on failure
 * put `previous` back; then run
 * `start` on every way out, also when a move failed. Fails when anything before `start` failed or
 * when the start failed.
 */
export interface DirReloadCommand {
  readonly kind: 'dir-reload';
  readonly target: string;
  readonly previous: string;
  readonly input: string;
  readonly load: readonly Word[];
  readonly start: readonly Word[];
}

/**
 * Says what the next steps replace, runs `preview` (a dry run listing the changes) with its output on
 * standard error, then goes on when the run was started with --yes, else asks on the terminal and
 * fails the step unless the answer is yes. A run without a terminal and without --yes is refused
 * before anything starts.
 */
export interface ConfirmCommand {
  readonly kind: 'confirm';
  readonly warning: string;
  readonly preview: readonly Word[];
  /** The collect point's copy the preview compares with the live directory (`--dry` lists it when it exists). */
  readonly fetchedCopy?: string;
}

/**
 * Before `doveadm backup -R` makes the live mailboxes look like the copy `copyDir` (one maildir per
 * user, LAYOUT=fs): a live mailbox that received mail since the backup has a next UID ahead of the
 * copy's, which dsync can only undo by deleting and recreating the mailbox, and INBOX cannot be
 * deleted. So, for each user of the copy, each mailbox that exists on both sides with the same
 * GUID gets the live next UID in the copy when it is ahead (`doveadm mailbox update
 * --min-next-uid`; not the modification sequence: a copy level with the live mailbox would look
 * unchanged to dsync, which would leave the flags changed since the backup); dsync then expunges
 * the new mail and keeps the backed-up messages. Both sides are read with `mailbox status` of
 * `*`, which lists existing mailboxes only (a wiped user's INBOX is not created); users unknown to
 * the userdb are skipped, as dsync skips them. Fails, before any change to the live mailboxes, when
 * a side cannot be read.
 */
export interface MailboxAlignCommand {
  readonly kind: 'align-mailboxes';
  readonly copyDir: string;
  /** doveadm and its global options for the live mailboxes. */
  readonly live: readonly Word[];
  /** The doveadm server's socket (`-S`) that reaches the live mailboxes; empty: local. */
  readonly socket: string;
  /** doveadm and its global options for the copy; the copy's location per user is added. */
  readonly copy: readonly Word[];
}

/**
 * Runs `run` when `probe` exits 1, says `unchanged` when it exits 0, fails otherwise. Both run
 * with `env` added to the inherited environment and `stdin` as their standard input.
 */
export interface ExecIfChangedCommand {
  readonly kind: 'exec-if-changed';
  readonly probe: readonly Word[];
  readonly run: readonly Word[];
  readonly unchanged: string;
  readonly env?: Readonly<Record<string, EnvValue>>;
  readonly stdin?: Word;
}

/**
 * A Subversion working copy made ready to commit: `svn status` lists its entries; the missing
 * ones (`!`) are deleted, those whose kind changed (`~`: a file became a directory...) are deleted
 * from the repository but kept on disk, both through a `--targets` file (no argument list grows
 * with the tree, and each path ends with `@`, so that svn never reads a name's `@` as a peg
 * revision); then every unversioned entry is added (`svn add --force`). `svn` is the executable
 * with its global options; every run has `env` added to the inherited environment.
 */
export interface SvnStageCommand {
  readonly kind: 'svn-stage';
  readonly workingCopy: string;
  /** A file of the work directory, for the paths handed to `svn delete`. */
  readonly targets: Word;
  readonly svn: readonly Word[];
  readonly env: Readonly<Record<string, EnvValue>>;
}

/**
 * A restic repository created when restic says that it does not exist, and only then: `probe`
 * (`restic cat config`) succeeds: `exists` is said; it exits with restic's status for a missing
 * repository (10, restic 0.17 and later), or says that the config file does not exist below
 * "Is there a repository at the following location?" (earlier versions): `init` runs; any other
 * failure (unreachable server, wrong password, lock) fails the step with restic's message and
 * creates nothing. Both run with `env` added to the inherited environment.
 */
export interface ResticInitCommand {
  readonly kind: 'restic-init';
  readonly probe: readonly Word[];
  readonly init: readonly Word[];
  readonly env: Readonly<Record<string, EnvValue>>;
  readonly exists: string;
}

/**
 * The newest snapshot not after `notAfter` (seconds since the epoch; a snapshot's time is counted
 * in whole seconds) restored: `list` (`restic snapshots --json`) prints the snapshots, `parse`
 * (jq) reads that JSON into `SECONDS<TAB>ID<TAB>TIME` lines, the newest one not after `notAfter`
 * is chosen (of equal times, the greatest id: restic lists them in no fixed order), and `restore`
 * runs with its id as last word.
 * When none is, `none` is said and the command fails, restoring nothing. `list` and `restore` run
 * with `env` added to the inherited environment.
 */
export interface ResticRestoreAtCommand {
  readonly kind: 'restic-restore-at';
  readonly notAfter: number;
  readonly list: readonly Word[];
  readonly parse: readonly Word[];
  readonly restore: readonly Word[];
  readonly env: Readonly<Record<string, EnvValue>>;
  readonly none: string;
}

/**
 * A GitLab project created when missing, through three curl requests that each print the HTTP
 * status of their answer: `find` (the project: 200 exists, 404 missing), `namespace` (its
 * namespace, whose answer is written to `answer`: 200 gives the id) and `create` (201 created),
 * which reads the namespace id from `namespaceId`. Any other answer fails the command with a
 * message naming `project` and the status; a curl failure (server down) fails it with curl's status.
 */
export interface GitlabProjectCommand {
  readonly kind: 'gitlab-project';
  readonly project: string;
  readonly answer: Word;
  readonly namespaceId: Word;
  readonly find: readonly Word[];
  readonly namespace: readonly Word[];
  readonly create: readonly Word[];
}

/**
 * Makes the tree `to` hold, for each regular file of the tree `from`, what `tool` writes from it
 * (the tool is given `--output FILE -- INPUT`: gpg), with the input's mode, modification time and
 * (when run as root) owner, and the same directories and symbolic links. A file whose output has
 * the input's modification time and changed after the input did is not written again. Each new
 * output is written in the holding directory `to/hold`, then renamed over the old one; what `from`
 * no longer holds is removed once every file is written. `excludes` are find -path patterns
 * (`./NAME`, wildcards escaped) left out of `from`, with the holding directories at every depth.
 * A failure of the tool names the file and fails the command with the tool's status.
 */
export interface MapTreeCommand {
  readonly kind: 'map-tree';
  readonly from: string;
  readonly to: string;
  readonly hold: string;
  readonly tool: readonly Word[];
  readonly excludes: readonly string[];
}

/** The tools a command needs on the machine that runs it (listed in the script header). */
export function toolsOf(command: Command): string[] {
  switch (command.kind) {
    case 'exec':
      return [...argvTools(command.argv), ...(command.pipeline ?? []).flatMap(argvTools)];
    case 'make-dir':
      return ['mkdir'];
    case 'create-file':
      return ['rm'];
    case 'dir-recover':
    case 'dir-swap':
      return ['mv'];
    case 'private-file':
      return command.owner === undefined ? [] : ['chown'];
    case 'check-dump':
      return ['stat'];
    case 'check-copy':
      return argvTools(command.incoming);
    case 'copy':
      return [...argvTools(command.incoming), ...argvTools(command.incomingSum), ...argvTools(command.copy)];
    case 'publish-file':
      return ['sync', 'mv'];
    case 'dir-reload':
      return ['chown', 'mv', 'sync', ...argvTools(command.load), ...argvTools(command.start)];
    case 'confirm':
      return argvTools(command.preview);
    case 'align-mailboxes':
      return ['mktemp', ...argvTools(command.live)];
    case 'exec-if-changed':
      return [...argvTools(command.probe), ...argvTools(command.run)];
    case 'restic-init':
      return argvTools(command.init);
    case 'restic-restore-at':
      return [...argvTools(command.list), ...argvTools(command.parse)];
    case 'gitlab-project':
      return argvTools(command.find);
    case 'svn-stage':
      return argvTools(command.svn);
    case 'map-tree':
      return ['find', 'touch', ...argvTools(command.tool)];
  }
}

/** The program, and what it runs: the tool after `sudo ... --` and `env NAME=VALUE`, ssh of rsync -e. */
function argvTools(argv: readonly Word[]): string[] {
  const first = argv[0];
  if (typeof first !== 'string' || first === '') return [];
  // xargs runs the tool after its `--`.
  if (/(^|\/)xargs$/.test(first)) {
    const tool = argv[argv.indexOf('--') + 1];
    return typeof tool === 'string' && tool !== '' ? [first, tool] : [first];
  }
  // A tool run under `timeout --kill-after=S SECONDS`: timeout, then the tool.
  if (first === 'timeout') return [first, ...argvTools(argv.slice(3))];
  // Most commands run their tool directly: read the words only when sudo or -e needs them.
  if (first !== 'sudo' && !argv.includes('-e')) return [first];
  const words = argv.map((w) => (typeof w === 'string' ? w : ''));
  const tools = [first];
  if (first === 'sudo') {
    const rest = words.slice(words.indexOf('--') + 1);
    const program = (rest[0] === 'env' ? rest.slice(1) : rest).find(
      (w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w),
    );
    if (program !== undefined && program !== '') tools.push(program);
  }
  const shell = words.indexOf('-e');
  if (shell > 0 && words[shell + 1] !== undefined)
    tools.push((words[shell + 1] as string).split(' ')[0] ?? '');
  return tools.filter((t) => t !== '');
}

/** Names of the secret variables a command needs. */
export function secretsOf(command: Command): string[] {
  switch (command.kind) {
    case 'exec':
    case 'restic-init':
    case 'restic-restore-at':
    case 'exec-if-changed':
    case 'svn-stage':
    case 'copy':
      return command.env === undefined
        ? []
        : Object.values(command.env).flatMap((v) => ('secret' in v ? [v.secret] : []));
    case 'private-file':
      return command.parts.flatMap((p) => (typeof p !== 'string' && 'secret' in p ? [p.secret] : []));
    case 'make-dir':
    case 'create-file':
    case 'dir-recover':
    case 'dir-swap':
    case 'check-dump':
    case 'check-copy':
    case 'publish-file':
    case 'dir-reload':
    case 'confirm':
    case 'align-mailboxes':
    case 'gitlab-project':
    case 'map-tree':
      return [];
  }
}
