import { type Diagnostics, formatDiagnostic } from '../diag/diagnostic.js';

export const say = (line: string): void => {
  process.stderr.write(`polyarchiv: ${line}\n`);
};

/** Diagnostics go to stderr. Returns true when there were errors. */
export function printDiagnostics(diagnostics: Diagnostics, quiet = false): boolean {
  for (const d of diagnostics.items) {
    if (!(quiet && d.severity === 'notice')) process.stderr.write(`${formatDiagnostic(d)}\n`);
  }
  const errors = diagnostics.errorCount;
  if (errors > 0)
    process.stderr.write(`${errors} error${errors > 1 ? 's' : ''}: nothing was run or written\n`);
  return errors > 0;
}
