import { type Dirent, lstatSync, readdirSync } from 'node:fs';
import type { CopyFigures } from '../../graph/command.js';
import { causeOf } from './primitives.js';

/**
 * Walks done in this process where the script runs a program, each with the figures that program
 * prints: under a load every process started costs a wait for a core (a fork of node, then its
 * exec), often more than the walk itself.
 */

/**
 * Twin of `find ROOT/ -mindepth 1 [-name PRUNED -type d -prune -o] -printf '%y %s\n'` summed by
 * awk (`incomingMeasure`): the entries below `root` plus the top directory, the regular files, and
 * the bytes of regular files and symbolic links; directories named `pruned` are left out with
 * their contents. Throws an Error worded as find's when a directory cannot be read.
 */
export function countTree(root: string, pruned: string | undefined): CopyFigures & { entries: number } {
  const figures = { files: 0, bytes: 0, entries: 1 };
  const walk = (dir: string): void => {
    let names: Dirent[];
    try {
      names = readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      throw new Error(`find: '${dir}': ${causeOf(error)}`);
    }
    for (const entry of names) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name === pruned) continue;
        figures.entries += 1;
        walk(path);
        continue;
      }
      figures.entries += 1;
      if (!entry.isFile() && !entry.isSymbolicLink()) continue;
      if (entry.isFile()) figures.files += 1;
      figures.bytes += sizeOf(path);
    }
  };
  walk(root.endsWith('/') ? root.slice(0, -1) || '/' : root);
  return figures;
}

/**
 * Twin of `du -s -b PATH`: the apparent sizes of `path` and of everything below it, symbolic
 * links not followed, a file with several hard links counted once; 0 when any part cannot be
 * read, as the script records a failed du.
 */
export function diskUsage(path: string): number {
  const seen = new Set<string>();
  const usage = (entry: string): number => {
    const stats = lstatSync(entry);
    if (!stats.isDirectory()) {
      if (stats.nlink > 1) {
        const key = `${stats.dev}:${stats.ino}`;
        if (seen.has(key)) return 0;
        seen.add(key);
      }
      return stats.size;
    }
    let total = stats.size;
    for (const name of readdirSync(entry)) total += usage(`${entry}/${name}`);
    return total;
  };
  try {
    return usage(path);
  } catch {
    return 0;
  }
}

function sizeOf(path: string): number {
  try {
    return lstatSync(path).size;
  } catch (error) {
    throw new Error(`find: '${path}': ${causeOf(error)}`);
  }
}
