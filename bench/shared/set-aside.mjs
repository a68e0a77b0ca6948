// Trees a benchmark replaces between runs are moved aside, not deleted, until it ends. ext4 skips
// the inodes freed in about the last minute (longer while their inode table block is not yet
// written) when it allocates new ones (__ext4_new_inode, find_inode_bit, recently_deleted: each
// candidate's table block is looked up), so a tree written just after another was deleted cost
// its writer up to twice the kernel time, by how many inodes were freed and how recently: a
// first full run's figures then followed the deletion before it more than the run itself.
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';

let moved = 0;

/** Moves each of the directories `names` of `root` that exists into one that `root`'s removal removes. */
export function setAside(root, names) {
  const aside = join(root, 'set-aside', String(moved++));
  mkdirSync(aside, { recursive: true });
  for (const name of names) if (existsSync(join(root, name))) renameSync(join(root, name), join(aside, name));
}
