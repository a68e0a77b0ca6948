import { createHash } from 'node:crypto';
import type { GetFileSpec, PutFileSpec, RcloneTransport, SyncDirSpec } from './action.js';
import type { Command, EnvValue, ExecCommand, Explanation, ToolPaths, Word } from './command.js';
import { prunedWalk } from './find-words.js';
import { HOLDING_DIR } from './holding-dir.js';

/**
 * rclone's flags for every transfer. `--no-check-dest`: rclone uploads without comparing with
 * what is there (a partial of the same size left by a killed run is not "already there"), and a
 * rename never deletes its destination first, which rclone does otherwise before a server-side
 * move. rclone checks each transferred file's size, and its hash where both sides have one.
 */
const TRANSFER = ['--no-check-dest'];

/** The file where `put-file` writes the WebDAV rename's curl configuration. */

/**
 * The upload goes to the hidden partial; then a server-side rename replaces the previous file in
 * one step: WebDAV `MOVE` with `Overwrite: T` by curl (rclone's own MOVE refuses to overwrite),
 * FTP `RNFR`/`RNTO` and S3's server-side copy by `rclone moveto`. A killed upload leaves only the
 * partial, which the next upload overwrites.
 */
export function rclonePutCommands(
  spec: PutFileSpec,
  transport: RcloneTransport,
  tools: ToolPaths,
): Command[] {
  const upload = rcloneCommand(transport, tools, [
    'copyto',
    ...TRANSFER,
    '--',
    spec.file,
    remoteWord(transport, spec.partial),
  ]);
  const webdav = transport.webdav;
  const rename: Command[] =
    webdav === undefined
      ? [
          rcloneCommand(transport, tools, [
            'moveto',
            ...TRANSFER,
            '--',
            remoteWord(transport, spec.partial),
            remoteWord(transport, spec.remote),
          ]),
        ]
      : [
          { kind: 'private-file', workFile: webdav.curlConfigFile, parts: webdav.curlConfig },
          {
            kind: 'exec',
            argv: [
              tools.curl ?? 'curl',
              '--config',
              { prefix: '', workFile: webdav.curlConfigFile },
              '--fail',
              '--silent',
              '--show-error',
              '--request',
              'MOVE',
              '--header',
              `Destination: ${webdavUrl(webdav.base, spec.remote)}`,
              '--header',
              'Overwrite: T',
              '--url',
              webdavUrl(webdav.base, spec.partial),
            ],
          },
        ];
  return [upload, ...rename];
}

/**
 * The remote file copied into a hidden partial beside `file`, published over it once whole. An S3
 * key without an object is a prefix that lists nothing (S3 has no directories): `copyto` would
 * copy nothing and succeed, so it fails with rclone's status for "nothing transferred". What a
 * failure means is said in words before the step fails (rclone prints "directory not found").
 */
export function rcloneGetCommands(
  spec: GetFileSpec,
  transport: RcloneTransport,
  tools: ToolPaths,
): Command[] {
  const partial = hiddenPartial(spec.file);
  return [
    {
      ...rcloneCommand(transport, tools, [
        'copyto',
        ...TRANSFER,
        '--error-on-no-transfer',
        '--',
        remoteWord(transport, spec.remote),
        partial,
      ]),
      explains: rcloneGetFailures(transport, spec.remote),
    },
    { kind: 'publish-file', partial, file: spec.file },
  ];
}

/**
 * What a get-file's rclone failure statuses mean: no file at the path (`rcloneFileMissing`), or on
 * S3, for status 3, that the bucket does not exist (a misspelt name, or one removed).
 */
function rcloneGetFailures(transport: RcloneTransport, remote: string): Explanation[] {
  const bucket = remote.replace(/^\/+/, '').split('/')[0];
  return [RCLONE_NOTHING_TRANSFERRED, RCLONE_DIRECTORY_NOT_FOUND].map((status) => ({
    status,
    message: rcloneFileMissing(transport, status)
      ? `the server holds no file at ${remote}`
      : `the bucket ${bucket} does not exist`,
  }));
}

/**
 * A get-file's rclone found no file: its status 9, "nothing transferred" (an S3 key without an
 * object), or 3, "directory not found" (the path is neither a file nor a directory), except on
 * S3, whose keys are never directories: there 3 is a bucket that does not exist, not a file never
 * written.
 */
export function rcloneFileMissing(transport: RcloneTransport, status: number): boolean {
  return (
    status === RCLONE_NOTHING_TRANSFERRED ||
    (status === RCLONE_DIRECTORY_NOT_FOUND && transport.remote !== ':s3:')
  );
}

/** rclone's exit status under `--error-on-no-transfer` when nothing was transferred. */
const RCLONE_NOTHING_TRANSFERRED = 9;

/**
 * The file deleted as `rm -f` does: one already gone, or whose directory is gone, is not a
 * failure. On WebDAV and FTP, by its path in a list that rclone reads (`--files-from-raw`) from
 * the server's root: rclone looks the file up and skips it when it is not there, without an error
 * (a filter on its directory would print "directory not found" as an ERROR on a run that went
 * well). In a bucket, where a prefix without objects lists as empty rather than missing, by a
 * filter on its prefix: rclone 1.60 skips a listed key two or more prefixes deep.
 */
export function rcloneDeleteCommands(transport: RcloneTransport, path: string, tools: ToolPaths): Command[] {
  if (transport.remote === ':s3:') {
    const slash = path.lastIndexOf('/');
    return [
      {
        ...rcloneCommand(transport, tools, [
          'delete',
          '--max-depth',
          '1',
          '--include',
          `/${globEscaped(path.slice(slash + 1))}`,
          '--',
          remoteWord(transport, path.slice(0, slash) || '/'),
        ]),
        // The bucket itself is gone: so is the archive.
        alsoSucceedsOn: RCLONE_DIRECTORY_NOT_FOUND,
      },
    ];
  }
  const list = `rclone-delete.${createHash('sha256').update(path).digest('hex').slice(0, 16)}.list`;
  return [
    { kind: 'private-file', workFile: list, parts: [`${path.replace(/^\/+/, '')}\n`] },
    rcloneCommand(transport, tools, [
      'delete',
      '--files-from-raw',
      { prefix: '', workFile: list },
      '--',
      `${transport.remote}/`,
    ]),
  ];
}

/** rclone's exit status for "directory not found". */
const RCLONE_DIRECTORY_NOT_FOUND = 3;

/**
 * `up`: `rclone sync` (each file uploaded whole under its name, deletions after every transfer),
 * judged first like every guarded copy: what the directory holds (`rclone size --json`) against
 * what would be sent (an rsync dry run of the local side with the same exclusions). `down`:
 * `rclone copy` into an empty directory.
 *
 * rclone tells a changed file by its size and modification time, but a WebDAV server keeps no
 * modification time rclone can set and an FTP server keeps whole seconds: a file rewritten with
 * its size unchanged would never be sent again. So with `changes`, every file whose status changed
 * since the last upload that ended well (its ctime, which no program can set back, after the
 * stamp's time) is sent first, whatever the server holds; the sync then finds it there.
 */
export function syncDirCommands(
  spec: SyncDirSpec,
  tools: ToolPaths,
  options: { readonly allowShrink?: boolean },
): Command[] {
  const transport = spec.transport;
  const remote = remoteWord(transport, spec.remote);
  // The holding directories of local copies in place, at any depth, never travel.
  const filters = [
    '--exclude',
    `${HOLDING_DIR}/**`,
    ...spec.excludes.flatMap((path) => ['--exclude', `/${globEscaped(path)}/**`]),
  ];
  if (spec.direction === 'down')
    return [rcloneCommand(transport, tools, ['copy', '--links', ...filters, '--', remote, spec.local])];
  const rclone = tools.rclone ?? 'rclone';
  const sync = [rclone, 'sync', '--links', ...filters, '--', spec.local, remote];
  const incoming: Word[] = [
    tools.rsync ?? 'rsync',
    '-a',
    '-n',
    '--stats',
    '--no-h',
    `--exclude=${HOLDING_DIR}/`,
    ...spec.excludes.map((path) => `--exclude=/${path}/`),
    '--',
    spec.local.endsWith('/') ? spec.local : `${spec.local}/`,
    { prefix: '', workFile: 'measure' },
  ];
  return [
    ...(spec.changes === undefined ? [] : sendChanged(spec, spec.changes, tools)),
    {
      kind: 'copy',
      incoming,
      incomingSum: [],
      previous: [rclone, 'size', '--json', '--', remote],
      copy: sync,
      firstCopy: sync,
      maxShrinkPercent: spec.guard?.maxShrinkPercent ?? 100,
      allowShrink: spec.guard === undefined || options.allowShrink === true,
      what: spec.guard?.what ?? spec.remote,
      env: rcloneEnv(transport, tools),
    },
    ...(spec.changes === undefined
      ? []
      : [
          {
            kind: 'exec',
            argv: ['mv', '-f', '--', `${spec.changes.stamp}.next`, spec.changes.stamp],
          } as const,
          { kind: 'exec', argv: ['rm', '-f', '--', spec.changes.list] } as const,
        ]),
  ];
}

/**
 * The files changed since the stamp, listed by `find` (holding directories and excluded paths
 * pruned, as rclone takes no filter beside the list; a symbolic link under the name rclone gives
 * it, `NAME.rclonelink`), sent by one rclone.
 * A missing stamp (a first upload, a lost metadata directory) is made as old as can be, so that
 * everything is sent. This run's stamp is taken before the listing, by the clock that sets the
 * files' ctimes (the filesystem's: a network filesystem's server may run apart from this host),
 * then moved two seconds back (that clock moves by ticks); it replaces the previous one once the
 * sync ended well.
 */
function sendChanged(
  spec: SyncDirSpec,
  changes: { readonly stamp: string; readonly list: string },
  tools: ToolPaths,
): Command[] {
  const next = `${changes.stamp}.next`;
  const touch = tools.touch ?? 'touch';
  const changed = ['-cnewer', changes.stamp];
  return [
    { kind: 'exec', argv: [touch, '-d', '@0', '--', next] },
    { kind: 'exec', argv: [tools.rsync ?? 'rsync', '-t', '--ignore-existing', '--', next, changes.stamp] },
    { kind: 'exec', argv: [touch, '--', next] },
    { kind: 'exec', argv: [touch, '-r', next, '-d', '-2 seconds', '--', next] },
    { kind: 'create-file', path: changes.list },
    {
      kind: 'exec',
      argv: [
        // rclone reads one name per line. A name with a line break reads as names that are not
        // there, which rclone skips (or sends again, whole): that file is left to the sync.
        ...prunedWalk(tools.find ?? 'find', spec.excludes),
        '-type',
        'f',
        ...changed,
        '-printf',
        '%P\\n',
        '-o',
        '-type',
        'l',
        ...changed,
        '-printf',
        '%P.rclonelink\\n',
      ],
      cwd: spec.local,
      stdout: changes.list,
    },
    rcloneCommand(spec.transport, tools, [
      'copy',
      '--ignore-times',
      '--no-traverse',
      '--links',
      '--files-from-raw',
      changes.list,
      '--',
      spec.local,
      remoteWord(spec.transport, spec.remote),
    ]),
  ];
}

/** rclone with the transport's settings, its passwords obscured as rclone reads them. */
function rcloneCommand(transport: RcloneTransport, tools: ToolPaths, words: readonly Word[]): ExecCommand {
  return { kind: 'exec', argv: [tools.rclone ?? 'rclone', ...words], env: rcloneEnv(transport, tools) };
}

function rcloneEnv(transport: RcloneTransport, tools: ToolPaths): Record<string, EnvValue> {
  const env: Record<string, EnvValue> = { ...transport.env };
  for (const [name, secret] of Object.entries(transport.obscured))
    env[name] = { secret, obscuredBy: tools.rclone ?? 'rclone' };
  return env;
}

/** `:webdav:/dir/file`; S3 paths (`/bucket/key`) lose their leading slash. */
function remoteWord(transport: RcloneTransport, path: string): string {
  return `${transport.remote}${transport.remote === ':s3:' ? path.replace(/^\/+/, '') : path}`;
}

/** A path below a WebDAV server's URL, each name %-encoded. */
function webdavUrl(base: string, path: string): string {
  return `${base}${path.split('/').map(encodeURIComponent).join('/')}`;
}

function hiddenPartial(file: string): string {
  const slash = file.lastIndexOf('/');
  return `${file.slice(0, slash)}/.${file.slice(slash + 1)}.polyarchiv-partial`;
}

/** rclone's filter globs read `\` as an escape: every glob character becomes literal. */
function globEscaped(path: string): string {
  return path.replace(/[\\*?[\]{}]/g, '\\$&');
}
