import { createHash } from 'node:crypto';
import type { GetFileSpec, PutFileSpec, RcloneTransport } from './action.js';
import type { Command, ExecCommand, Explanation, ToolPaths } from './command.js';
import {
  globEscaped,
  hiddenPartial,
  rcloneCommand,
  remoteWord,
  webdavUrl,
  withLoginFailures,
} from './rclone-words.js';

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
          withLoginFailures(
            transport,
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
            [],
            'webdav-move',
            [spec.partial, spec.remote],
            webdav.loginFailures ?? [],
          ),
        ];
  return [upload, ...rename];
}

/**
 * The remote file copied into a hidden partial beside `file`, published over it once whole. An S3
 * key without an object is a prefix that lists nothing (S3 has no directories): `copyto` would
 * copy nothing and succeed, so it fails with rclone's status for "nothing transferred". What a
 * failure means is said in words before the step fails, in place of what rclone prints of it
 * ("directory not found").
 */
export function rcloneGetCommands(
  spec: GetFileSpec,
  transport: RcloneTransport,
  tools: ToolPaths,
): Command[] {
  const partial = hiddenPartial(spec.file);
  return [
    rcloneCommand(
      transport,
      tools,
      ['copyto', ...TRANSFER, '--error-on-no-transfer', '--', remoteWord(transport, spec.remote), partial],
      [
        ...rcloneGetFailures(transport, spec.remote, spec.missing),
        ...(spec.unreadable === undefined ? [] : [{ status: 'other' as const, message: spec.unreadable }]),
      ],
      'get-file',
    ),
    { kind: 'publish-file', partial, file: spec.file },
  ];
}

/**
 * What a get-file's rclone failure statuses mean: no file at the path (`rcloneFileMissing`), or on
 * S3, for status 3, that the bucket does not exist (a misspelt name, or one removed).
 */
function rcloneGetFailures(transport: RcloneTransport, remote: string, missing?: string): Explanation[] {
  const bucket = remote.replace(/^\/+/, '').split('/')[0];
  return [RCLONE_NOTHING_TRANSFERRED, RCLONE_DIRECTORY_NOT_FOUND].map((status) => ({
    status,
    message: rcloneFileMissing(transport, status)
      ? (missing ?? `the server holds no file at ${remote}`)
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

/**
 * Whether the server holds anything at `path` (a file, or a directory, empty or not): `lsjson
 * --stat` exits with "directory not found" or "file not found" for a path that is not there, and
 * with other statuses when the server cannot be reached or refuses the login, which are not taken
 * for a missing copy. Reads nothing of what is there.
 *
 * In a bucket every path "exists" (a key that is not there is a prefix that lists as empty), so
 * the question is whether any object lies at or below it: a dry run of a copy into a directory
 * that is never made, which transfers nothing and exits with "nothing transferred" when there is
 * none. It lists the whole prefix, as the fetch after it does (once, `--fast-list`), since a
 * listing one level deep is not exact: S3-compatible servers that list by delimiter give nothing
 * for a prefix that holds only other prefixes (a mirror's top of source directories).
 * "directory not found" is the bucket missing (a misspelt name, one removed).
 */
export function rclonePathCheck(
  transport: RcloneTransport,
  path: string,
  { missing, unreadable }: { readonly missing: string; readonly unreadable?: string },
  tools: ToolPaths,
): ExecCommand {
  const otherwise = unreadable === undefined ? [] : [{ status: 'other' as const, message: unreadable }];
  // What rclone says of a path that is not there ("Failed to lsjson: directory not found") is
  // said in polyarchiv's words instead; what it says of any other failure is shown.
  const errors = 'expect-copy';
  if (transport.remote === ':s3:')
    return rcloneCommand(
      transport,
      tools,
      [
        'copy',
        '--dry-run',
        '--error-on-no-transfer',
        // Not the line per object a dry run prints; its errors still are.
        '--quiet',
        '--fast-list',
        '--',
        remoteWord(transport, path),
        { prefix: '', workFile: NEVER_MADE },
      ],
      [
        { status: RCLONE_NOTHING_TRANSFERRED, message: missing },
        ...rcloneGetFailures(transport, path).filter((e) => e.status === RCLONE_DIRECTORY_NOT_FOUND),
        ...otherwise,
      ],
      errors,
    );
  return {
    ...rcloneCommand(
      transport,
      tools,
      ['lsjson', '--stat', '--', remoteWord(transport, path)],
      [
        ...[RCLONE_DIRECTORY_NOT_FOUND, RCLONE_FILE_NOT_FOUND].map((status) => ({
          status,
          message: missing,
        })),
        ...otherwise,
      ],
      errors,
    ),
    // What lsjson prints of the path there is not for the run's output.
    stdout: '/dev/null',
  };
}

/** A path of the run's private work directory that nothing makes: the S3 check's dry run's target. */
const NEVER_MADE = 'expect-copy.never-made';

/** rclone's exit status for "directory not found". */
const RCLONE_DIRECTORY_NOT_FOUND = 3;

/** rclone's exit status for "file not found". */
const RCLONE_FILE_NOT_FOUND = 4;
