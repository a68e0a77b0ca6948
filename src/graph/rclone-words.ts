// The words rclone's commands are made of, shared by its file commands (rclone-commands.ts) and
// its directory commands (rclone-sync-commands.ts).
import type { RcloneTransport } from './action.js';
import type { EnvValue, ExecCommand, ToolPaths, Word } from './command.js';

/** rclone with the transport's settings, its passwords obscured as rclone reads them. */
export function rcloneCommand(
  transport: RcloneTransport,
  tools: ToolPaths,
  words: readonly Word[],
): ExecCommand {
  return { kind: 'exec', argv: [tools.rclone ?? 'rclone', ...words], env: rcloneEnv(transport, tools) };
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
