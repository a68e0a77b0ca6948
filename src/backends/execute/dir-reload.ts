import {
  chownSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { isDirectory } from '../../fs-probe.js';
import type { DirReloadCommand } from '../../graph/command.js';
import { HELPERS } from '../../graph/helper-contracts.js';
import { HELPER_MESSAGES } from '../helper-messages.js';
import { type RunContext, runExec, sayWhy, signalStatus, writeAsTool } from './run-exec.js';

/**
 * Twin of polyarchiv_dir_reload (templates/partials/helpers-dir-reload.hbs): rebuilds a stopped
 * service's data directory with a loader, keeping the old contents inside it until the load
 * succeeds, and runs the start command on every way out once the service is stopped, a signal's
 * included. A stop that fails, or a service that still has the directory open, changes nothing and
 * starts nothing: the service was not stopped, and a start command that launches the daemon itself
 * would run a second one beside it. Resolves with the helper's exit code.
 */
export async function dirReload(
  command: DirReloadCommand,
  ctx: RunContext,
  say: (line: string) => void,
): Promise<number> {
  // Even after a signal: the service comes back, with its previous contents if the load was cut.
  const { interrupted: _, ...toTheEnd } = ctx;
  let rc =
    command.stop.length > 0
      ? await asService(() => runExec({ kind: 'exec', argv: command.stop }, toTheEnd))
      : 0;
  const signal = ctx.interrupted?.();
  if (signal !== undefined) {
    // The stop may have ended the service before the signal cut it: it is started again.
    rc = signalStatus(signal);
  } else if (rc !== 0) {
    sayWhy(say, ctx, HELPER_MESSAGES.reloadStopFailed(String(rc), command.stopOrigin, command.target));
    return rc;
  } else {
    const holder = holderOf(command.target);
    if (holder !== undefined) {
      sayWhy(say, ctx, HELPER_MESSAGES.reloadInUse(holder, command.target));
      return HELPERS.dirReload.statuses.refused;
    }
    try {
      rc = await reloadContents(command, ctx, say);
    } catch (error) {
      // Where the script's `set -e` stops at a failed mv, rm or mkdir.
      writeAsTool(ctx, 'stderr', `polyarchiv: ${(error as Error).message}\n`);
      rc = 1;
    }
  }
  // Without the lock's fd, as the script's `9>&-`: a daemon that kept it would lock out every later run.
  const { lockFd: __, ...withoutLock } = toTheEnd;
  const started =
    command.start.length > 0
      ? await asService(() => runExec({ kind: 'exec', argv: command.start }, withoutLock))
      : 0;
  return rc === 0 ? started : rc;
}

/**
 * The script's `(umask 022 && COMMAND)`: the service's commands run under the umask an init system
 * gives them, not the run's 077, so that the loader's directories get the modes the service gives
 * them and a daemon the start command leaves running keeps that umask. runExec spawns before its
 * first await, so the run's umask is back before any other unit starts a process.
 */
function asService(run: () => Promise<number>): Promise<number> {
  const umask = process.umask(0o022);
  try {
    return run();
  } finally {
    process.umask(umask);
  }
}

async function reloadContents(
  command: DirReloadCommand,
  ctx: RunContext,
  say: (line: string) => void,
): Promise<number> {
  const { target, previous, input } = command;
  if (!isNonEmpty(input)) {
    say(HELPER_MESSAGES.reloadInputMissing(input, target));
    return HELPERS.dirReload.statuses.refused;
  }
  if (!isDirectory(target)) {
    say(HELPER_MESSAGES.reloadNotDirectory(target));
    return HELPERS.dirReload.statuses.refused;
  }
  // A previous run killed before its end left the last good contents aside: put them back.
  if (isDirectory(previous)) putBack(target, previous);
  mkdirSync(previous);
  for (const entry of dataEntries(target, previous)) renameSync(entry, join(previous, basename(entry)));
  let rc = await asService(() => runExec({ kind: 'exec', argv: command.load, stdin: input }, ctx));
  if (rc !== 0) {
    say(HELPER_MESSAGES.reloadLoadFailed(String(rc), target));
  } else {
    const owner = statSync(target);
    try {
      for (const entry of dataEntries(target, previous)) chownTree(entry, owner.uid, owner.gid);
    } catch (error) {
      writeAsTool(ctx, 'stderr', `polyarchiv: ${(error as Error).message}\n`);
      rc = 1;
      say(HELPER_MESSAGES.reloadOwnerFailed(target));
    }
  }
  // The loaded files, their owner and the moves reach the disk before the previous contents are
  // dropped, so that a crash leaves one whole database (a loader need not flush: slapadd -q does not).
  if (rc === 0) rc = await runExec({ kind: 'exec', argv: ['sync', '-f', '--', target] }, ctx);
  if (rc === 0) rmSync(previous, { recursive: true, force: true });
  else putBack(target, previous);
  return rc;
}

/**
 * Twin of polyarchiv_holder_of: "PID (NAME)" of a process that holds a file under `dir` open (a
 * service still running on it), read from /proc, where the run sees the processes it may look at.
 */
function holderOf(dir: string): string | undefined {
  const inside = `${dir}/`;
  for (const pid of readdirSync('/proc').filter((name) => /^[0-9]+$/.test(name))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (!link.startsWith(inside)) continue;
      let name = '';
      try {
        name = readFileSync(`/proc/${pid}/comm`, 'utf8').split('\n')[0] ?? '';
      } catch {
        // Gone meanwhile: its pid still says which.
      }
      return `${pid} (${name})`;
    }
  }
  return undefined;
}

/** Empties `target` but for `previous`, then moves the contents of `previous` back and removes it. */
function putBack(target: string, previous: string): void {
  for (const entry of dataEntries(target, previous)) rmSync(entry, { recursive: true, force: true });
  for (const entry of entriesBut(previous, '')) renameSync(entry, join(target, basename(entry)));
  rmdirSync(previous);
}

/**
 * Twin of polyarchiv_data_entries: the service's entries in its data directory, all but `previous`
 * and the file system's lost+found, where the directory is a mount point, which fsck fills with
 * what it recovers: it is never moved aside, given to the service's owner nor deleted.
 */
function dataEntries(target: string, previous: string): string[] {
  const lostAndFound = join(target, 'lost+found');
  return entriesBut(target, previous).filter(
    (path) => path !== lostAndFound || !lstatSync(path).isDirectory(),
  );
}

/** The entries of `dir`, hidden ones included, but `except`, as paths. */
function entriesBut(dir: string, except: string): string[] {
  return readdirSync(dir)
    .map((name) => join(dir, name))
    .filter((path) => path !== except);
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** `chown -R`: the entry and everything below it; symbolic links are changed, never followed. */
function chownTree(path: string, uid: number, gid: number): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) {
    lchownSync(path, uid, gid);
    return;
  }
  chownSync(path, uid, gid);
  if (!stat.isDirectory()) return;
  for (const name of readdirSync(path)) chownTree(join(path, name), uid, gid);
}

function isNonEmpty(path: string): boolean {
  try {
    return statSync(path).size > 0;
  } catch {
    return false;
  }
}
