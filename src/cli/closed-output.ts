import { writeSync } from 'node:fs';
import { fsProblem } from '../diag/fs-problem.js';
import { EXIT } from './exit-codes.js';
import { letGoOfHungUpTerminals } from './hung-up-terminal.js';

/**
 * What happens when the reader of polyarchiv's output goes away (`polyarchiv plan | head`) or its
 * output cannot be written any more (a full disk under `plan > backup.sh`).
 *
 * A command that only prints stops there: quietly for a closed pipe, with the status a shell
 * reports for a tool stopped by one (128 + SIGPIPE), as `cat` or `git log` do; with one line
 * and status 1 for any other write error. A backup or a restore carries on without that output:
 * no run may stop half-way, its children running and its states unrecorded, because nobody reads
 * what it prints (its outcome is in the states, the log file and the other stream).
 */
let carryOn = false;

/** From now on, output that cannot be written is dropped and the command goes on. */
export function carryOnWithoutOutput(): void {
  carryOn = true;
}

/** Installed once, before anything is written. */
export function watchOutputs(): void {
  const streams = [
    { stream: process.stdout, name: 'standard output', other: 2 },
    { stream: process.stderr, name: 'standard error', other: 1 },
  ];
  for (const { stream, name, other } of streams) {
    // A stream that failed is destroyed: what is written to it later is dropped, without an error.
    stream.on('error', (error: NodeJS.ErrnoException) => {
      const closed = error.code === 'EPIPE';
      if (carryOn) {
        if (!closed)
          tell(
            other,
            `polyarchiv: cannot write the ${name} (${fsProblem(error)}): the run goes on without it\n`,
          );
        return;
      }
      if (!closed) tell(other, `polyarchiv: cannot write the ${name}: ${fsProblem(error)}\n`);
      letGoOfHungUpTerminals();
      process.exit(closed ? EXIT.closedPipe : EXIT.failed);
    });
  }
}

/** Best effort: the other stream may be gone too. */
function tell(fd: number, line: string): void {
  try {
    writeSync(fd, line);
  } catch {
    // Nothing is left to tell it on.
  }
}
