import { chmodSync, chownSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DirReloadCommand } from '../../graph/command.js';
import { type RunContext, runExec } from './run-exec.js';

/**
 * Twin of polyarchiv_dir_reload (templates/partials/helpers-dir-reload.hbs): rebuilds a stopped
 * service's data directory with a loader, keeping the old contents until the load succeeds.
 * Resolves with the exit code the helper returns.
 */
export async function dirReload(
  command: DirReloadCommand,
  ctx: RunContext,
  say: (line: string) => void,
): Promise<number> {
  const { target, previous, input } = command;
  let rc = 0;
  if (!isNonEmpty(input)) {
    say(`  ${input} is missing or empty: ${target} is left as it is`);
    rc = 1;
  } else {
    // A previous run killed before its end left the last good contents aside: put them back.
    if (isDirectory(previous)) {
      rmSync(target, { recursive: true, force: true });
      renameSync(previous, target);
    }
    if (!isDirectory(target)) {
      say(`  ${target} is not a directory: nothing to replace`);
      rc = 1;
    } else {
      renameSync(target, previous);
      mkdirSync(target);
      const old = statSync(previous);
      chownSync(target, old.uid, old.gid);
      chmodSync(target, old.mode & 0o7777);
      rc = await runExec({ kind: 'exec', argv: command.load, stdin: input }, ctx);
      if (rc === 0) {
        chownTree(target, old.uid, old.gid);
        rmSync(previous, { recursive: true, force: true });
      } else {
        say(`  the load failed with exit code ${rc}: the previous contents of ${target} are put back`);
        rmSync(target, { recursive: true, force: true });
        renameSync(previous, target);
      }
    }
  }
  const started = command.start.length > 0 ? await runExec({ kind: 'exec', argv: command.start }, ctx) : 0;
  return rc === 0 ? started : rc;
}

/** `chown -R`: the directory and everything below it, symbolic links not followed. */
function chownTree(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) chownTree(path, uid, gid);
    else if (!entry.isSymbolicLink()) chownSync(path, uid, gid);
  }
}

function isNonEmpty(path: string): boolean {
  try {
    return statSync(path).size > 0;
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
