import { once } from 'node:events';
import { counted } from '../counted.js';
import { type Diagnostics, formatDiagnostic } from '../diag/diagnostic.js';
import { hideUrlPasswords } from '../diag/hide-url-passwords.js';

export const say = (line: string): void => {
  process.stderr.write(`polyarchiv: ${hideUrlPasswords(line)}\n`);
};

/**
 * Diagnostics go to stderr, those of each set in turn (the plan's, then what this machine lacks).
 * Returns true when there were errors.
 */
export function printDiagnostics(diagnostics: Diagnostics | readonly Diagnostics[], quiet = false): boolean {
  const sets = Array.isArray(diagnostics) ? diagnostics : [diagnostics];
  // In a few large writes: a configuration of thousands of points can have thousands of warnings.
  for (const chunk of inChunks(diagnosticLines(sets, quiet))) process.stderr.write(chunk);
  const errors = sets.reduce((sum, set) => sum + set.errorCount, 0);
  if (errors > 0) process.stderr.write(`${counted(errors, 'error')}: nothing was run or written\n`);
  return errors > 0;
}

function* diagnosticLines(sets: readonly Diagnostics[], quiet: boolean): Generator<string> {
  for (const diagnostics of sets)
    for (const d of diagnostics.inFileOrder())
      if (!(quiet && d.severity === 'notice')) yield `${formatDiagnostic(d)}\n`;
}

/**
 * Pieces joined into chunks of about 64 KiB: a plan of thousands of units is written as it is
 * rendered, never held whole, in few system calls.
 */
export function* inChunks(pieces: Iterable<string>): Generator<string> {
  let pending = '';
  for (const piece of pieces) {
    pending += piece;
    if (pending.length >= 65536) {
      yield pending;
      pending = '';
    }
  }
  if (pending !== '') yield pending;
}

/**
 * Writes pieces to a stream as they are rendered. A pipe takes only so much at a time, and a
 * stream queues what it cannot write yet: rendering waits until that queue drains, so that a plan
 * read slower than it is rendered is not queued whole in memory (tens of megabytes, and the
 * collection of all of it).
 */
export async function writeToStream(stream: NodeJS.WritableStream, pieces: Iterable<string>): Promise<void> {
  for (const chunk of inChunks(pieces)) if (!stream.write(chunk)) await once(stream, 'drain');
}
