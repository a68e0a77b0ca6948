/**
 * What a bash helper of the script and its TypeScript twin in execute/ agree on, kept in one
 * place: the helper's name, the order of its arguments, the programs it runs and what its exit
 * statuses mean. The bash side is rendered from it (helper-calls.ts lays out the call and the
 * argument lines at the top of each helper in templates/partials/), the twins return its
 * statuses, and test/backends/helper-contracts.test.ts checks each rendered helper against it.
 */

/**
 * `word`: one argument. `argv`: a command, passed as its word count then its words. `rest`: the
 * words that remain, last.
 */
export type ArgKind = 'word' | 'argv' | 'rest';

export interface HelperArg {
  readonly name: string;
  readonly kind: ArgKind;
}

export interface HelperContract {
  /** The bash function. */
  readonly name: string;
  readonly args: readonly HelperArg[];
  /**
   * Programs the helper runs, itself or through the helpers it calls (the commands it is given
   * are not counted).
   */
  readonly tools: readonly string[];
  /** Exit statuses by meaning; any other status is a tool's failure, passed on. */
  readonly statuses: Readonly<Record<string, number>>;
}

export const word = <N extends string>(name: N) => ({ name, kind: 'word' }) as const;
const argv = <N extends string>(name: N) => ({ name, kind: 'argv' }) as const;
export const rest = <N extends string>(name: N) => ({ name, kind: 'rest' }) as const;

/**
 * How long a run waits for its new work directory's lock: another run starting beside it may be
 * looking into the directory (its sweep of dead runs' directories), which takes a moment and
 * leaves an empty directory alone.
 */
export const WORK_DIR_LOCK_WAIT_SECONDS = 10;

/**
 * The empty file a run writes into its work directory once it holds its lock, and leaves there
 * until the directory is removed: a live run's directory is never empty past its first moments,
 * however long the run writes nothing else there.
 */
export const WORK_DIR_MARK = '.run';

/**
 * How long, in minutes, an empty work directory is left unchanged before a sweep removes it: one
 * of a run killed before it wrote its mark (its lock cannot tell: the kernel releases it with the
 * run). A run marks its directory within its lock wait (WORK_DIR_LOCK_WAIT_SECONDS), so one older
 * than this is a dead run's even on a machine that stalls a run for minutes.
 */
export const EMPTY_WORK_DIR_MINUTES = 10;

/**
 * The signals that interrupt a run, as bash's trap names them, and the status a run they
 * interrupted exits with (128 + the signal's number, as a shell reports it): each stops the
 * running tools, lets every unit record its failure, starts nothing more and removes the run's
 * private files. A hang-up (HUP: a closed window, a dropped ssh session) is not one of them: it
 * asks nothing to stop, and a run carries on without its terminal as it does without a reader of
 * its output (what it says is in its log file and its states).
 */
export const INTERRUPTING_SIGNALS = [
  { name: 'INT', status: 130 },
  { name: 'TERM', status: 143 },
] as const;

/** The interrupting signals as the words of a trap: `INT TERM`. */
export const INTERRUPTING_SIGNAL_NAMES = INTERRUPTING_SIGNALS.map((signal) => signal.name).join(' ');

export const HELPERS = {
  makeDir: {
    name: 'polyarchiv_make_dir',
    args: [word('path')],
    tools: ['mkdir'],
    statuses: { made: 0 },
  },
  // A unit's scratch (graph/scratch.ts), removed once its steps end, whatever their outcome.
  scratch: {
    name: 'polyarchiv_scratch',
    args: [rest('paths')],
    // sleep: the wait for a gpg-agent to stop, when the unit has a gpg home (gpgHome).
    tools: ['rm', 'sleep'],
    statuses: { registered: 0 },
  },
  // A private gpg home of the unit (graph/gpg-agents.ts), made at its start; its daemons stopped
  // and the home removed as its steps end, whatever their outcome.
  gpgHome: {
    name: 'polyarchiv_gpg_home',
    args: [word('gpgconf'), word('home')],
    tools: ['mkdir', 'rm', 'sleep'],
    statuses: { registered: 0 },
  },
  createFile: {
    name: 'polyarchiv_create_file',
    args: [word('path')],
    tools: ['rm'],
    statuses: { created: 0 },
  },
  sweepWork: {
    name: 'polyarchiv_sweep_work',
    // PARENT: where the run made its work directory; OWN: that directory, left alone.
    args: [word('parent'), word('own')],
    tools: ['flock', 'rm', 'find'],
    statuses: { swept: 0 },
  },
  lock: {
    name: 'polyarchiv_lock',
    args: [word('lock_file')],
    tools: ['flock', 'mkdir'],
    statuses: { taken: 0, busy: 1, cannot: 2 },
  },
  guard: {
    name: 'polyarchiv_guard',
    args: [word('state_file'), word('expected')],
    tools: ['sha256sum'],
    statuses: { fresh: 0, stale: 1, unreadable: 2 },
  },
  publish: {
    name: 'polyarchiv_publish',
    args: [word('partial'), word('file')],
    tools: ['sync', 'mv'],
    statuses: { published: 0 },
  },
  record: {
    name: 'polyarchiv_record',
    // MEASURE: the directory whose size becomes total_size ('' for none); KEEP_ASIDE: non-empty
    // when the file is corrupt and kept aside; COPIES: the copies' figures, one JSON member a line;
    // MEASURED_PARTS: a file of the parts of MEASURE the copies counted (pattern, bytes; NUL-terminated).
    args: [
      word('file'),
      word('state'),
      word('message'),
      word('measure'),
      word('keep_aside'),
      word('copies'),
      word('measured_parts'),
    ],
    tools: ['du', 'mkdir', 'mv', 'rm', 'sync'],
    statuses: { recorded: 0, failed: 1 },
  },
  dirRecover: {
    name: 'polyarchiv_dir_recover',
    args: [word('target'), word('previous')],
    tools: ['rm', 'mv'],
    statuses: { recovered: 0 },
  },
  dirSwap: {
    name: 'polyarchiv_dir_swap',
    args: [word('staging'), word('target'), word('previous')],
    tools: ['mv', 'sync', 'rm'],
    statuses: { swapped: 0 },
  },
  privateFile: {
    name: 'polyarchiv_private_file',
    args: [word('work_file'), word('owner'), rest('parts')],
    tools: ['chmod', 'chown'],
    statuses: { written: 0 },
  },
  checkDump: {
    name: 'polyarchiv_check_dump',
    args: [
      word('partial'),
      word('previous'),
      word('percent'),
      word('on_suspicious'),
      word('mark'),
      word('end_bytes'),
    ],
    tools: ['stat', 'tail'],
    statuses: { accepted: 0, refused: 1 },
  },
  dirReload: {
    name: 'polyarchiv_dir_reload',
    args: [
      word('target'),
      word('previous'),
      word('input'),
      word('stop_origin'),
      argv('stop'),
      argv('start'),
      rest('load'),
    ],
    tools: ['find', 'mkdir', 'mv', 'chown', 'sync', 'rm', 'rmdir'],
    statuses: { reloaded: 0, refused: 1 },
  },
  confirm: {
    name: 'polyarchiv_confirm',
    args: [word('warning'), argv('explanations'), rest('preview')],
    // awk shows the first lines of the preview through `cat 1>&2`; the kept errors are removed.
    tools: ['awk', 'cat', 'rm'],
    statuses: { confirmed: 0, declined: 1 },
  },
  checkCopy: {
    name: 'polyarchiv_check_copy',
    args: [
      word('percent'),
      word('allow'),
      word('what'),
      argv('incoming'),
      argv('previous'),
      rest('otherwise'),
    ],
    tools: [],
    statuses: { accepted: 0, refused: 1 },
  },
  copy: {
    name: 'polyarchiv_copy',
    args: [
      word('percent'),
      word('allow'),
      word('what'),
      word('key'),
      word('measured'),
      word('unreadable'),
      word('old_files'),
      word('old_bytes'),
      // `listing`: INCOMING_RUN prints a find listing, which the helper sums; `stats`: rsync's figures.
      word('incoming_prints'),
      // Made once the guard has passed (polyarchiv_make_dir), before the copy; empty: none.
      word('make_dir'),
      // Pairs of ~TEXT and MESSAGE: a copy that failed after printing TEXT says MESSAGE.
      argv('explanations'),
      argv('incoming_run'),
      argv('target_run'),
      // The first copy, into a target that holds nothing, is these words without HOLD_UPDATES.
      rest('copy_run'),
    ],
    // awk sums a listing; the error output of a copy with explanations waits in a work file,
    // shown then removed; mkdir makes the holding directory.
    tools: ['awk', 'cat', 'mkdir', 'rm'],
    // Any other status is the copy's own failure, passed on.
    statuses: { copied: 0, refused: 1 },
  },
  execIfChanged: {
    name: 'polyarchiv_exec_if_changed',
    args: [word('message'), word('unreadable'), argv('explanations'), argv('probe'), rest('run')],
    tools: ['cat', 'rm'],
    statuses: { done: 0 },
  },
  resticInit: {
    name: 'polyarchiv_restic_init',
    args: [word('message'), argv('explanations'), argv('probe'), rest('init')],
    tools: [],
    statuses: { ready: 0 },
  },
  logFile: {
    name: 'polyarchiv_log_file',
    args: [word('file')],
    tools: ['tee'],
    statuses: { logging: 0, unwritable: 2 },
  },
  resticRestoreAt: {
    name: 'polyarchiv_restic_restore_at',
    args: [
      word('not_after'),
      word('recorded'),
      word('recorded_missing'),
      word('none'),
      word('unlisted'),
      word('unreadable'),
      // Pairs of ~TEXT and MESSAGE: a restic command that failed after printing TEXT says MESSAGE.
      argv('explanations'),
      argv('list'),
      argv('parse'),
      argv('files'),
      argv('every'),
      rest('restore'),
    ],
    tools: ['mktemp', 'cat', 'rm'],
    // `damaged`: a snapshot file restic could not decode, which it skips with status 0. 6 is
    // neither restic's (0, 1, 3, 10 to 12, 130) nor jq's (0 to 5).
    statuses: { restored: 0, none: 1, damaged: 6 },
  },
  gitResetAt: {
    name: 'polyarchiv_git_reset_at',
    args: [word('none'), argv('choose'), rest('reset')],
    tools: [],
    statuses: { restored: 0, none: 1 },
  },
  newestFile: {
    name: 'polyarchiv_newest_file',
    args: [
      word('pattern'),
      word('path_group'),
      word('order'),
      word('not_after'),
      word('none'),
      word('unlisted'),
      word('unreadable'),
      word('prefix'),
      word('shown_prefix'),
      argv('explanations'),
      argv('list'),
      argv('after'),
      rest('get'),
    ],
    tools: ['cat', 'rm'],
    statuses: { taken: 0, none: 1 },
  },
  gitlabProject: {
    name: 'polyarchiv_gitlab_project',
    args: [
      word('project'),
      word('token_option'),
      word('answer'),
      word('namespace_id'),
      argv('find'),
      argv('namespace'),
      rest('create'),
    ],
    tools: [],
    statuses: { ready: 0, refused: 1 },
  },
  dovecotAlign: {
    name: 'polyarchiv_dovecot_align',
    args: [
      word('copy_dir'),
      word('socket'),
      word('users'),
      word('mask'),
      word('mailbox'),
      word('selects'),
      word('lacking'),
      argv('live'),
      rest('copy'),
    ],
    tools: ['mktemp', 'cat', 'rm'],
    statuses: { aligned: 0, failed: 1, noUser: 2, noMailbox: 3 },
  },
  tolerate: {
    name: 'polyarchiv_tolerate',
    args: [word('status'), word('tolerated')],
    tools: [],
    statuses: { tolerated: 0 },
  },
  afterFailure: {
    name: 'polyarchiv_after_failure',
    // CLEANUP: the command run, best effort, after the one that failed with STATUS.
    args: [word('status'), rest('cleanup')],
    tools: [],
    statuses: {},
  },
  explain: {
    name: 'polyarchiv_explain',
    args: [word('status'), rest('explanations')],
    tools: [],
    statuses: {},
  },
  childErrors: {
    name: 'polyarchiv_child_errors',
    // FILE: where a program that COMMAND starts writes its own error output; PREFIX: before each line.
    args: [word('file'), word('prefix'), rest('command')],
    tools: ['rm'],
    statuses: {},
  },
  explainErrors: {
    name: 'polyarchiv_explain_errors',
    // ERRORS: the file that holds the tool's error output.
    args: [word('status'), word('errors'), rest('explanations')],
    tools: ['cat'],
    statuses: {},
  },
  svnStage: {
    name: 'polyarchiv_svn_stage',
    args: [word('working_copy'), word('targets'), rest('svn')],
    tools: [],
    statuses: { staged: 0 },
  },
  svnUpdateAt: {
    name: 'polyarchiv_svn_update_at',
    args: [
      word('at'),
      word('not_after'),
      word('property'),
      word('none'),
      word('unreadable'),
      word('input'),
      word('target'),
      argv('list'),
      argv('baseline'),
      rest('update'),
    ],
    tools: ['awk'],
    statuses: { updated: 0, none: 3 },
  },
  mapTree: {
    name: 'polyarchiv_map_tree',
    args: [word('from'), word('to'), word('hold'), argv('tool'), rest('excludes')],
    tools: ['find', 'rm', 'mkdir', 'ln', 'chmod', 'chown', 'touch', 'cp', 'mv', 'nproc'],
    statuses: { done: 0 },
  },
  applyModes: {
    name: 'polyarchiv_apply_modes',
    args: [word('manifest'), word('tree')],
    tools: ['mkdir', 'chown', 'chmod', 'mktemp', 'xargs', 'rm'],
    statuses: { applied: 0, failed: 1 },
  },
} as const satisfies Record<string, HelperContract>;

/**
 * The helpers that a script calls beside the commands of its steps (whose helpers toolsOf in
 * graph/command-needs.ts reads): a unit's lock, state guard and record, the sweep of dead runs'
 * work directories, `--log-file`, and what a plain command's (or a restore's copy's) line calls
 * when it fails (its explanation, its cleanup), and the scratch a unit's steps leave when they end.
 */
export const RUN_HELPERS: readonly HelperContract[] = [
  HELPERS.sweepWork,
  HELPERS.lock,
  HELPERS.guard,
  HELPERS.record,
  HELPERS.logFile,
  HELPERS.tolerate,
  HELPERS.explain,
  HELPERS.explainErrors,
  HELPERS.childErrors,
  HELPERS.afterFailure,
  HELPERS.scratch,
  HELPERS.gpgHome,
];

/**
 * Programs that the script's own code runs outside the helpers: the work directory, traps and
 * messages, the units and their schedule, the summary, the hooks' runs. Like each helper's tools,
 * the contract test holds them to what the rendered partials start, Essential programs included.
 */
export const SCRIPT_TOOLS: readonly string[] = [
  'cat',
  'date',
  'flock',
  'mktemp',
  'nproc',
  'rm',
  'sha256sum',
  'sleep',
  'tee',
];

/**
 * What bash runs itself when a script's line or helper names it (`compgen -b` of bash 5.2): no
 * program to install, so never a required tool. Started by another program (xargs, sudo,
 * timeout), or named by a path, the same name is a program.
 */
export const BASH_BUILTINS: ReadonlySet<string> = new Set([
  '.',
  ':',
  '[',
  'alias',
  'bg',
  'bind',
  'break',
  'builtin',
  'caller',
  'cd',
  'command',
  'compgen',
  'complete',
  'compopt',
  'continue',
  'declare',
  'dirs',
  'disown',
  'echo',
  'enable',
  'eval',
  'exec',
  'exit',
  'export',
  'false',
  'fc',
  'fg',
  'getopts',
  'hash',
  'help',
  'history',
  'jobs',
  'kill',
  'let',
  'local',
  'logout',
  'mapfile',
  'popd',
  'printf',
  'pushd',
  'pwd',
  'read',
  'readarray',
  'readonly',
  'return',
  'set',
  'shift',
  'shopt',
  'source',
  'suspend',
  'test',
  'times',
  'trap',
  'true',
  'type',
  'typeset',
  'ulimit',
  'umask',
  'unalias',
  'unset',
  'wait',
]);

/** What every script may run, whatever its steps: the header lists them with the steps' tools. */
export const RUN_TOOLS: readonly string[] = [
  ...new Set([...SCRIPT_TOOLS, ...RUN_HELPERS.flatMap((helper) => helper.tools)]),
].sort();
