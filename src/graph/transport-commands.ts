import type { GetFileSpec, PutFileSpec, SshTransport, Transport } from './action.js';
import { type Command, type ExecCommand, orUnreadable, type ToolPaths, type Word } from './command.js';
import { underKerberos } from './kerberos-commands.js';
import {
  rcloneDeleteCommands,
  rcloneFileMissing,
  rcloneGetCommands,
  rclonePutCommands,
} from './rclone-commands.js';
import { shCommand } from './sh-command.js';

/**
 * The upload writes the hidden partial in place (`--inplace`: no temporary name of rsync's own is
 * left by a kill; the next upload overwrites the partial; an upload that fails removes it, best
 * effort, by ssh: a disk filled by it stays full no longer), with the local file's mode (0600: an
 * archive holds everything) and time, flushed by the receiving rsync (`--fsync`); rsync's
 * receiver checks the whole file against the sender's checksum before it reports success. Only
 * then does one `mv` on the remote host replace the previous file, and `sync -f` flush the rename.
 * A file put on this host is copied to the partial the same way, then published (flushed,
 * renamed, its directory flushed).
 */
export function putFileCommands(spec: PutFileSpec, tools: ToolPaths): Command[] {
  const transport = spec.transport;
  const send: Command[] =
    transport === undefined
      ? [
          {
            kind: 'exec',
            argv: [tools.rsync ?? 'rsync', '-p', '-t', '-I', '--inplace', '--', spec.file, spec.partial],
          },
          { kind: 'publish-file', partial: spec.partial, file: spec.remote },
        ]
      : transport.kind === 'rclone'
        ? rclonePutCommands(spec, transport, tools)
        : [
            {
              ...rsyncFile(
                transport,
                tools,
                ['--mkpath', '--inplace', '--fsync'],
                spec.file,
                `${transport.host}:${spec.partial}`,
              ),
              cleanupOnFailure: remoteShellArgv(
                transport,
                shCommand(['rm', '-f', '--', spec.partial]),
                tools,
              ),
            },
            remoteCommand(transport, ['mv', '-f', '--', spec.partial, spec.remote], tools, [
              'sync',
              '-f',
              '--',
              spec.remote,
            ]),
          ];
  return [
    ...send,
    ...(spec.listing === undefined
      ? []
      : [{ kind: 'publish-file' as const, partial: spec.listing.partial, file: spec.listing.file }]),
    ...(spec.keepFile === true ? [] : [{ kind: 'exec' as const, argv: ['rm', '-f', '--', spec.file] }]),
  ];
}

/**
 * The remote file copied into a temporary name beside `file` (by rsync, or by rclone into a hidden
 * partial), renamed in when whole.
 */
export function getFileCommands(spec: GetFileSpec, tools: ToolPaths): Command[] {
  const transport = spec.transport;
  if (transport.kind === 'rclone') return rcloneGetCommands(spec, transport, tools);
  const fetch = rsyncFile(transport, tools, [], `${transport.host}:${spec.remote}`, spec.file);
  return [orUnreadable(fetch, spec.unreadable)];
}

/**
 * Whether a `getFileCommands` command that exited with `status`, saying `stderr`, found no file at
 * the remote path (a file never written there) rather than failing to reach it: rsync's "No such
 * file or directory" of the remote path (a partial transfer, 23), rclone's statuses for no file
 * there (`rcloneFileMissing`).
 */
export function remoteFileMissing(transport: Transport, status: number, stderr: string): boolean {
  if (transport.kind === 'rclone') return rcloneFileMissing(transport, status);
  return status === RSYNC_PARTIAL_TRANSFER && /No such file or directory/.test(stderr);
}

const RSYNC_PARTIAL_TRANSFER = 23;

/** `rm -f` of a file on the transport's host: one already gone is not a failure. */
export function deleteRemoteCommands(transport: Transport, path: string, tools: ToolPaths): Command[] {
  if (transport.kind === 'rclone') return rcloneDeleteCommands(transport, path, tools);
  return [remoteCommand(transport, ['rm', '-f', '--', path], tools)];
}

/**
 * One file copied by rsync with its mode and time, through ssh (`-e`: ssh's words quoted for
 * rsync's own splitting; `-s`: the paths kept from the remote shell).
 */
export function rsyncFile(
  transport: SshTransport,
  tools: ToolPaths,
  flags: readonly string[],
  from: string,
  to: string,
): ExecCommand {
  const shell = rsyncRemoteShell([tools.ssh ?? 'ssh', ...transport.sshArgs]);
  return {
    kind: 'exec',
    argv: underKerberos(transport.kerberos, tools, [
      tools.rsync ?? 'rsync',
      '-p',
      '-t',
      '-e',
      shell,
      '-s',
      ...flags,
      '--',
      from,
      to,
    ]),
  };
}

/**
 * ssh joins its command words with spaces for the remote user's shell: they travel as one word,
 * each quoted for sh (a login shell that is not POSIX sh is not supported). Commands after the
 * first run only when it succeeded.
 */
export function remoteCommand(
  transport: SshTransport,
  words: readonly string[],
  tools: ToolPaths,
  ...then: readonly (readonly string[])[]
): Command {
  return {
    kind: 'exec',
    argv: remoteShellArgv(transport, [words, ...then].map(shCommand).join(' && '), tools),
  };
}

/** What ssh needs of a transport: a copy's remote side is one too, passed without a copy made. */
type SshLogin = Pick<SshTransport, 'host' | 'sshArgs' | 'kerberos'>;

/**
 * ssh running `line` in the remote user's shell: its status is the line's, or ssh's 255 when the
 * host was not reached, so that a pipeline's status there is told apart from a failed connection.
 */
export function remoteShellArgv(transport: SshLogin, line: string, tools: ToolPaths): Word[] {
  return underKerberos(transport.kerberos, tools, [
    tools.ssh ?? 'ssh',
    ...transport.sshArgs,
    '--',
    sshHost(transport),
    line,
  ]);
}

/** ssh takes an IPv6 address without rsync's brackets. */
function sshHost(transport: SshLogin): string {
  return transport.host.replace(/^\[(.*)\]$/, '$1');
}

/**
 * The value of rsync's `-e`: rsync splits it on spaces itself, honouring single and double quotes
 * and reading a doubled quote inside quotes as one literal quote (rsync(1), --rsh; no backslash
 * escapes). So a word that needs it is single-quoted with its single quotes doubled: it reaches
 * ssh as exactly one argument, whatever it contains.
 */
export function rsyncRemoteShell(words: readonly string[]): string {
  return words
    .map((w) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", "''")}'`))
    .join(' ');
}
