import { createHash } from 'node:crypto';
import type { Command } from './command.js';

/**
 * gpg starts gpg-agent (and, for some commands, dirmngr) as a daemon of its home directory, and
 * leaves it running once it ends: no option keeps gpg from it (`--no-autostart` makes symmetric
 * encryption fail). So a unit's gpg runs in a private home of the run's work directory, never the
 * user's (whose own agent must be left alone): its agent is started at the unit's start, before
 * any gpg (a gpg ended by a signal while it starts one would leave it starting after the unit's
 * end), and the daemons of that home are stopped, then the home removed, when the unit ends,
 * whatever its outcome (the script's polyarchiv_gpg_home, its twin in execute/gpg-homes.ts).
 */
export interface GpgHome {
  /** The home, a work file: the same tree mapped gets the same one. */
  readonly home: string;
  /** gpgconf, which stops the home's daemons: the one beside the configured gpg. */
  readonly gpgconf: string;
}

/** The private gpg home of a tree that gpg maps into `to`. */
export function gpgHome(gpg: string, to: string): GpgHome {
  const digest = createHash('sha256').update(to).digest('hex').slice(0, 16);
  const slash = gpg.lastIndexOf('/');
  return { home: `gnupg.${digest}`, gpgconf: slash < 0 ? 'gpgconf' : `${gpg.slice(0, slash + 1)}gpgconf` };
}

/**
 * gpgconf returns once it has told the agent to stop, before the agent has: the unit's end waits
 * for its socket to go, this many times 0.1 s at most (an agent that hangs is not waited for).
 */
export const GPG_AGENT_STOP_TRIES = 50;

/**
 * gpgconf's words after `--homedir HOME`, for both backends: the agent's socket (a path), the
 * agent started (gpgconf waits for it to answer), every daemon of the home stopped.
 */
export const GPGCONF_WORDS = {
  socket: ['--list-dirs', 'agent-socket'],
  launch: ['--launch', 'gpg-agent'],
  stop: ['--kill', 'all'],
} as const;

/** gpgconf's argv for `home` (a path): one of GPGCONF_WORDS. */
export const gpgconfArgv = (gpg: GpgHome, home: string, words: keyof typeof GPGCONF_WORDS): string[] => [
  gpg.gpgconf,
  '--homedir',
  home,
  ...GPGCONF_WORDS[words],
];

/** The gpg homes of a unit's commands, each once, in the order its steps use them. */
export function unitGpgHomes(steps: readonly { readonly commands: readonly Command[] }[]): GpgHome[] {
  const homes = new Map<string, GpgHome>();
  for (const step of steps)
    for (const command of step.commands)
      if (command.kind === 'map-tree' && command.gpgHome !== undefined)
        homes.set(command.gpgHome.home, command.gpgHome);
  return [...homes.values()];
}
