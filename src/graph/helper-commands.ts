import type { ReloadDirSpec } from './action.js';
import type { ChildErrors, EnvValue, Explanation, Word } from './command.js';
import type { GpgHome } from './gpg-agents.js';

/** The commands of single engines' features, each run by a bash helper and its twin. */
export type HelperCommand =
  | DirReloadCommand
  | ConfirmCommand
  | MailboxAlignCommand
  | ExecIfChangedCommand
  | ResticInitCommand
  | ResticRestoreAtCommand
  | GitResetAtCommand
  | NewestFileCommand
  | GitlabProjectCommand
  | SvnStageCommand
  | SvnUpdateAtCommand
  | MapTreeCommand
  | ApplyModesCommand;

/**
 * Rebuilds a service's data directory `target` with a loader, keeping the old contents: run
 * `stop`; a stop that fails (its failure names `stopOrigin`), or a service that still has files of
 * `target` open, leaves everything as it is and skips `start`; refuse a missing or empty `input`;
 * put back the contents a killed run left in `previous` (a directory inside `target`: `target`
 * itself never moves, it may be a mount point); move the entries of `target` into `previous`; run
 * `load` with `input` on stdin; on success give the new files the owner of `target`, flush its
 * filesystem (`sync -f`) and drop `previous`, on failure put `previous` back; then, the service
 * stopped, run `start` on every way out, also when a move failed, and after a signal, which waits
 * for the service to be started before it ends the unit. Fails when anything before `start`
 * failed or when the start failed.
 */
export type DirReloadCommand = { readonly kind: 'dir-reload' } & ReloadDirSpec;

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
  /** The preview's settings (rclone's, its secrets as references), added to the environment. */
  readonly env?: Readonly<Record<string, EnvValue>>;
  /**
   * The words of texts that a preview which fails may print (`printed`: a login the server
   * refuses, naming the option to fix): its error output is kept until it ends for them.
   */
  readonly explains?: readonly Explanation[];
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
 * the userdb are skipped with a warning. Fails, before any change to the live mailboxes, when a
 * side cannot be read or when no user is left to restore.
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
  /**
   * The work file that receives the users restored next, one a line: the copy's users that match
   * `mask` and that Dovecot knows. A live user the copy does not hold is never restored (`-A`
   * would make their mailboxes look like an empty copy).
   */
  readonly users: string;
  /** user_mask as a bash pattern (every character but `*` and `?` escaped); empty: every user. */
  readonly mask: string;
  /**
   * The only mailbox restored, as doveadm names it (INBOX in capitals); empty: every mailbox.
   * Before anything changes, a copy that holds it for none of its users is refused.
   */
  readonly mailbox: string;
  /** The selection, as the messages name it (noMailUser). */
  readonly selects: string;
  /** What a copy without the mailbox lacks, as the messages say it (noMailbox). */
  readonly lacking: string;
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
  /** A restore's words for a `run` that fails (a repository it cannot read), said after its own lines. */
  readonly unreadable?: string;
  /**
   * The words of texts that a `run` which fails may print (`printed`: a refused login, naming the
   * option to fix), said in place of `unreadable`: its error output is kept until it ends for them.
   */
  readonly explains?: readonly Explanation[];
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
  /** Texts the probe's failure may print, each with the words that name the option it means. */
  readonly explains: readonly Explanation[];
  readonly probe: readonly Word[];
  readonly init: readonly Word[];
  readonly env: Readonly<Record<string, EnvValue>>;
  readonly exists: string;
  /** Where the ssh that restic runs writes its error output, shown after each restic command. */
  readonly childErrors?: ChildErrors;
}

/**
 * The newest snapshot not after `notAfter` (seconds since the epoch; a snapshot's time is counted
 * in whole seconds) restored: `list` (`restic snapshots --json`) prints the snapshots, `parse`
 * (jq) reads that JSON into `SECONDS<TAB>ID<TAB>TIME` lines, the newest one not after `notAfter`
 * (without it, the newest) is chosen (of equal times, the greatest id: restic lists them in no fixed order), and `restore`
 * runs with its id as last word.
 * When none is, `none` is said and the command fails, restoring nothing. `list` and `restore` run
 * with `env` added to the inherited environment.
 */
export interface ResticRestoreAtCommand {
  readonly kind: 'restic-restore-at';
  /**
   * Texts a restic command's failure may print, each with the words that name the option it means,
   * said instead of `unlisted` or `unreadable`: restic's error output is kept until it ends.
   */
  readonly explains: readonly Explanation[];
  readonly notAfter?: number;
  /**
   * The time (seconds) of the newest snapshot the backups recorded, not after `notAfter`. When
   * the one chosen is older, that snapshot is gone or could not be decoded (restic skips such a
   * file and exits 0): an older copy would be restored in its place without a word, so
   * `recordedMissing` is said and the command fails (status `damaged`), restoring nothing.
   */
  readonly recorded?: number;
  readonly recordedMissing?: string;
  readonly list: readonly Word[];
  readonly parse: readonly Word[];
  /**
   * Run only when none is chosen, as restic skips a snapshot file it cannot decode and still
   * exits 0: `files` (`restic list snapshots`) prints the ids of the snapshot files, which it does
   * not decode; when there are some, `every` prints the snapshots of every tag as `list` does.
   * A file whose snapshot `every` does not print could not be read, and may be the copy:
   * `unlisted` is said and the command fails (status `damaged`), not `none`.
   */
  readonly files: readonly Word[];
  readonly every: readonly Word[];
  readonly restore: readonly Word[];
  readonly env: Readonly<Record<string, EnvValue>>;
  readonly none: string;
  /**
   * Said, and recorded with the failure, when `list` fails or a snapshot file could not be
   * decoded: the repository could not be read.
   */
  readonly unlisted: string;
  /** Said, and recorded with the failure, when `restore` fails: what was left as it was, where to turn. */
  readonly unreadable: string;
  /** Where the ssh that restic runs writes its error output, shown after each restic command. */
  readonly childErrors?: ChildErrors;
}

/**
 * A Subversion working copy updated to the revision of the last run that started at or before a
 * time. `list` prints, as `svn log --xml` with the revision properties `svn:date` and
 * `polyarchiv:started` (the run's start, in seconds since the epoch), the revisions from the one
 * svn dates at or before `at` (as svn prints dates) to HEAD; the last one whose run started by
 * `notAfter`, or without that property that svn dates by `at`, is taken. When none of them is,
 * `baseline` prints the revision svn dates at or before `at` (0: none). `update` then runs with
 * `--revision=N`, `--` and `target`; when there is none, `none` is said and the command fails,
 * changing nothing. Each svn command reads `input` (the password file), when there is one.
 */
export interface SvnUpdateAtCommand {
  readonly kind: 'svn-update-at';
  readonly at: string;
  readonly notAfter: number;
  /** The revision property that holds a run's start. */
  readonly property: string;
  readonly list: readonly Word[];
  readonly baseline: readonly Word[];
  readonly update: readonly Word[];
  readonly target: string;
  readonly input?: Word;
  readonly env: Readonly<Record<string, EnvValue>>;
  readonly none: string;
  /** A restore's words for an svn command that fails (a revision it cannot read), said after its lines. */
  readonly unreadable?: string;
}

/**
 * A work tree set to the last commit of a history made at or before a time: `choose` prints that
 * commit as `HASH<TAB>TIME` (git log -1 --before), or nothing when the history holds none that
 * old; `reset` then runs with the hash as its last word. When none is, `none` is said and the
 * command fails, changing nothing.
 */
export interface GitResetAtCommand {
  readonly kind: 'git-reset-at';
  readonly choose: readonly Word[];
  readonly reset: readonly Word[];
  readonly none: string;
}

/**
 * The newest file (or directory, for mirrors) of a dated series taken: `list` prints paths, one
 * per line, each after its time when the series is ordered by modification time; of those that the
 * extended regular expression `pattern` matches, the one whose groups `order` (1-based), joined,
 * sort last as text is the newest (of equal times, the greatest path), not after `notAfter` when
 * it is not empty. `get` runs with `prefix` and that path as one word, then the words of `after`.
 * When none is, `none` is said and the command fails, taking nothing. `list` and `get` run with
 * `env` added to the inherited environment.
 */
export interface NewestFileCommand {
  readonly kind: 'newest-file';
  readonly pattern: string;
  /** The group of `pattern` that holds the path; 0: the whole line. */
  readonly pathGroup: number;
  readonly order: readonly number[];
  readonly notAfter: string;
  readonly none: string;
  /** A restore's words for a listing that fails (its server gone, a permission denied), said after its lines. */
  readonly unlisted?: string;
  /** A restore's words for a fetch of the newest that fails, said after its lines. */
  readonly unreadable?: string;
  /**
   * The words of texts that a listing or a fetch which fails may print (`printed`: a login the
   * server refuses, naming the option to fix), said in place of `unlisted` and `unreadable`: the
   * error output of both is kept until each ends for them.
   */
  readonly explains?: readonly Explanation[];
  readonly list: readonly Word[];
  readonly get: readonly Word[];
  readonly prefix: string;
  /**
   * How the newest is named when it is said: `prefix`'s place as the configuration names it (a
   * server's URL, not rclone's on-the-fly remote), before the chosen path.
   */
  readonly shownPrefix: string;
  readonly after: readonly Word[];
  readonly env?: Readonly<Record<string, EnvValue>>;
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
  /** The token's option, as a refusal of the API names it: `option 'api_key' (up.backup:5 [point])`. */
  readonly tokenOption: string;
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
 * output is written in the holding directory `to/hold`, then renamed over the old one; the tool
 * runs on up to one file per CPU at a time; what `from` no longer holds is removed once every file
 * is written. `excludes` are find -path patterns
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
  /** The private home the tool (gpg) runs in, whose daemons the unit stops as it ends. */
  readonly gpgHome?: GpgHome;
}

/**
 * The entries of `tree` given the modes and, run as root, the owners that `manifest` records
 * (MODES_FORMAT in tree-modes.ts): the directories it lists that are missing are made first,
 * directories get theirs last, the deepest first (a directory closed to its owner is filled
 * before). Entries the tree does not hold, and a missing manifest, are left alone.
 */
export interface ApplyModesCommand {
  readonly kind: 'apply-modes';
  readonly manifest: string;
  readonly tree: string;
}
