// The words rclone's commands are made of, shared by its file commands (rclone-commands.ts) and
// its directory commands (rclone-sync-commands.ts).
import type { RcloneTransport } from './action.js';
import {
  type EnvValue,
  type ExecCommand,
  type Explanation,
  explained,
  type ToolPaths,
  type Word,
} from './command.js';

/**
 * rclone with the transport's settings, its passwords obscured as rclone reads them. What its
 * failures mean is said in words: `explains` (of the command's own statuses), then the server's
 * refusal of the login, naming the option to fix, whatever the command (`errors`: the kind of
 * command, which names the work file where its error output waits).
 */
export function rcloneCommand(
  transport: RcloneTransport,
  tools: ToolPaths,
  words: readonly Word[],
  explains: readonly Explanation[] = [],
  errors = 'rclone',
): ExecCommand {
  const command: ExecCommand = {
    kind: 'exec',
    argv: [tools.rclone ?? 'rclone', ...words],
    env: rcloneEnv(transport, tools),
  };
  return withLoginFailures(transport, command, explains, errors, words);
}

/**
 * `command`, which reaches the transport's server, with the words of `explains` and of a refused
 * login (`login`: what the tool prints of it, rclone's by default). `about`: what the command is
 * about, with its transport's settings (its secrets' names tell the pairs apart): units running
 * side by side never share the file where its errors wait.
 */
export function withLoginFailures(
  transport: RcloneTransport,
  command: ExecCommand,
  explains: readonly Explanation[],
  kind: string,
  about: readonly Word[],
  login: readonly Explanation[] = transport.loginFailures ?? [],
): ExecCommand {
  const all = [...explains, ...login];
  if (all.length === 0) return command;
  return explained(command, all, {
    kind,
    of: JSON.stringify([transport.shown, transport.obscured, transport.env, about]),
  });
}

export function rcloneEnv(transport: RcloneTransport, tools: ToolPaths): Record<string, EnvValue> {
  const env: Record<string, EnvValue> = { ...transport.env };
  for (const [name, secret] of Object.entries(transport.obscured))
    env[name] = { secret, obscuredBy: tools.rclone ?? 'rclone' };
  return env;
}

/** `:webdav:/dir/file`; S3 paths (`/bucket/key`) lose their leading slash. */
export function remoteWord(transport: RcloneTransport, path: string): string {
  return `${transport.remote}${transport.remote === ':s3:' ? path.replace(/^\/+/, '') : path}`;
}

/** A path below a WebDAV server's URL, each name %-encoded. */
export function webdavUrl(base: string, path: string): string {
  return `${base}${path.split('/').map(encodeURIComponent).join('/')}`;
}

export function hiddenPartial(file: string): string {
  const slash = file.lastIndexOf('/');
  return `${file.slice(0, slash)}/.${file.slice(slash + 1)}.polyarchiv-partial`;
}

/** rclone's filter globs read `\` as an escape: every glob character becomes literal. */
export function globEscaped(path: string): string {
  return path.replace(/[\\*?[\]{}]/g, '\\$&');
}
