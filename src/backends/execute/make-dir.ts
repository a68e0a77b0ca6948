import { mkdirSync, statSync } from 'node:fs';

/** Twin of polyarchiv_make_dir: `mkdir -p` under umask 022 (see MakeDirCommand). */
export function makeDir(path: string): void {
  const umask = process.umask(0o022);
  try {
    makeDirs(path);
  } finally {
    process.umask(umask);
  }
}

/**
 * `mkdir -p`: the missing directories of `path` made one by one, from the deepest that exists
 * down, each failure being that directory's own (a read-only or full file system, a permission).
 * Not node's recursive mkdir, which never returns where a directory's parent exists yet making it
 * says ENOENT (under /proc, /sys and other pseudo file systems): it retries for ever, a run hung
 * that no signal ends, as its loop never lets the handlers run. A name as bytes (a restored
 * tree's, which need not be UTF-8) is made the same way.
 */
export function makeDirs(path: string | Buffer): void {
  const missing: (string | Buffer)[] = [];
  let dir: string | Buffer | undefined = path;
  while (dir !== undefined) {
    const stat = statSync(dir, { throwIfNoEntry: false });
    if (stat !== undefined) {
      // A file where a directory goes: mkdir's own EEXIST, or ENOTDIR below it, says so.
      if (!stat.isDirectory() && missing.length === 0) mkdirSync(dir);
      break;
    }
    missing.unshift(dir);
    dir = parentOf(dir);
  }
  for (const each of missing) {
    try {
      mkdirSync(each);
    } catch (error) {
      // Made meanwhile by another process: as for mkdir -p, a directory there is what was asked.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(each).isDirectory()) throw error;
    }
  }
}

/** The directory above `path`; undefined above the root or a relative name's first part. */
function parentOf(path: string | Buffer): string | Buffer | undefined {
  if (typeof path === 'string') {
    const trimmed = path.replace(/\/+$/, '');
    const slash = trimmed.lastIndexOf('/');
    if (trimmed === '' || slash < 0) return undefined;
    return slash === 0 ? '/' : trimmed.slice(0, slash);
  }
  let end = path.length;
  while (end > 0 && path[end - 1] === SLASH) end -= 1;
  const slash = path.lastIndexOf(SLASH, end - 1);
  if (end === 0 || slash < 0) return undefined;
  return slash === 0 ? ROOT : path.subarray(0, slash);
}

const SLASH = 0x2f;
const ROOT = Buffer.from('/');
