import type {
  ResticBackupSpec,
  ResticForgetSpec,
  ResticKeep,
  ResticRepository,
  ResticRestoreSpec,
} from './action.js';
import {
  type ChildErrors,
  type Command,
  type EnvValue,
  type ExecCommand,
  type Explanation,
  explained,
  type SecretPart,
  type ToolPaths,
  type Word,
} from './command.js';
import { SSH_ERRORS_VARIABLE } from './restic-specs.js';

/**
 * A count restic 0.14 takes for "every period": it reads -1 as a count of zero periods and then
 * forgets them all, and it knows no `unlimited`.
 */
export const RESTIC_EVERY = 2_147_483_647;

const KEEP_FLAGS: readonly (readonly [keyof ResticKeep, string])[] = [
  ['last', '--keep-last'],
  ['hourly', '--keep-hourly'],
  ['daily', '--keep-daily'],
  ['weekly', '--keep-weekly'],
  ['monthly', '--keep-monthly'],
  ['yearly', '--keep-yearly'],
];

/** The repository exists (restic cat config), else it is created; see ResticInitCommand. */
export function resticInitCommands(repository: ResticRepository, tools: ToolPaths): Command[] {
  return [
    ...locationFile(repository),
    {
      kind: 'restic-init',
      explains: repository.credentialFailures ?? [],
      probe: [...restic(repository, tools), 'cat', 'config'],
      init: [...restic(repository, tools), 'init'],
      env: resticEnv(repository),
      exists: 'the repository exists',
      ...childErrorsOf(repository),
    },
  ];
}

/**
 * `restic unlock`: removes the locks that restic processes which are gone left in the repository
 * (a run killed while restic worked: a lock of a dead process on this host, or one not refreshed
 * for 30 minutes), which would make every later backup, forget or restore fail until someone
 * unlocks it. Locks of live processes stay (no `--remove-all`). The first command of a backup or a
 * restore that opens the repository: a wrong credential is said here, naming its option's line,
 * as by every later restic command of the unit.
 */
export function resticUnlockCommands(
  repository: ResticRepository,
  tools: ToolPaths,
  unreadable?: string,
): Command[] {
  const explains = [
    ...(repository.credentialFailures ?? []),
    ...(unreadable === undefined ? [] : [{ status: 'other' as const, message: unreadable }]),
  ];
  return [
    ...locationFile(repository),
    explainedAs('restic-unlock', repository, resticExec(repository, tools, ['unlock']), explains),
  ];
}

/**
 * A restic command that names the option a wrong credential comes from, whichever command of the
 * unit first meets it: each opens the repository anew (a key removed, a server that refuses the
 * login between two commands).
 */
function withCredentialFailures(
  repository: ResticRepository,
  kind: string,
  command: ExecCommand,
): ExecCommand {
  return explainedAs(kind, repository, command, repository.credentialFailures ?? []);
}

function explainedAs(
  kind: string,
  repository: ResticRepository,
  command: ExecCommand,
  explains: readonly Explanation[],
): ExecCommand {
  if (explains.length === 0) return command;
  // Pairs that share the repository may run side by side: each has its password's variable.
  return explained(command, explains, { kind, of: `${repository.url} ${repository.passwordSecret}` });
}

/** Run from inside `from`, so that the snapshot holds `.`: paths relative to the collect point. */
export function resticBackupCommands(spec: ResticBackupSpec, tools: ToolPaths): Command[] {
  return [
    ...locationFile(spec.repository),
    withCredentialFailures(
      spec.repository,
      'restic-backup',
      resticExec(
        spec.repository,
        tools,
        [
          'backup',
          '--tag',
          spec.tag,
          '--time',
          spec.time,
          // restic matches exclusions against absolute paths, as globs.
          ...spec.excludes.flatMap((path) => ['--exclude', globEscape(`${spec.from}/${path}`)]),
          '.',
        ],
        spec.from,
      ),
    ),
  ];
}

/** One group per collect point: its tag selects the snapshots, `--group-by tags` makes them one group. */
export function resticForgetCommands(spec: ResticForgetSpec, tools: ToolPaths): Command[] {
  const keeps = KEEP_FLAGS.flatMap(([rule, flag]) => {
    const count = spec.keep[rule];
    return count === 0 ? [] : [flag, String(count < 0 ? RESTIC_EVERY : count)];
  });
  return [
    ...locationFile(spec.repository),
    withCredentialFailures(
      spec.repository,
      'restic-forget',
      resticExec(spec.repository, tools, [
        'forget',
        '--tag',
        spec.tag,
        '--group-by',
        'tags',
        ...keeps,
        '--prune',
      ]),
    ),
  ];
}

/**
 * `latest` of the tag, or with `at` the snapshot the run finds: the newest of the tag taken at or
 * before it (a snapshot forgotten since the plan, or taken elsewhere, counts as restic lists it).
 */
export function resticRestoreCommands(spec: ResticRestoreSpec, tools: ToolPaths): Command[] {
  // The newest snapshot is chosen from the list as one not after --at is, rather than restic's
  // `latest`, whose absence restic says with the status of every other failure.
  return [
    ...locationFile(spec.repository),
    {
      kind: 'restic-restore-at',
      explains: spec.repository.credentialFailures ?? [],
      ...(spec.at === undefined ? {} : { notAfter: Math.floor(Date.parse(spec.at) / 1000) }),
      ...(spec.recorded === undefined
        ? {}
        : {
            recorded: Math.floor(Date.parse(spec.recorded.at) / 1000),
            recordedMissing: spec.recorded.missing,
          }),
      list: [...restic(spec.repository, tools), 'snapshots', '--json', '--tag', spec.tag],
      parse: [tools.jq ?? 'jq', '--raw-output', SNAPSHOT_LINES],
      files: [...restic(spec.repository, tools), 'list', 'snapshots'],
      every: [...restic(spec.repository, tools), 'snapshots', '--json'],
      restore: [...restic(spec.repository, tools), 'restore', '--target', spec.into],
      env: resticEnv(spec.repository),
      none:
        spec.at === undefined
          ? spec.missing
          : `no snapshot tagged "${spec.tag}" in ${spec.repository.url} was taken at or before ${spec.at}: nothing was restored`,
      unlisted: spec.unlisted,
      unreadable: spec.unreadable,
      ...childErrorsOf(spec.repository),
    },
  ];
}

/**
 * restic's snapshot list (a JSON array, or null when empty) as `SECONDS<TAB>ID<TAB>TIME` lines.
 * jq reads only whole-second UTC times, so the time (RFC 3339 with nanoseconds and an offset) is
 * cut into its seconds and its offset; a time in another form fails the step.
 */
const SNAPSHOT_LINES = [
  '.[]? | .id as $id | .time as $time',
  '| ($time | capture("^(?<s>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})(?:[.][0-9]+)?(?:Z|(?<sign>[+-])(?<h>[0-9]{2}):(?<m>[0-9]{2}))$")',
  '// error("restic printed a snapshot time that is not RFC 3339: \\($time)"))',
  '| ((.s + "Z" | fromdateiso8601) - (if .sign == null then 0',
  'else (.sign + "1" | tonumber) * ((.h | tonumber) * 3600 + (.m | tonumber) * 60) end)) as $seconds',
  '| [$seconds, $id, $time] | @tsv',
].join(' ');

function resticExec(
  repository: ResticRepository,
  tools: ToolPaths,
  args: readonly Word[],
  cwd?: string,
): ExecCommand {
  return {
    kind: 'exec',
    argv: [...restic(repository, tools), ...args],
    env: resticEnv(repository),
    ...(cwd === undefined ? {} : { cwd }),
    ...childErrorsOf(repository),
  };
}

/** The file where restic's ssh writes its error output, its lines shown as restic shows them. */
function childErrorsOf(repository: ResticRepository): { childErrors?: ChildErrors } {
  return repository.sshErrors === undefined
    ? {}
    : { childErrors: { workFile: repository.sshErrors, prefix: 'subprocess ssh: ' } };
}

/**
 * The private file a location with a password is read from, written before each restic command
 * (the work directory is the run's, and units may run side by side: one file per secret).
 */
function locationFile(repository: ResticRepository): Command[] {
  const parts = repository.secretLocation;
  return parts === undefined ? [] : [{ kind: 'private-file', workFile: locationFileName(parts), parts }];
}

const locationFileName = (parts: readonly SecretPart[]): string =>
  `restic-location-${parts.flatMap((part) => (typeof part === 'object' && 'secret' in part ? [part.secret] : [])).join('-')}`;

/** restic and its global options: the repository, and for sftp the ssh command it runs. */
function restic(repository: ResticRepository, tools: ToolPaths): Word[] {
  const parts = repository.secretLocation;
  const argv: Word[] = [
    tools.restic ?? 'restic',
    ...(parts === undefined
      ? ['--repo', repository.url]
      : ['--repository-file', { prefix: '', workFile: locationFileName(parts) }]),
  ];
  if (repository.sftpCommand !== undefined)
    argv.push('--option', csvField(`sftp.command=${resticCommandLine(repository.sftpCommand)}`));
  return argv;
}

function resticEnv(repository: ResticRepository): Record<string, EnvValue> {
  return {
    ...repository.env,
    RESTIC_PASSWORD: { secret: repository.passwordSecret },
    ...(repository.sshErrors === undefined
      ? {}
      : { [SSH_ERRORS_VARIABLE]: { workFile: repository.sshErrors } }),
  };
}

/**
 * Words joined as restic splits `sftp.command`: on spaces and backslashes outside quotes, a single
 * or double quote opening a quoted part that ends at the same quote, with no escapes. A word
 * that holds both quotes cannot be written (the engine's check refuses it).
 */
export function resticCommandLine(words: readonly string[]): string {
  return words
    .map((w) => {
      if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w)) return w;
      return w.includes('"') ? `'${w}'` : `"${w}"`;
    })
    .join(' ');
}

/** A path as a restic pattern that matches only itself. */
const globEscape = (path: string): string => path.replace(/[\\*?[]/g, '\\$&');

/**
 * restic reads `--option` as a list of comma-separated values (CSV): a value with a comma or a
 * double quote is one quoted field, its double quotes doubled.
 */
const csvField = (value: string): string =>
  /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
