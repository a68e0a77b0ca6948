import type { RunContext } from './run-exec.js';
import { writeAsTool } from './run-exec.js';

/**
 * Twin of the script's `.quiet` file: under -q, what a unit's tools print on their standard
 * output (restic's report of each snapshot, git's or a helper's notes) is kept and shown only when
 * the unit fails, after its failure line, so that a quiet run that succeeds prints nothing (cron
 * mails only problems) and one that fails still shows everything its tools said. Their standard
 * error, where tools report problems, goes where it always goes.
 */
export function keepStdoutUntilFailure<C extends Omit<RunContext, 'lockFd'>>(
  ctx: C,
): { readonly ctx: C; readonly show: () => void } {
  const kept: Buffer[] = [];
  return {
    ctx: {
      ...ctx,
      output: (stream, chunk) => {
        if (stream === 'stdout') kept.push(chunk);
        else writeAsTool(ctx, stream, chunk);
      },
    },
    show: () => writeAsTool(ctx, 'stdout', Buffer.concat(kept.splice(0))),
  };
}
