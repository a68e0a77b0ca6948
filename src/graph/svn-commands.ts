import type { SvnCommitSpec, SvnRepositorySpec, SvnUpdateSpec, SvnWorkingCopySpec } from './action.js';
import {
  type Command,
  type EnvValue,
  type ExecCommand,
  explained,
  type SecretPart,
  type ToolPaths,
  type Word,
} from './command.js';
import type { SvnUpdateAtCommand } from './helper-commands.js';
import { HOLDING_DIR } from './holding-dir.js';

/**
 * The revision property that records when the run that committed a revision started, in seconds
 * since the epoch: svn dates a revision when it is committed, at the end of its run's sources,
 * and a restore --at compares times with the start of runs, as the state files record them.
 */
export const STARTED_REVPROP = 'polyarchiv:started';

/** svn reads and writes file names in the locale's encoding: UTF-8, whatever the caller's locale. */
const SVN_ENV: Readonly<Record<string, EnvValue>> = { LC_ALL: { literal: 'C.UTF-8' } };

/**
 * svn's own configuration for the run, so that nothing of the user's (~/.subversion) applies: no
 * password store, no auto-props that would change what is committed, and only the copies' holding
 * directories ignored (svn's default ignores would leave `*.o`, `*.pyc`... out of the backup).
 */
const CONFIG_TEXT = [
  '[auth]',
  'password-stores =',
  '[miscellany]',
  `global-ignores = ${HOLDING_DIR}`,
  'enable-auto-props = no',
  '',
].join('\n');

/**
 * The working copy checked out when it is not one yet (`.svn` missing): `--force` takes the
 * files already there as local changes. Then it is relocated to the URL, which changes nothing
 * when it is the same, follows a repository that moved (svn checks that its UUID is the same),
 * and refuses another repository: a working copy never commits where remote_url does not say.
 * The working copy's path is taken literally by both (no peg revision); the URL of the checkout
 * gets the empty peg `@` (HEAD).
 */
export function svnCheckoutCommands(spec: SvnWorkingCopySpec, tools: ToolPaths): Command[] {
  const { repository, workingCopy } = spec;
  const stdin = passwordInput(repository);
  return [
    {
      kind: 'exec-if-changed',
      probe: ['test', '-d', `${workingCopy}/.svn`],
      run: [
        ...svn(repository, tools),
        'checkout',
        '--quiet',
        '--force',
        '--ignore-externals',
        ...credentials(repository),
        '--',
        `${repository.url}@`,
        workingCopy,
      ],
      unchanged: 'the working copy exists',
      ...(spec.unreadable === undefined ? {} : { unreadable: spec.unreadable }),
      // The first command that reaches the repository: a refused login names its option here.
      ...(repository.loginFailures === undefined ? {} : { explains: repository.loginFailures }),
      env: SVN_ENV,
      ...(stdin === undefined ? {} : { stdin }),
    },
    remote(
      repository,
      [...svn(repository, tools), 'relocate', ...credentials(repository), '--', repository.url, workingCopy],
      spec.unreadable,
    ),
  ];
}

/** Additions and deletions staged, then one commit; with nothing to commit svn makes no revision. */
export function svnCommitCommands(spec: SvnCommitSpec, tools: ToolPaths): Command[] {
  const { repository, workingCopy } = spec;
  return [
    unnameableRefused(workingCopy, tools),
    {
      kind: 'svn-stage',
      workingCopy,
      targets: configFile(repository, 'targets'),
      svn: svn(repository, tools),
      env: SVN_ENV,
    },
    remote(repository, [
      ...svn(repository, tools),
      'commit',
      '--quiet',
      ...credentials(repository),
      // A message that names a file of the working copy is still a message.
      '--force-log',
      `--message=${spec.message}`,
      { prefix: `--with-revprop=${STARTED_REVPROP}=`, runStarted: 'seconds' },
      '--',
      `${workingCopy}@`,
    ]),
  ];
}

/**
 * find's test for a name svn cannot hold: one that is not UTF-8 (under a UTF-8 locale, `.` matches
 * no invalid byte), or that holds a control character. svn fails on such a name anywhere in the
 * working copy, even in `svn cleanup`, and a failed `svn add` leaves the working copy locked.
 */
const UNNAMEABLE: readonly string[] = ['(', '!', '-regex', '.*', '-o', '-name', '*[[:cntrl:]]*', ')'];

/** The entries of the working copy but its `.svn`, for find. */
const outsideSvn = (workingCopy: string): string[] => ['find', workingCopy, '-name', '.svn', '-prune', '-o'];

/**
 * Before staging: the collect point's copy holds no name svn cannot hold, else the step fails
 * naming the first, before svn is run on it (a failed add would lock the working copy).
 */
function unnameableRefused(workingCopy: string, tools: ToolPaths): ExecCommand {
  return {
    kind: 'exec',
    argv: [...outsideSvn(workingCopy), ...UNNAMEABLE, '-print', '-quit'],
    env: SVN_ENV,
    pipeline: [[tools.awk ?? 'awk', '{ print > "/dev/stderr" } END { exit NR > 0 }']],
    explains: [
      {
        status: 1,
        message:
          'svn cannot hold the name above (not UTF-8, or with a control character such as a line break): rename it in the source, or exclude it; nothing was committed',
      },
    ],
  };
}

/**
 * Entries svn cannot name were never versioned, and stop every svn command on the working copy:
 * removed first, as the strays they are, so that a run after one that refused them (or whose add
 * failed on them) is not stopped by them.
 */
function unnameableRemoved(workingCopy: string): ExecCommand {
  return {
    kind: 'exec',
    argv: [...outsideSvn(workingCopy), ...UNNAMEABLE, '-prune', '-exec', 'rm', '-rf', '--', '{}', '+'],
    env: SVN_ENV,
  };
}

/**
 * The working copy made what the repository holds at HEAD, or at `at`: names svn cannot hold
 * removed, a killed or failed run's locks released, unversioned and ignored entries removed, local changes and additions reverted, then
 * updated. A working copy left at an older revision is brought back to HEAD by the next backup's
 * update, before its sources: its commit is never out of date.
 */
export function svnUpdateCommands(spec: SvnUpdateSpec, tools: ToolPaths): Command[] {
  const { repository, workingCopy } = spec;
  const target = `${workingCopy}@`;
  const local = (words: readonly Word[]): ExecCommand => ({ kind: 'exec', argv: words, env: SVN_ENV });
  const update = [
    ...svn(repository, tools),
    'update',
    '--quiet',
    '--force',
    '--ignore-externals',
    '--accept=theirs-full',
    ...credentials(repository),
  ];
  return [
    unnameableRemoved(workingCopy),
    // svn refuses to remove unversioned entries from a locked working copy: its locks first.
    local([...svn(repository, tools), 'cleanup', '--', target]),
    local([...svn(repository, tools), 'cleanup', '--remove-unversioned', '--remove-ignored', '--', target]),
    local([...svn(repository, tools), 'revert', '--quiet', '--recursive', '--remove-added', '--', target]),
    spec.at === undefined
      ? remote(repository, [...update, '--revision=HEAD', '--', target], spec.unreadable)
      : updateAt(spec, spec.at, update, tools),
  ];
}

/**
 * The update to the revision of the last run that started at or before `at`: listed from the
 * revision svn dates at or before `at` (svn dates a revision to the microsecond: one made during
 * the second of `at` is not after it) to HEAD, each with its date and its run's start.
 */
function updateAt(
  spec: SvnUpdateSpec,
  at: string,
  update: readonly Word[],
  tools: ToolPaths,
): SvnUpdateAtCommand {
  const { repository } = spec;
  const notAfter = Math.floor(Date.parse(at) / 1000);
  const svnAt = `${new Date(notAfter * 1000).toISOString().replace(/\.\d+Z$/, '')}.999999Z`;
  const input = passwordInput(repository);
  const url = `${repository.url}@`;
  return {
    kind: 'svn-update-at',
    at: svnAt,
    notAfter,
    property: STARTED_REVPROP,
    list: [
      ...svn(repository, tools),
      'log',
      '--xml',
      '--with-revprop=svn:date',
      `--with-revprop=${STARTED_REVPROP}`,
      `--revision={${svnAt}}:HEAD`,
      ...credentials(repository),
      '--',
      url,
    ],
    baseline: [
      ...svn(repository, tools),
      'info',
      '--show-item=revision',
      `--revision={${svnAt}}`,
      ...credentials(repository),
      '--',
      url,
    ],
    update,
    target: `${spec.workingCopy}@`,
    ...(input === undefined ? {} : { input }),
    env: SVN_ENV,
    none: `no revision of ${repository.url} was made at or before ${at}: nothing was restored`,
    ...(spec.unreadable === undefined ? {} : { unreadable: spec.unreadable }),
  };
}

/**
 * A command that reaches the repository: the password, if any, on its standard input. A login
 * the server refuses is told by svn's words, which then name the option to fix: its error output
 * is kept until it ends for them.
 */
function remote(repository: SvnRepositorySpec, argv: readonly Word[], unreadable?: string): ExecCommand {
  const stdin = passwordInput(repository);
  const command: ExecCommand = {
    kind: 'exec',
    argv,
    env: SVN_ENV,
    ...(stdin === undefined ? {} : { stdin }),
    ...(unreadable === undefined ? {} : { explains: [{ status: 'other', message: unreadable }] }),
  };
  const failures = repository.loginFailures ?? [];
  if (failures.length === 0) return command;
  return explained(command, [...failures, ...(command.explains ?? [])], {
    kind: 'svn',
    of: `${repository.url} ${argv.map((w) => JSON.stringify(w)).join(' ')}`,
  });
}

/** svn with the options of every command: never a prompt, never a cached credential. */
function svn(repository: SvnRepositorySpec, tools: ToolPaths): Word[] {
  return [
    tools.svn ?? 'svn',
    '--non-interactive',
    '--no-auth-cache',
    { prefix: '--config-dir=', workFile: repository.configDir },
    ...(repository.trustServerCert === true
      ? ['--trust-server-cert-failures=unknown-ca,cn-mismatch,expired,not-yet-valid,other']
      : []),
  ];
}

function credentials(repository: SvnRepositorySpec): string[] {
  return [
    ...(repository.username === undefined ? [] : [`--username=${repository.username}`]),
    ...(repository.passwordSecret === undefined ? [] : ['--password-from-stdin']),
  ];
}

function passwordInput(repository: SvnRepositorySpec): Word | undefined {
  return repository.passwordSecret === undefined ? undefined : configFile(repository, 'password');
}

const configFile = (repository: SvnRepositorySpec, name: string): Word => ({
  prefix: '',
  workFile: `${repository.configDir}/${name}`,
});

/**
 * The configuration directory that the unit's other svn commands use, private to the run (the
 * work directory is), and the files in it: `config`, `servers` (certificates, and the client
 * certificate's password), `password`.
 */
export function svnConfigCommands(repository: SvnRepositorySpec): Command[] {
  const dir = repository.configDir;
  const servers: SecretPart[] = ['[global]\nstore-passwords = no\nstore-auth-creds = no\n'];
  if (repository.caCert !== undefined) servers.push(`ssl-authority-files = ${repository.caCert}\n`);
  if (repository.clientCert !== undefined) servers.push(`ssl-client-cert-file = ${repository.clientCert}\n`);
  if (repository.clientCertPasswordSecret !== undefined)
    servers.push(
      'ssl-client-cert-password = ',
      { secret: repository.clientCertPasswordSecret, escape: '' },
      '\n',
    );
  return [
    { kind: 'exec', argv: ['mkdir', '-p', '--', { prefix: '', workFile: dir }] },
    { kind: 'private-file', workFile: `${dir}/config`, parts: [CONFIG_TEXT] },
    { kind: 'private-file', workFile: `${dir}/servers`, parts: servers },
    ...(repository.passwordSecret === undefined
      ? []
      : [
          {
            kind: 'private-file' as const,
            workFile: `${dir}/password`,
            parts: [{ secret: repository.passwordSecret, escape: '' }],
          },
        ]),
  ];
}
