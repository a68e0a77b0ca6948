import { spawnSync } from 'node:child_process';
import {
  closeSync,
  constants,
  lstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  EMPTY_WORK_DIR_MINUTES,
  HELPERS,
  WORK_DIR_LOCK_WAIT_SECONDS,
  WORK_DIR_MARK,
} from '../../graph/helper-contracts.js';
import { HELPER_MESSAGES } from '../helper-messages.js';
import { causeOf } from './primitives.js';

/** A run's private work directory and the fd that holds its lock (the script's fd 8). */
export interface WorkDir {
  readonly path: string;
  readonly fd: number;
}

/** What every work directory is named after, in `workParent()`: `polyarchiv.` and six characters. */
export const WORK_DIR_PREFIX = 'polyarchiv.';
const WORK_DIR_NAME_LENGTH = WORK_DIR_PREFIX.length + 6;

/** Where runs make their work directories: `${TMPDIR:-/tmp}`, as the script's mktemp. */
export function workParent(): string {
  const tmp = process.env.TMPDIR;
  return tmp === undefined || tmp === '' ? '/tmp' : tmp;
}

/**
 * `flock --nonblock 3` on `fd` (or `flock --wait SECONDS 3`): 0 when taken, 1 when held elsewhere,
 * another status or why not.
 */
function flockNow(
  fd: number,
  waitSeconds?: number,
): { status: number | null; stderr: string; error?: Error } {
  const how = waitSeconds === undefined ? ['--nonblock'] : ['--wait', String(waitSeconds)];
  const run = spawnSync(HELPERS.sweepWork.tools[0], [...how, '3'], {
    stdio: ['ignore', 'ignore', 'pipe', fd],
    encoding: 'utf8',
  });
  return {
    status: run.status,
    stderr: run.stderr ?? '',
    ...(run.error === undefined ? {} : { error: run.error }),
  };
}

/**
 * A private directory for a run's work files (the script's `mktemp -d`, mode 0700), locked for
 * as long as the run or one of the tools it gives the fd lives (the script's `exec 8<DIR; flock
 * --nonblock 8`), then marked (WORK_DIR_MARK), or why it cannot be made, in the script's words.
 */
export function makeWorkDir(): WorkDir | Error {
  const parent = workParent();
  let path: string;
  try {
    path = mkdtempSync(join(parent, WORK_DIR_PREFIX));
  } catch (error) {
    return new Error(HELPER_MESSAGES.workDirFailed(parent, causeOf(error)));
  }
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY);
    // Waits: a run starting beside this one may be looking into the new directory (its sweep).
    const taken = flockNow(fd, WORK_DIR_LOCK_WAIT_SECONDS);
    if (taken.status === 0) {
      markWorkDir(path);
      return { path, fd };
    }
    const code = (taken.error as NodeJS.ErrnoException | undefined)?.code;
    const said = taken.stderr.trim().split(': ').pop() ?? '';
    const cause =
      code === 'ENOENT'
        ? 'flock: command not found'
        : taken.error !== undefined
          ? causeOf(taken.error)
          : said !== ''
            ? said
            : HELPER_MESSAGES.workDirLockHeld(String(WORK_DIR_LOCK_WAIT_SECONDS), String(taken.status));
    throw new Error(cause);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(path, { recursive: true, force: true });
    return new Error(HELPER_MESSAGES.workDirFailed(parent, (error as Error).message));
  }
}

/** Writes the mark of a live run's directory, or throws why not in the script's words. */
function markWorkDir(path: string): void {
  try {
    writeFileSync(join(path, WORK_DIR_MARK), '', { mode: 0o600, flag: 'wx' });
  } catch (error) {
    throw new Error(causeOf(error));
  }
}

/** Whether an empty directory last changed at `mtimeMs` is old enough to be a dead run's. */
const emptyLongEnough = (mtimeMs: number): boolean => Date.now() - mtimeMs > EMPTY_WORK_DIR_MINUTES * 60_000;

/** Removes the run's work directory, then lets its lock go. */
export function removeWorkDir(dir: WorkDir): void {
  rmSync(dir.path, { recursive: true, force: true });
  closeSync(dir.fd);
}

/**
 * Twin of polyarchiv_sweep_work: removes from `parent` the work directories of this user's runs
 * that are gone (killed, crashed, or the machine stopped), which may still hold password files.
 * A live run holds its directory's lock, and so do the tools it started, even once it is killed;
 * a directory whose lock can be taken is a dead run's. Only directories named as a run names
 * them, owned by this user and not symbolic links, are looked at. The lock is held while the
 * directory is removed. An empty one is not asked for its lock (a process each, for every later
 * run): a live run marks its directory once it holds the lock, so one left empty for
 * EMPTY_WORK_DIR_MINUTES is a run's killed before that, and is removed (rmdir fails, harmlessly, if
 * a file appeared meanwhile); a newer one may be a run's that has just made it.
 */
export function sweepWorkDirs(parent: string, own: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  const uid = process.geteuid?.();
  for (const name of names) {
    if (name.length !== WORK_DIR_NAME_LENGTH || !name.startsWith(WORK_DIR_PREFIX)) continue;
    const path = join(parent, name);
    if (path === own) continue;
    let fd: number | undefined;
    try {
      const stat = lstatSync(path);
      if (!stat.isDirectory() || stat.uid !== uid) continue;
      if (readdirSync(path).length === 0) {
        if (emptyLongEnough(stat.mtimeMs)) rmdirSync(path);
        continue;
      }
      fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
      if (flockNow(fd).status === 0) rmSync(path, { recursive: true, force: true });
    } catch {
      // Gone meanwhile, or not ours to read: left as it is.
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
}
