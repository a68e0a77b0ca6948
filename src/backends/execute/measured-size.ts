import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { duExcludes } from '../../graph/measured-part.js';

/** A tree a copy wrote in the measured directory: du's pattern for it, and the bytes it counted. */
export interface MeasuredPart {
  readonly pattern: string;
  readonly bytes: number;
}

/**
 * How many entries the walk in node looks at before it leaves the measure to du. What is left of a
 * collect point once its copies are left out is mostly a few directories and dumps: walking them
 * here costs less than starting du (a process: 2 to 4 ms of a run, each collect unit), while a
 * large tree (a copy that counted nothing) is walked faster by du than by node.
 */
const WALK_LIMIT = 128;

/**
 * `du -s -b`, as the script runs it (hard-linked files count once), less the parts the copies
 * counted, plus their bytes. A small rest is walked here with du's rules; anything else (a large
 * rest, an entry that cannot be read, a pattern that is not a plain path) is left to du itself,
 * so that both backends always record the same figure. du is waited for without blocking, so that
 * units running side by side go on meanwhile.
 */
export function measuredSize(path: string, parts: readonly MeasuredPart[] = []): Promise<number> {
  if (!existsSync(path)) return Promise.resolve(0);
  let counted = 0;
  for (const part of parts) counted += part.bytes;
  const patterns = parts.map((part) => part.pattern);
  const walked = smallTreeSize(path, patterns);
  if (walked !== undefined) return Promise.resolve(walked + counted);
  return new Promise((resolve) => {
    const argv = ['-s', '-b', ...duExcludes(patterns), '--', path];
    execFile('du', argv, { encoding: 'utf8' }, (error, stdout) => {
      resolve(error === null ? (Number.parseInt(stdout, 10) || 0) + counted : 0);
    });
  });
}

/**
 * What `du -s -b --exclude=PATTERN... -- root` prints, or undefined when du must answer: the
 * apparent size of every entry from the root down, each hard-linked file once, leaving out the
 * entries whose path, or an ending of it after a slash, a pattern matches (and what is below
 * them). Only patterns that are plain paths with their wildcards escaped (what the plan gives)
 * are matched here, by equality.
 */
export function smallTreeSize(root: string, patterns: readonly string[]): number | undefined {
  // du's paths are the root as given, a slash and the names below it: a root with an empty name
  // or a trailing slash would have du match endings this walk does not look for.
  if (root === '' || root.endsWith('/') || root.includes('//')) return undefined;
  const targets: string[] = [];
  for (const pattern of patterns) {
    const target = plainPath(pattern);
    if (target === undefined) return undefined;
    targets.push(target);
  }
  const excluded = (path: string) => targets.some((t) => path === t || path.endsWith(`/${t}`));
  if (excluded(root)) return undefined;
  try {
    const top = lstatSync(root, { bigint: true });
    if (!top.isDirectory()) return undefined;
    let size = top.size;
    let entries = 1;
    const seen = new Set<string>();
    const directories = [root];
    for (let dir = directories.pop(); dir !== undefined; dir = directories.pop()) {
      for (const name of readdirSync(dir)) {
        // A name that is not UTF-8 reads back with U+FFFD in place of its bytes: du knows it.
        if (name.includes('\uFFFD')) return undefined;
        const path = `${dir}/${name}`;
        if (excluded(path)) continue;
        entries += 1;
        if (entries > WALK_LIMIT) return undefined;
        const stats = lstatSync(path, { bigint: true });
        if (stats.isDirectory()) {
          directories.push(path);
        } else if (stats.nlink > 1n) {
          // du counts a file with other names once, wherever it meets it first.
          const key = `${stats.dev}:${stats.ino}`;
          if (seen.has(key)) continue;
          seen.add(key);
        }
        size += stats.size;
      }
    }
    return Number(size);
  } catch {
    return undefined;
  }
}

/** The path an fnmatch pattern matches alone, or undefined when it holds an unescaped wildcard. */
function plainPath(pattern: string): string | undefined {
  let path = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') {
      i += 1;
      if (i === pattern.length) return undefined;
      path += pattern[i];
    } else if (c === '*' || c === '?' || c === '[') {
      return undefined;
    } else {
      path += c;
    }
  }
  return path;
}
