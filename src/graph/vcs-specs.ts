import type { Explanation } from './command.js';
import type { KerberosLogin } from './kerberos-specs.js';
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
  /** What git prints of a login the server refused, naming the options to fix. */
  readonly loginFailures?: readonly Explanation[];
}

/** The current commit of a repository sent to `branch` of the remote, as a fast-forward only. */
export interface GitPushSpec {
  readonly gitDir: string;
  readonly remote: GitRemoteSpec;
  readonly branch: string;
  /** What a repository without a commit means: the collect point has nothing to push yet. */
  readonly noCommit: string;
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
  /**
   * A time (ISO 8601, --at): the files are set to the branch's last commit made at or before it
   * (its committer date), and the fetch fails, changing nothing, when the branch holds none.
   */
  readonly at?: string;
  /** The remote as the plan and messages show it (no password). */
  readonly shown: string;
  /** What a remote without the branch means: the backup point holds no copy of the collect point. */
  readonly missing: string;
  /**
   * What any other failure to list or fetch the branch means (a repository missing or damaged, a
   * server gone), said after git's lines: the collect point's files are not touched yet.
   */
  readonly unreadable: string;
}

/**
 * A git collect point's files set to its own last commit made at or before `at` (ISO 8601, along
 * first parents), read from its repository in `workTree`; none that old fails, changing nothing.
 */
export interface GitCheckoutAtSpec {
  readonly workTree: string;
  readonly at: string;
}

/**
 * The entries of `workTree` given the modes and, run as root, the owners that its manifest
 * records (tree-modes.ts), with the directories it lists that the checkout left out; a working
 * copy without a manifest (committed before one was) is left as it is.
 */
export interface ApplyModesSpec {
  readonly workTree: string;
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
  /** The token's option, as a refusal of the API names it: `option 'api_key' (up.backup:5 [point])`. */
  readonly tokenOption: string;
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
  /** What svn prints of a login the server refused, naming the option to fix. */
  readonly loginFailures?: readonly Explanation[];
}

/**
 * A working copy of `repository` at `workingCopy` (a directory, maybe not there yet), reached
 * with the configuration directory that an `svn-config` action of the unit wrote before.
 */
export interface SvnWorkingCopySpec {
  readonly workingCopy: string;
  readonly repository: SvnRepositorySpec;
  /**
   * A restore's words for a repository that cannot be read (a server gone, a login refused), said
   * after svn's lines when the command that reaches it fails.
   */
  readonly unreadable?: string;
}

/**
 * The working copy made what the repository held at HEAD, or after the last run that started at
 * or before `at` (an instant in UTC, `2026-03-10T03:05:06Z`).
 */
export interface SvnUpdateSpec extends SvnWorkingCopySpec {
  readonly at?: string;
}

/**
 * Every change of the working copy committed: unversioned files added, missing ones deleted, an
 * entry that changed kind deleted then added; "nothing to commit" is a success.
 */
export interface SvnCommitSpec extends SvnWorkingCopySpec {
  readonly message: string;
}
