import { execFile } from 'node:child_process';
import { accessSync, constants, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { GPG_AGENT_STOP_TRIES, type GpgHome, gpgconfArgv } from '../../graph/gpg-agents.js';
import type { RunContext } from './run-exec.js';

/**
 * Twin of polyarchiv_gpg_home (templates/partials/helpers.hbs): each private gpg home of a unit is
 * made empty at its start, as `rm -rf` then `mkdir -p` under umask 077 make it, and its agent
 * started there before any gpg runs (see the helper); a failure is left for gpg to say. Returns
 * the homes with the gpgconf that stops their daemons.
 */
export async function makeGpgHomes(
  homes: readonly GpgHome[],
  ctx: Pick<RunContext, 'workDir'>,
): Promise<GpgHome[]> {
  const made: GpgHome[] = [];
  for (const planned of homes) {
    const gpg = withGpgconfFound(planned);
    made.push(gpg);
    const home = join(ctx.workDir, gpg.home);
    try {
      rmSync(home, { recursive: true, force: true });
      mkdirSync(home, { recursive: true, mode: 0o700 });
    } catch {}
    await quietly(gpgconfArgv(gpg, home, 'launch'));
  }
  return made;
}

/** A gpg given by its path may be a wrapper with no gpgconf beside it: then GnuPG's, from PATH. */
function withGpgconfFound(gpg: GpgHome): GpgHome {
  if (!gpg.gpgconf.includes('/')) return gpg;
  try {
    accessSync(gpg.gpgconf, constants.X_OK);
    return gpg;
  } catch {
    return { ...gpg, gpgconf: 'gpgconf' };
  }
}

/**
 * Once the unit's steps end, whatever their outcome: the daemons gpg started in each home
 * (gpg-agent) stopped by gpgconf, quietly as the script's `2> /dev/null || true`, waited for
 * until the agent's socket is gone (GPG_AGENT_STOP_TRIES), then the home removed.
 */
export async function dropGpgHomes(
  homes: readonly GpgHome[],
  ctx: Pick<RunContext, 'workDir'>,
): Promise<void> {
  for (const gpg of homes) {
    const home = join(ctx.workDir, gpg.home);
    const socket = (await quietly(gpgconfArgv(gpg, home, 'socket'))).trim();
    await quietly(gpgconfArgv(gpg, home, 'stop'));
    for (let tries = 0; tries < GPG_AGENT_STOP_TRIES && isSocket(socket); tries++) await sleep(100);
    rmSync(home, { recursive: true, force: true });
  }
}

/** What a command prints on its standard output; nothing when it fails, as `2> /dev/null || true`. */
function quietly([program = '', ...args]: readonly string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(program, args, (error, stdout) => resolve(error === null ? stdout : ''));
  });
}

function isSocket(path: string): boolean {
  try {
    return path !== '' && lstatSync(path).isSocket();
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
