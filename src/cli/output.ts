import { type Diagnostics, formatDiagnostic } from '../diag/diagnostic.js';
import { hideUrlPasswords } from '../diag/hide-url-passwords.js';

export const say = (line: string): void => {
  process.stderr.write(`polyarchiv: ${hideUrlPasswords(line)}\n`);
};

/** Diagnostics go to stderr. Returns true when there were errors. */
export function printDiagnostics(diagnostics: Diagnostics, quiet = false): boolean {
  // In a few large writes: a configuration of thousands of points can have thousands of warnings.
  writeInChunks(
    (chunk) => process.stderr.write(chunk),
    (write) => {
      for (const d of diagnostics.items)
        if (!(quiet && d.severity === 'notice')) write(`${formatDiagnostic(d)}\n`);
    },
  );
  const errors = diagnostics.errorCount;
  if (errors > 0)
    process.stderr.write(`${errors} error${errors > 1 ? 's' : ''}: nothing was run or written\n`);
  return errors > 0;
}

/**
 * Hands what `render` writes to `flush` in pieces of about 64 KiB: a plan of thousands of units is
 * written as it is rendered, never held whole, in few system calls.
 */
export function writeInChunks(
  flush: (chunk: string) => void,
  render: (write: (text: string) => void) => void,
) {
  let pending = '';
  render((text) => {
    pending += text;
    if (pending.length >= 65536) {
      flush(pending);
      pending = '';
    }
  });
  if (pending !== '') flush(pending);
}
