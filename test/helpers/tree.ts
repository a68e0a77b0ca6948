import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

const TIMESTAMP = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}/g;

/**
 * A comparable picture of a directory tree: every entry with its type, permission bits and content
 * digest. State files are included with their run timestamps masked (the only expected difference
 * between two runs of the same plan).
 */
export function snapshotTree(root: string): Record<string, string> {
  const entries: Record<string, string> = {};
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const key = rel === '' ? name : `${rel}/${name}`;
      const stat = lstatSync(path);
      const mode = (stat.mode & 0o7777).toString(8);
      if (stat.isSymbolicLink()) entries[key] = `link -> ${readlinkSync(path)}`;
      else if (stat.isDirectory()) {
        entries[key] = `dir ${mode}`;
        walk(path, key);
      } else {
        let content = readFileSync(path);
        if (name.endsWith('.json'))
          content = Buffer.from(content.toString('utf8').replace(TIMESTAMP, '<time>'));
        entries[key] =
          `file ${mode} ${createHash('sha256').update(content).digest('hex').slice(0, 16)} ${stat.size}`;
      }
    }
  };
  walk(root, '');
  return entries;
}

/** Contents of the files below `root`, for byte-for-byte comparisons. */
export function fileContents(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const key = rel === '' ? name : `${rel}/${name}`;
      const stat = lstatSync(path);
      if (stat.isDirectory()) walk(path, key);
      else
        files[key] = stat.isSymbolicLink()
          ? `-> ${readlinkSync(path)}`
          : readFileSync(path).toString('base64');
    }
  };
  walk(root, '');
  return files;
}
