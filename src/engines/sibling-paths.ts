import type { DirSwapPaths } from '../graph/action.js';

/**
 * Staging and previous paths next to `target`, hidden, so that renames stay on one filesystem.
 * Their names derive from the target's own, so they never stand for a user's file elsewhere.
 */
export function siblingPaths(target: string): Omit<DirSwapPaths, 'target'> {
  const slash = target.lastIndexOf('/');
  const parent = target.slice(0, slash) || '/';
  const base = target.slice(slash + 1);
  const prefix = parent === '/' ? '' : parent;
  return { staging: `${prefix}/.${base}.polyarchiv-new`, previous: `${prefix}/.${base}.polyarchiv-old` };
}
