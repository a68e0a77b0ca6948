/**
 * What a failed file system call means, in words, for the messages polyarchiv prints itself
 * (`cannot read plan FILE: does not exist`): never node's codes (`ENOENT`) or its own phrasing
 * (`EISDIR: illegal operation on a directory, open '...'`). The run's twins of the script's
 * helpers say what bash says instead (`backends/execute/tool-problems.ts`).
 */
export function fsProblem(error: unknown): string {
  const { code, message } = (error ?? {}) as Partial<NodeJS.ErrnoException>;
  const known = code === undefined ? undefined : FS_PROBLEMS[code];
  if (known !== undefined) return known;
  if (typeof message !== 'string') return String(error);
  // Node's message without its code before and its call and paths after: "cross-device link not permitted".
  const text =
    code !== undefined && message.startsWith(`${code}: `) ? message.slice(code.length + 2) : message;
  return text.replace(/, \w+ '.*$/, '');
}

/** The words for a code that a problem recorded (a state file's), as `fsProblem` says it. */
export function fsCodeProblem(code: string): string {
  return FS_PROBLEMS[code] ?? `system error ${code}`;
}

const FS_PROBLEMS: Readonly<Record<string, string>> = {
  ENOENT: 'does not exist',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory (or a directory on its path is a file)',
  ELOOP: 'a symbolic link loop',
  ENAMETOOLONG: 'its name is too long',
  EEXIST: 'already exists',
  EBUSY: 'busy',
  EIO: 'an input/output error',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  EROFS: 'a read-only file system',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
  ENXIO: 'no such device',
  ETXTBSY: 'a program running now',
};
