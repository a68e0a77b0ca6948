import { HOLDING_DIR } from './holding-dir.js';

/** A path as find's -path matches it literally: its wildcards and backslashes escaped. */
export function findLiteral(path: string): string {
  return path.replace(/[\\*?[\]]/g, '\\$&');
}

/**
 * The start of a `find .` from a tree's top that never enters rsync's holding directories (at any
 * depth) nor the `paths` below the top; the test after it (after `-o`) is evaluated for every
 * other entry.
 */
export function prunedWalk(find: string, paths: readonly string[]): string[] {
  return [
    find,
    '.',
    '(',
    '-name',
    HOLDING_DIR,
    ...paths.flatMap((path) => ['-o', '-path', `./${findLiteral(path)}`]),
    ')',
    '-prune',
    '-o',
  ];
}
