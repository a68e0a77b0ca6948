import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, lchownSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';

const root = process.geteuid?.() === 0;

/**
 * Modes (and, as root, owners) that git, svn and the servers of mirrors cannot hold, on every
 * kind of entry: the source directory itself, a sub-directory, an empty directory, private files,
 * a name with a tab (`controlNames`, which svn and lighttpd refuse).
 */
export function shapeTree(data: string, controlNames = true): void {
  mkdirSync(`${data}/sub/empty`, { recursive: true });
  mkdirSync(`${data}/lone`, { recursive: true });
  writeFileSync(`${data}/sub/secret.txt`, 'secret\n');
  writeFileSync(`${data}/sub/run.sh`, '#!/bin/sh\n');
  symlinkSync('secret.txt', `${data}/sub/link`);
  if (root) lchownSync(`${data}/sub/link`, 1234, 2345);
  if (controlNames) writeFileSync(`${data}/tab\there`, 'tab\n');
  else writeFileSync(`${data}/tab here`, 'tab\n');
  const modes: [string, number][] = [
    ['sub/secret.txt', 0o640],
    ['sub/run.sh', 0o750],
    [controlNames ? 'tab\there' : 'tab here', 0o604],
    ['plain.txt', 0o640],
    ['sub/empty', 0o705],
    ['lone', 0o750],
    ['sub', 0o750],
    ['', 0o751],
  ];
  for (const [path, mode] of modes) {
    const full = path === '' ? data : `${data}/${path}`;
    if (root) chownSync(full, 1234, 2345);
    chmodSync(full, mode);
  }
}

/** Every entry of a tree with its type, mode and (as root) owner, sorted, the tree's own directory first. */
export function modesOf(dir: string): string[] {
  const listed = spawnSync('find', [dir, '-printf', '%y %m %U:%G %P\\0'], { encoding: 'utf8' });
  expect(listed.status, listed.stderr).toBe(0);
  return listed.stdout
    .split('\0')
    .filter(Boolean)
    .map((line) => (root ? line : line.replace(/ \d+:\d+ /, ' ')))
    .sort();
}
