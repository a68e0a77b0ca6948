const stepFailed = (code: string, step: string) => `failed with exit code ${code}: ${step}`;

/**
 * What the bash helpers and their twins in execute/ say, written once. Each message is a
 * function of its values as words: a twin calls it with the values, and the view model renders
 * it for the helper with bash expansions in their place (bash/message-layout.ts).
 */
export const HELPER_MESSAGES = {
  // The copy guard (polyarchiv_judge_shrink, polyarchiv_check_copy, polyarchiv_copy).
  cannotMeasure: (what: string) => `  cannot measure what ${what} would receive:`,
  becomesEmpty: () => 'would become empty',
  shrinksPast: (percent: string) => `would shrink by more than ${percent}% (max_shrink_percent)`,
  // Counts after their nouns read alike for one and for many: `files: 1 now, ...; bytes: 1 now`.
  shrinkFigures: (
    what: string,
    problem: string,
    oldFiles: string,
    oldBytes: string,
    files: string,
    bytes: string,
  ) =>
    `  ${what} ${problem}: files: ${oldFiles} now, ${files} incoming; bytes: ${oldBytes} now, ${bytes} incoming`,
  shrinkAccepted: () => '  accepted: --allow-shrink',
  shrinkRefused: () => '  refused: nothing was changed; run with --allow-shrink if this is expected',
  // An entry of live data that a copy cannot take (polyarchiv_copy): its name is reserved.
  reservedLeftOut: (what: string, entry: string) =>
    `  warning: ${what} leaves out ${entry}: copies hold their updates in directories of that name; rename it to have it backed up, or delete it if an interrupted restore left it`,
  // A file of live data that a restore's holding directory would replace (polyarchiv_check_copy).
  reservedInTheWay: (what: string, entry: string) =>
    `  ${what} holds ${entry}, which the restore would replace with a directory of that name, where copies hold their updates: nothing was changed; rename it, then restore again`,
  // A finished dump judged before it replaces the previous one (polyarchiv_check_dump).
  dumpEmpty: (partial: string) => `dump ${partial} is empty`,
  dumpShrank: (partial: string, old: string, size: string, percent: string) =>
    `dump ${partial} shrank by more than ${percent}%: bytes: ${old} before, ${size} now`,
  dumpWarning: (problem: string) => `  warning: ${problem}`,
  // A dump whose end lacks the line its tool writes once it has dumped everything (a backup's
  // refused whatever on_suspicious_dump says; a restore's refused unless --allow-shrink).
  dumpIncomplete: (partial: string, bytes: string, mark: string) =>
    `dump ${partial} is incomplete: no line of its last ${bytes} bytes starts with '${mark}', the line written once everything is dumped`,
  dumpRefused: (problem: string) => `  refused: ${problem}; the previous dump is kept`,
  dumpNotLoaded: (problem: string) => `  ${problem}`,
  // A service's data directory rebuilt (polyarchiv_dir_reload).
  // Said as the step's why: the service was not stopped, so it is neither changed nor started.
  reloadStopFailed: (rc: string, origin: string, target: string) =>
    `the stop command (stop_command at ${origin}) failed with exit code ${rc}, its output above: the service was not stopped; ${target} is left as it is and the start command is not run`,
  reloadInputMissing: (input: string, target: string) =>
    `  ${input} is missing or empty: ${target} is left as it is`,
  reloadNotDirectory: (target: string) => `  ${target} is not a directory: nothing to replace`,
  // A process still holds files of the directory open: moving them would go on under it.
  reloadInUse: (holder: string, target: string) =>
    `process ${holder} has files in ${target} open: the service still runs (its stop command is empty, did not stop it, or returned before it ended), and would go on with its files moved away from under it; stop it first: nothing was changed, and the start command is not run`,
  reloadLoadFailed: (rc: string, target: string) =>
    `  the load failed with exit code ${rc}: the previous contents of ${target} are put back`,
  reloadOwnerFailed: (target: string) =>
    `  the loaded files could not be given the owner of ${target}: its previous contents are put back`,
  // A GitLab project made sure of (polyarchiv_gitlab_project).
  gitlabExists: (project: string) => `  GitLab project ${project} exists`,
  gitlabCreated: (project: string) => `  GitLab project ${project} created (private)`,
  gitlabRefused: (code: string, what: string, project: string, hint: string) =>
    `  GitLab answered HTTP ${code} to ${what} for project ${project}${hint}`,
  // Live mailboxes read (polyarchiv_dovecot_align).
  cannotRead: (what: string) => `  cannot read ${what}:`,
  unknownMailUser: (user: string) =>
    `  warning: the copy holds the mail of ${user}, whom Dovecot does not know: not restored`,
  // Why the alignment fails (said and recorded as the step's failure: unindented).
  noMailUser: (copyDir: string, selects: string) =>
    `${copyDir} holds the mail of no user that Dovecot knows and ${selects} selects: nothing was changed`,
  noMailbox: (copyDir: string, lacking: string) =>
    `the copy ${copyDir} holds ${lacking}: nothing was changed`,
  // A restic snapshot chosen by its time (polyarchiv_restic_restore_at): its short id.
  snapshotChosen: (shortId: string, time: string) => `  snapshot ${shortId}, taken ${time}`,
  // The commit of a history chosen by its time (polyarchiv_git_reset_at): its short hash.
  commitChosen: (shortHash: string, time: string) => `  commit ${shortHash}, made ${time}`,
  // The revision of a Subversion repository chosen by its run's start (polyarchiv_svn_update_at).
  revisionChosen: (revision: string) => `  revision ${revision}`,
  // The newest file of a dated series, found at run time (polyarchiv_newest_file).
  newestFound: (path: string) => `  the newest there: ${path}`,
  // A tree mapped file by file (polyarchiv_map_tree).
  mapToolFailed: (tool: string, from: string, path: string) => `  ${tool} failed on ${from}/${path}`,
  // A restore confirmed (polyarchiv_confirm), or refused at the start without a way to ask.
  notConfirmed: () => '  not confirmed: nothing was replaced',
  changesNotListed: (more: string, deletions: string) =>
    `  ... and ${more} more not listed (deletions among them: ${deletions})`,
  noTerminalToConfirm: () =>
    'this restore may delete or overwrite live data and there is no terminal to confirm it on: nothing was changed; run it again with --yes (or POLYARCHIV_YES=1)',
  // A hook of a point or of the run (polyarchiv_run_hooks).
  hookFailed: (label: string, event: string, rc: string) =>
    `  ${label} failed on ${event} with exit code ${rc}`,
  // The run's private work directory, made at its start (every unit fails without it).
  workDirFailed: (parent: string, cause: string) =>
    `cannot create a private work directory in ${parent}: ${cause}`,
  workDirLockHeld: (seconds: string, status: string) =>
    `its lock stayed held by another process for ${seconds} s (flock exited with ${status})`,
  // A unit's steps and the run's schedule (polyarchiv_on_error, polyarchiv_unit, polyarchiv_run).
  // A signal is named without its SIG, as bash's trap gives it.
  stepFailed,
  // What the state records of a failure that its command explains: the explanation with it.
  stepFailedBecause: (code: string, step: string, why: string) => `${stepFailed(code, step)}: ${why}`,
  interruptedBy: (signal: string) => `interrupted by SIG${signal}`,
  notRunInterrupted: (unit: string, signal: string) => `${unit}: not run, interrupted by SIG${signal}`,
  skippedAfter: (unit: string, required: string) => `${unit}: skipped, ${required} did not succeed`,
  // What a unit holds and checks (polyarchiv_lock, polyarchiv_guard, polyarchiv_check_config), and
  // why it could not, followed by the system's reason (the last part of its message).
  lockDirFailed: (dir: string, cause: string) => `cannot create ${dir}: ${cause}`,
  lockOpenFailed: (lockFile: string, cause: string) => `cannot open the lock file ${lockFile}: ${cause}`,
  lockFailed: (lockFile: string, cause: string) => `cannot lock ${lockFile}: ${cause}`,
  stateUnreadable: (stateFile: string, cause: string) => `cannot read the state file ${stateFile}: ${cause}`,
  stateNotRecorded: (stateFile: string, cause: string) => `cannot record the state in ${stateFile}: ${cause}`,
  lockBusy: (lockFile: string) => `${lockFile} is locked by another run`,
  stalePlan: (stateFile: string) =>
    `stale plan: ${stateFile} changed since the plan was made; run polyarchiv plan again`,
  configChanged: (dir: string) =>
    `warning: the configuration in ${dir} changed since the plan was made: running the plan as it was reviewed (make a new plan to run the new configuration)`,
} as const;

export type HelperMessages = typeof HELPER_MESSAGES;

/** A signal's name as bash's trap gives it: SIGTERM is TERM. */
export const withoutSig = (signal: string): string => signal.replace(/^SIG/, '');
