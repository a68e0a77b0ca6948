import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** Twin of polyarchiv_make_dir: `mkdir -p` under umask 022 (see MakeDirCommand). */
export function makeDir(path: string): void {
  const umask = process.umask(0o022);
  try {
    mkdirSync(path, { recursive: true });
  } catch (error) {
    throw creationError(path, error);
  } finally {
    process.umask(umask);
  }
}

/**
 * Node's recursive mkdir says ENOENT when it could not create a missing parent, whatever kept it
 * from doing so (a read-only or full file system, a permission): mkdir -p names that parent's own
 * error, which is found by creating the missing directories one by one.
 */
function creationError(path: string, error: unknown): unknown {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return error;
  const missing: string[] = [];
  for (let dir = path; !existsSync(dir) && dirname(dir) !== dir; dir = dirname(dir)) missing.unshift(dir);
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (cause) {
      return cause;
    }
  }
  return error;
}
