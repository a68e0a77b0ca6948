import { lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { dirname, normalize, resolve } from 'node:path';

/** False for anything that is not a directory now, including a path that cannot be read. */
export function isDirectory(path: string): boolean {
  try {
    // A missing path answers without an exception, far cheaper when thousands of sources are checked.
    return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
  } catch {
    return false;
  }
}

/** Where an absolute path leads on this machine (see `realPaths`). */
export type RealPath = (path: string) => string;

interface Found {
  /** The path with every symbolic link of its existing part followed. */
  readonly real: string;
  /** False once a component is missing: nothing below it can be looked at. */
  readonly exists: boolean;
}

/** More links than this in one path is a loop (Linux's own limit). */
const MAX_LINKS = 40;

/**
 * The directory an absolute path names on this machine: the real path of its deepest existing
 * ancestor, with the rest of its components appended as spelled (a collect point or a mirror may
 * not exist yet). Each distinct prefix is looked at once (one lstat, and a realpath only where a
 * link is), and kept: thousands of paths under a few directories cost little more than those.
 * A link to nothing leads where it points; a loop stays as spelled.
 */
export function realPaths(): RealPath {
  const known = new Map<string, Found>([['/', { real: '/', exists: true }]]);
  const find = (path: string, links: number): Found => {
    const hit = known.get(path);
    if (hit !== undefined) return hit;
    const slash = path.lastIndexOf('/');
    const parent = find(slash === 0 ? '/' : path.slice(0, slash), links);
    const joined = `${parent.real === '/' ? '' : parent.real}/${path.slice(slash + 1)}`;
    const found = parent.exists ? look(joined, links) : { real: joined, exists: false };
    known.set(path, found);
    return found;
  };
  const look = (path: string, links: number): Found => {
    try {
      const stat = lstatSync(path, { throwIfNoEntry: false });
      if (stat === undefined) return { real: path, exists: false };
      if (!stat.isSymbolicLink()) return { real: path, exists: true };
      try {
        return { real: realpathSync.native(path), exists: true };
      } catch {
        if (links >= MAX_LINKS) return { real: path, exists: false };
        // A link to nothing: where it points, which a mkdir -p through it would create.
        const target = resolve(dirname(path), readlinkSync(path));
        return { real: find(target, links + 1).real, exists: false };
      }
    } catch {
      return { real: path, exists: false };
    }
  };
  return (path) => {
    if (!path.startsWith('/')) return path;
    // Paths of the configuration are already normal: most skip normalize's copy.
    const normal = /\/\.{0,2}(?:\/|$)/.test(path) ? normalize(path).replace(/(?<=.)\/$/, '') : path;
    return find(normal, 0).real;
  };
}
