/**
 * Words joined into one command line for a POSIX sh (a remote user's shell, git's
 * GIT_SSH_COMMAND), each single-quoted when it needs it: no bash-only quoting such as `$'...'`,
 * which the script's own lines may use.
 */
export function shCommand(words: readonly string[]): string {
  return words
    .map((w) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`))
    .join(' ');
}
