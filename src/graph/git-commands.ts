import type { GitCheckoutAtSpec, GitFetchSpec, GitPushSpec, GitRemoteSpec } from './action.js';
import {
  type Command,
  type EnvValue,
  type ExecCommand,
  explained,
  type ToolPaths,
  type Word,
} from './command.js';
import { attributesFile, NEUTRAL_ATTRIBUTES_ARGV } from './git-content.js';
import { underKerberos } from './kerberos-commands.js';
import { shCommand } from './sh-command.js';

/** The variable through which the credential helper receives the http(s) password. */
export const GIT_PASSWORD_VARIABLE = 'POLYARCHIV_GIT_PASSWORD';

/**
 * Answers git's `get` with the password from the environment and ignores `store` and `erase`. The
 * empty helper before it drops the user's helpers, so that none stores the password on disk.
 */
const CREDENTIAL_HELPER = `!f() { test "$1" != get || printf 'password=%s\\n' "$${GIT_PASSWORD_VARIABLE}"; }; f`;

/** The current commit to the remote branch; `--no-verify`: no hook of the user's runs. */
export function gitPushCommands(spec: GitPushSpec, tools: ToolPaths): Command[] {
  return [
    // git's own words for a history without a commit ("src refspec HEAD does not match any")
    // do not say that the collect point is empty.
    {
      kind: 'exec',
      argv: [tools.git ?? 'git', `--git-dir=${spec.gitDir}`, 'rev-parse', '--quiet', '--verify', 'HEAD'],
      stdout: '/dev/null',
      explains: [{ status: 1, message: spec.noCommit }],
    },
    withLoginFailures(spec.remote, {
      kind: 'exec',
      argv: underKerberos(spec.remote.kerberos, tools, [
        tools.git ?? 'git',
        `--git-dir=${spec.gitDir}`,
        ...credentialOptions(spec.remote),
        'push',
        '--quiet',
        '--no-verify',
        '--',
        spec.remote.url,
        `HEAD:refs/heads/${spec.branch}`,
      ]),
      env: remoteEnv(spec.remote, tools),
    }),
  ];
}

/**
 * A command that reaches `remote`, its error output kept until it ends when a refused login can
 * be told by git's words: they then name the options to fix, before any other explanation.
 */
function withLoginFailures(remote: GitRemoteSpec, command: ExecCommand): ExecCommand {
  const failures = remote.loginFailures ?? [];
  if (failures.length === 0) return command;
  return explained(command, [...failures, ...(command.explains ?? [])], {
    kind: 'git',
    of: `${remote.url} ${command.argv.map((w) => JSON.stringify(w)).join(' ')}`,
  });
}

/** git ls-remote --exit-code's status when the remote has no matching ref. */
const LS_REMOTE_NO_MATCH = 2;

/**
 * The repository is created when missing; the fetch writes only FETCH_HEAD, which then becomes the
 * current branch and the files: a failed fetch changes nothing.
 */
export function gitFetchCommands(spec: GitFetchSpec, tools: ToolPaths): Command[] {
  const git = tools.git ?? 'git';
  const gitDir = `--git-dir=${spec.workTree}/.git`;
  const reset = hardReset(git, spec.workTree);
  return [
    // First, whether the remote has the branch at all: git's own words for a missing one
    // ("couldn't find remote ref") do not say that the backup point holds no copy.
    withLoginFailures(spec.remote, {
      kind: 'exec',
      argv: underKerberos(spec.remote.kerberos, tools, [
        git,
        ...credentialOptions(spec.remote),
        'ls-remote',
        '--quiet',
        '--exit-code',
        '--',
        spec.remote.url,
        `refs/heads/${spec.branch}`,
      ]),
      env: remoteEnv(spec.remote, tools),
      stdout: '/dev/null',
      // Outside any repository: no repository around the working directory lends its configuration.
      cwd: '/',
      explains: [
        { status: LS_REMOTE_NO_MATCH, message: spec.missing },
        { status: 'other', message: spec.unreadable },
      ],
    }),
    { kind: 'exec', argv: [git, '-c', 'init.defaultBranch=master', 'init', '-q', spec.workTree] },
    // Before the checkout: the fetched files come back byte for byte, whatever a .gitattributes says.
    { kind: 'make-dir', path: `${spec.workTree}/.git/info` },
    { kind: 'exec', argv: NEUTRAL_ATTRIBUTES_ARGV, stdout: attributesFile(spec.workTree) },
    withLoginFailures(spec.remote, {
      kind: 'exec',
      argv: underKerberos(spec.remote.kerberos, tools, [
        git,
        gitDir,
        ...credentialOptions(spec.remote),
        'fetch',
        '--quiet',
        '--no-tags',
        '--',
        spec.remote.url,
        `refs/heads/${spec.branch}`,
      ]),
      env: remoteEnv(spec.remote, tools),
      explains: [{ status: 'other', message: spec.unreadable }],
    }),
    spec.at === undefined
      ? { kind: 'exec', argv: [...reset, 'FETCH_HEAD'] }
      : resetAt(
          'FETCH_HEAD',
          spec.at,
          [git, gitDir],
          reset,
          `no commit of branch ${spec.branch} of ${spec.shown} was made at or before ${spec.at}: nothing was restored`,
        ),
  ];
}

/** A git collect point's own history: its files set to its last commit made at or before `at`. */
export function gitCheckoutAtCommand(spec: GitCheckoutAtSpec, tools: ToolPaths): Command {
  const git = tools.git ?? 'git';
  const gitDir = `--git-dir=${spec.workTree}/.git`;
  return resetAt(
    'HEAD',
    spec.at,
    [git, gitDir],
    hardReset(git, spec.workTree),
    `no commit of ${spec.workTree} was made at or before ${spec.at}: nothing was restored`,
  );
}

/** `git reset --hard` of the repository of `workTree`, to the commit given after these words. */
const hardReset = (git: string, workTree: string): string[] => [
  git,
  `--git-dir=${workTree}/.git`,
  `--work-tree=${workTree}`,
  'reset',
  '--quiet',
  '--hard',
];

/**
 * The last commit of `head` made at or before `at`, along its first parents (the collect
 * point's own commits; of two of the same second, the later one).
 */
function resetAt(
  head: string,
  at: string,
  git: readonly Word[],
  reset: readonly Word[],
  none: string,
): Command {
  const notAfter = Math.floor(Date.parse(at) / 1000);
  return {
    kind: 'git-reset-at',
    choose: [
      ...git,
      'log',
      '-1',
      '--first-parent',
      `--before=@${notAfter}`,
      '--format=%H%x09%cI',
      head,
      '--',
    ],
    reset,
    none,
  };
}

function credentialOptions(remote: GitRemoteSpec): Word[] {
  if (remote.passwordSecret === undefined) return [];
  return ['-c', 'credential.helper=', '-c', `credential.helper=${CREDENTIAL_HELPER}`];
}

/**
 * git never prompts; ssh gets its words through GIT_SSH_COMMAND, which git runs with sh: each word
 * is quoted for it, so that a key path with spaces or quotes stays one argument.
 */
function remoteEnv(remote: GitRemoteSpec, tools: ToolPaths): Record<string, EnvValue> {
  const env: Record<string, EnvValue> = { GIT_TERMINAL_PROMPT: { literal: '0' } };
  if (remote.sshArgs !== undefined) {
    env.GIT_SSH_COMMAND = { literal: shCommand([tools.ssh ?? 'ssh', ...remote.sshArgs]) };
    // git passes the URL's port as OpenSSH's -p whatever the executable is called.
    env.GIT_SSH_VARIANT = { literal: 'ssh' };
  }
  if (remote.passwordSecret !== undefined) env[GIT_PASSWORD_VARIABLE] = { secret: remote.passwordSecret };
  return env;
}
