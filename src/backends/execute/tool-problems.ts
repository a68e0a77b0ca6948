// What the executor says of a tool it cannot start or a file it cannot open, in the words bash
// uses for the same failure in the script.

/**
 * What bash would say for a file it cannot open for `< FILE` or `> FILE`: the path, then why, in
 * the words of the C library (the script says the same), not node's `ENOENT: ..., open '...'`.
 */
export function redirectProblem(error: NodeJS.ErrnoException): string {
  const why = error.code === undefined ? undefined : REDIRECT_ERRORS[error.code];
  return error.path === undefined || why === undefined ? error.message : `${error.path}: ${why}`;
}

const REDIRECT_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
};

/** What bash would say for a command it cannot start. */
export function spawnProblem(error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOENT') return 'command not found';
  return error.code === 'E2BIG' ? 'argument list too long' : error.message;
}
