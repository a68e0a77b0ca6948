import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  type Stats,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TIMESTAMP = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:[+-]\d{2}:\d{2})?/g;

/** A state file's text with its run timestamps and its run's duration masked. */
export const maskTimestamps = (text: string): string =>
  text.replace(TIMESTAMP, '<time>').replace(/"last_duration":\d+/g, '"last_duration":"<seconds>"');

/** Every entry below `root`, sorted, with its relative path. */
function walk(root: string, visit: (key: string, path: string, stat: Stats) => void, rel = ''): void {
  for (const name of readdirSync(join(root, rel)).sort()) {
    const key = rel === '' ? name : `${rel}/${name}`;
    const path = join(root, key);
    const stat = lstatSync(path);
    visit(key, path, stat);
    if (
      stat.isDirectory() &&
      !isGitDir(name, path) &&
      !isResticRepository(path) &&
      !isSvnRepository(path) &&
      !isSvnAdminDir(key, stat)
    )
      walk(root, visit, key);
  }
}

/** A restic repository: its files are encrypted with random keys, so it is pictured by its snapshots. */
function isResticRepository(path: string): boolean {
  return (
    existsSync(join(path, 'config')) && existsSync(join(path, 'keys')) && existsSync(join(path, 'snapshots'))
  );
}

/**
 * A restic repository as its snapshots (time, tags, paths, oldest first) and the files of each,
 * read with the first of `passwords` that opens it.
 */
export function resticSnapshots(repository: string, passwords: readonly string[]): string {
  for (const password of passwords) {
    const env = { ...process.env, RESTIC_PASSWORD: password };
    const list = spawnSync('restic', ['--repo', repository, '--no-cache', 'snapshots', '--json'], {
      encoding: 'utf8',
      env,
    });
    if (list.status !== 0) continue;
    const snapshots = JSON.parse(list.stdout) as {
      id: string;
      time: string;
      tags?: string[];
      paths: string[];
    }[];
    return `restic ${snapshots
      .map((s) => {
        const ls = spawnSync('restic', ['--repo', repository, '--no-cache', 'ls', '--long', s.id], {
          encoding: 'utf8',
          env,
        });
        const files = ls.stdout
          .split('\n')
          .slice(1)
          .map((line) => line.replace(/^(\S+) +\S+ +\S+ +(\d+) +\S+ \S+ /, '$1 $2 '));
        return `${s.time} ${(s.tags ?? []).join(',')} ${s.paths.join(',')}\n${files.join('\n')}`;
      })
      .join('\n')}`;
  }
  return 'restic repository (no password opens it)';
}

/** A Subversion repository (svnadmin create): its files hold its UUID and the commit times. */
function isSvnRepository(path: string): boolean {
  return existsSync(join(path, 'format')) && existsSync(join(path, 'db/uuid'));
}

/** A working copy's `.svn`: its database holds the repository's UUID and the checkout's times. */
function isSvnAdminDir(key: string, stat: Stats): boolean {
  return stat.isDirectory() && (key === '.svn' || key.endsWith('/.svn'));
}

/** A Subversion repository as its history: each revision's author, message and changed paths (sorted). */
export function svnHistory(repository: string): string {
  const look = (...args: string[]) =>
    spawnSync('svnlook', [...args, repository], { encoding: 'utf8' }).stdout.trim();
  const youngest = Number(look('youngest'));
  const revisions: string[] = [];
  // Without the dates: two runs of the same plan commit a second apart.
  for (let r = 1; r <= youngest; r++) {
    const changed = look('changed', '-r', String(r)).split('\n').sort().join('\n');
    revisions.push(`r${r} ${look('author', '-r', String(r))} ${look('log', '-r', String(r))}\n${changed}`);
  }
  return `svn ${revisions.join('\n')}`;
}

/** A work tree's `.git`, or a bare repository named `*.git`. */
function isGitDir(name: string, path: string): boolean {
  return name.endsWith('.git') && isRepository(path);
}

function isRepository(gitDir: string): boolean {
  return spawnSync('git', ['--git-dir', gitDir, 'rev-parse', '--git-dir'], { stdio: 'ignore' }).status === 0;
}

/**
 * A git repository as its history: each branch's commits, with their tree, author, committer and
 * message, newest first. Its files differ between two runs of the same plan (commit times, the index's stat data).
 */
export function history(gitDir: string): string {
  const log = spawnSync(
    'git',
    ['--git-dir', gitDir, 'log', '--all', '--format=%T %an <%ae> %cn <%ce> %s %D'],
    {
      encoding: 'utf8',
    },
  );
  return `git ${log.status === 0 ? log.stdout.trim() : 'without commits'}`;
}

/**
 * A comparable picture of a directory tree: every entry with its type, permission bits and content
 * digest. State files are included with their run timestamps and the root's path (or `maskedPath`,
 * a directory above it that the state files name) masked, and git
 * repositories as their history (the only expected differences between two runs of the same plan).
 */
export function snapshotTree(
  root: string,
  maskedPath = root,
  resticPasswords: readonly string[] = [],
  decrypt?: (path: string) => Buffer | undefined,
): Record<string, string> {
  const entries: Record<string, string> = {};
  walk(root, (key, path, stat) => {
    const mode = (stat.mode & 0o7777).toString(8);
    if (stat.isSymbolicLink()) entries[key] = `link -> ${readlinkSync(path)}`;
    else if (isGitDir(key.split('/').at(-1) ?? '', path)) entries[key] = history(path);
    else if (isSvnRepository(path)) entries[key] = svnHistory(path);
    else if (isSvnAdminDir(key, stat)) entries[key] = 'svn working copy';
    else if (isResticRepository(path))
      entries[key] = resticSnapshots(path, resticPasswords).replaceAll(maskedPath, '<root>');
    else if (stat.isDirectory()) entries[key] = `dir ${mode}`;
    else if (!stat.isFile()) entries[key] = `${special(stat)} ${mode}`;
    else {
      let content: Buffer = readFileSync(path);
      let size = String(stat.size);
      // State files name what they recorded (dated archives) by path: the tree's root is masked too.
      // Its size is the masked text's: two trees at paths of different lengths record as much.
      if (key.endsWith('.json')) {
        content = Buffer.from(
          maskCipherBytes(
            maskRunFacts(root, key, content.toString('utf8')).replaceAll(maskedPath, '<root>'),
            decrypt !== undefined,
          ),
        );
        size = String(content.length);
      }
      // Two encryptions of the same file differ (random salt and session key, the time they hold):
      // compare what they hold.
      const clear = decrypt?.(path);
      if (clear !== undefined) {
        content = clear;
        size = 'gpg';
      }
      // The listing of an archive sent (tar -tv) dates each entry to the minute: the directories
      // a run creates carry its own time, and two runs a minute apart list them differently.
      if (key.endsWith('.listing')) content = Buffer.from(maskListingDates(content.toString('utf8')));
      // Two archives of the same tree differ in the times they record: compare what they hold.
      if (ARCHIVE.test(key)) {
        content = Buffer.from(JSON.stringify(archiveTree(path)));
        size = 'archive';
      }
      const digest = createHash('sha256').update(content).digest('hex').slice(0, 16);
      entries[key] = `file ${mode} ${digest} ${size}`;
    }
  });
  return entries;
}

const ARCHIVE = /\.tar\.(gz|bz2|xz|zst)$/;

/** A `tar -tv` listing without its entries' dates and times (`mode owner size date time name`). */
export const maskListingDates = (listing: string): string =>
  listing.replace(/^(\S+\s+\S+\s+\d+)\s+\S+\s+\S+\s/gm, '$1 ');

/** The bytes a state recorded of its copies: encrypted copies differ in size from run to run. */
const maskCipherBytes = (text: string, encrypted: boolean): string =>
  encrypted ? text.replace(/"bytes":\d+/g, '"bytes":"<gpg>"') : text;

/**
 * A state file's run timestamps, and the size of a git collect point: its compressed objects hold
 * the commit times, so two runs of the same plan may differ by a few bytes there. An archive
 * collect point's archive holds the times of its files (compared by what it holds, see
 * snapshotTree): its size, which the collect point and the copies of its backup points record,
 * differs as much.
 */
function maskRunFacts(root: string, key: string, text: string): string {
  const masked = maskTimestamps(text);
  const collectPoint = /^(.*)\/metadata\/collect_point\/[^/]+\.json$/.exec(key)?.[1];
  const history = ['backups/.git', 'backups/.svn'];
  if (collectPoint !== undefined && history.some((dir) => existsSync(join(root, collectPoint, dir))))
    return masked.replace(/"total_size":\d+/, '"total_size":"<git>"');
  const pointOfState = /^(.*)\/metadata\/[^/]+(?:\/[^/]+)?\/[^/]+\.json$/.exec(key)?.[1];
  const archives = pointOfState === undefined ? undefined : join(root, pointOfState, 'archives');
  if (archives !== undefined && existsSync(archives) && readdirSync(archives).some((f) => ARCHIVE.test(f)))
    return collectPoint !== undefined
      ? masked.replace(/"total_size":\d+/, '"total_size":"<archive>"')
      : masked.replace(/"bytes":\d+/g, '"bytes":"<archive>"');
  return masked;
}

/** The tree an archive holds, as snapshotTree pictures it (GNU tar recognises the compression). */
export function archiveTree(archive: string): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'polyarchiv-archive-'));
  try {
    const tar = spawnSync('tar', ['-x', '-p', '-f', archive, '-C', dir], { encoding: 'utf8' });
    if (tar.status !== 0) throw new Error(`cannot extract ${archive}: ${tar.stderr}`);
    return snapshotTree(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A named pipe, a socket or a device, which has no contents to read (a pipe's read would wait). */
function special(stat: Stats): string {
  if (stat.isFIFO()) return 'fifo';
  if (stat.isSocket()) return 'socket';
  return `${stat.isBlockDevice() ? 'block' : 'char'} device ${stat.rdev}`;
}

/** Contents of the files below `root`, for byte-for-byte comparisons. */
export function fileContents(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  walk(root, (key, path, stat) => {
    if (stat.isSymbolicLink()) files[key] = `-> ${readlinkSync(path)}`;
    else if (stat.isFile()) files[key] = readFileSync(path).toString('base64');
    else if (!stat.isDirectory()) files[key] = special(stat);
  });
  return files;
}
