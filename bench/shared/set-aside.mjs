// Trees a benchmark replaces between runs are moved aside, not deleted, until it ends. ext4 skips
// the inodes freed in about the last minute (longer while their inode table block is not yet
// written) when it allocates new ones (__ext4_new_inode, find_inode_bit, recently_deleted: each
// candidate's table block is looked up), so a tree written just after another was deleted cost
// its writer up to twice the kernel time, by how many inodes were freed and how recently: a
// first full run's figures then followed the deletion before it more than the run itself.
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';

let moved = 0;

/** Moves each of `paths` that exists into a directory of `root` that the benchmark removes at its end. */
export function setAside(root, paths) {
  const aside = join(root, 'set-aside', String(moved++));
  mkdirSync(aside, { recursive: true });
  paths.forEach((path, i) => {
    if (existsSync(path)) renameSync(path, join(aside, `${i}-${basename(path)}`));
  });
}
