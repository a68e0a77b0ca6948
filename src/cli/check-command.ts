import { Diagnostics, UsageError } from '../diag/diagnostic.js';
import { loadConfiguration } from '../pipeline.js';
import { checkSelection } from '../planner/select.js';
import { checkJson, checkPrometheus } from './check-formats.js';
import { judgePoints, overallStatus, problemsByWeight, statusCode } from './check-judge.js';
import { type CommonFlags, configDir, pinnedVariables, runTime } from './common-options.js';
import { EXIT } from './exit-codes.js';
import { sizeHeapForLargePlans } from './large-plan-heap.js';
import { printDiagnostics } from './output.js';
import { writeFileAtomic } from './write-file-atomic.js';

export interface CheckFlags extends CommonFlags {
  nrpe?: boolean;
  format?: 'text' | 'json' | 'prometheus';
  out?: string;
}

/**
 * Exit codes: text and json 0 fresh, 1 out of date, 2 failed or never succeeded (or a
 * configuration error), 3 a state file that cannot be judged; --nrpe the same, with 3 for a
 * configuration error (Nagios UNKNOWN); prometheus 0 whenever the metrics were written (the
 * statuses are in them), 2 when nothing could be judged (nothing is written).
 */
export function checkCommand(flags: CheckFlags): number {
  const format = flags.format ?? 'text';
  if (flags.nrpe && format !== 'text')
    throw new UsageError(`--nrpe prints a Nagios status line: it does not go with --format ${format}`);
  if (flags.out !== undefined && format === 'text')
    throw new UsageError(
      '--out writes the json or prometheus format: add --format json or --format prometheus',
    );
  const now = runTime(flags);
  const { diagnostics, config, input } = loadConfiguration(configDir(flags), now, pinnedVariables(flags), {
    onRead: sizeHeapForLargePlans,
  });
  // Points of an unreadable file or outside a mistyped selection cannot be judged: never say OK.
  const selection = new Diagnostics();
  checkSelection(config, flags, selection);
  const unjudgeable = [
    ...input.unreadable.map((file) => `cannot read ${file}`),
    ...selection.errors.map((error) => error.message),
  ];
  if (diagnostics.hasErrors || unjudgeable.length > 0) {
    if (flags.nrpe)
      process.stdout.write(
        `UNKNOWN - ${unjudgeable.length > 0 ? unjudgeable.join(', ') : 'unable to load configuration'}\n`,
      );
    printDiagnostics(diagnostics);
    for (const problem of unjudgeable) process.stderr.write(`error: ${problem}\n`);
    return flags.nrpe ? 3 : EXIT.usage;
  }
  const verdicts = judgePoints(config, flags, now);
  const status = overallStatus(verdicts);
  if (format === 'text') {
    const message = status === 'OK' ? 'everything is valid' : problemsByWeight(verdicts).join(', ');
    process.stdout.write(flags.nrpe ? `${status} - ${message}\n` : `${message}\n`);
    if (!flags.nrpe) printDiagnostics([diagnostics, selection]);
    return statusCode(status);
  }
  const text = format === 'json' ? checkJson(verdicts, now) : checkPrometheus(verdicts, now);
  if (flags.out === undefined) process.stdout.write(text);
  else writeFileAtomic(flags.out, [text], 0o644, `--out ${flags.out}`);
  printDiagnostics([diagnostics, selection]);
  return format === 'prometheus' ? EXIT.ok : statusCode(status);
}
