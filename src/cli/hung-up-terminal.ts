import { closeSync, openSync } from 'node:fs';
import { isatty } from 'node:tty';

/** The standard streams that were terminals when the command started. */
const terminals = [0, 1, 2].filter((fd) => isatty(fd));

/**
 * Node puts back the settings of the terminals it started on as it exits, and aborts (status 134,
 * a core dump) when one hung up meanwhile: a run that carried on after its window closed would
 * end so, whatever its outcome. A stream whose terminal hung up (no longer a terminal: every call
 * on it fails) is pointed at /dev/null first, which node passes over as a stream the command
 * reopened itself. The same number is taken at once, so that no file opened later gets it.
 */
export function letGoOfHungUpTerminals(): void {
  for (const fd of terminals) {
    if (isatty(fd)) continue;
    try {
      closeSync(fd);
      openSync('/dev/null', 'r+');
    } catch {
      // Closed is enough for node's exit: nothing is left to do.
    }
  }
}
