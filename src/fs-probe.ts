import { statSync } from 'node:fs';

/** False for anything that is not a directory now, including a path that cannot be read. */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
