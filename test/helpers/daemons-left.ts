import { readdirSync, readFileSync } from 'node:fs';

/** The daemons a run may start beside its tools, by the name their processes run as. */
const DAEMONS = /^(gpg-agent|keyboxd|dirmngr|scdaemon|ssh|rclone)$/;

/**
 * The daemons still running (zombies, which have exited, left aside) whose command line names
 * `dir`: a run given its own TMPDIR below `dir`, and its tools' homes there, must leave none
 * (gpg-agent in gpg's home, an ssh master connection, an rclone server).
 */
export function daemonsLeft(dir: string): string[] {
  const left: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let stat: string;
    let command: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      continue;
    }
    // `pid (name) state ...`: the name may hold spaces and parentheses, the state follows the last `)`.
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state !== 'Z' && DAEMONS.test(name) && command.includes(dir)) left.push(`${pid} ${command}`);
  }
  return left;
}
