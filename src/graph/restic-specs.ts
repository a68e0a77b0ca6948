import type { EnvValue, Explanation, SecretPart } from './command.js';

/** The variable of restic's environment that names the file where its ssh writes its error output. */
export const SSH_ERRORS_VARIABLE = 'POLYARCHIV_SSH_ERRORS';

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
  /**
   * sftp: the ssh command restic runs (`-o sftp.command=`): ssh's words, destination, `-s sftp`,
   * run by `sh` with its error output appended to the work file `sshErrors`, which `sh` finds in
   * the variable SSH_ERRORS_VARIABLE of restic's environment.
   */
  readonly sftpCommand?: readonly string[];
  readonly sshErrors?: string;
  /**
   * What restic (or the ssh it runs) prints when a credential is wrong, each with the words that
   * name the option and its line: restic's status is the same for every failure, and the step's
   * line is remote_url's. Said when any restic command of the repository fails.
   */
  readonly credentialFailures?: readonly Explanation[];
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
  /** Said when the repository holds no snapshot tagged `tag` at all. */
  readonly missing: string;
  /** Said after restic's own lines when its snapshots cannot be listed (the repository damaged or gone). */
  readonly unlisted: string;
  /** Said after restic's own lines when the snapshot chosen cannot be restored whole. */
  readonly unreadable: string;
  /**
   * The newest snapshot the backups recorded (not after `at`): `at` its time; `missing` said when
   * the newest snapshot restic can read is older, and nothing is restored.
   */
  readonly recorded?: { readonly at: string; readonly missing: string };
}
