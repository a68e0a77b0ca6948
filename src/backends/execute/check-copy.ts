import type { CopyCheckCommand, Word } from '../../graph/command.js';
import { HELPERS } from '../../graph/helper-contracts.js';
import { HELPER_MESSAGES } from '../helper-messages.js';
import { RSYNC_RESERVED_HIDDEN } from '../tool-conventions.js';
import { capture } from './capture.js';
import { copyStats, reservedEntriesHidden } from './copy-stats.js';
import { judgeShrink } from './judge-shrink.js';
import { type RunContext, writeAsTool } from './run-exec.js';

/**
 * Twin of polyarchiv_check_copy (templates/partials/helpers-check-copy.hbs): compares what a copy
 * would receive with what it holds, before anything changes; refuses, whatever --allow-shrink, a
 * live target that holds a file of the reserved name. Returns the helper's exit code.
 */
export async function checkCopy(
  command: CopyCheckCommand,
  ctx: RunContext,
  say: (line: string) => void,
): Promise<number> {
  const incoming = await dryRun(command.incoming, ctx, command.env);
  if (incoming.status !== 0) {
    say(HELPER_MESSAGES.cannotMeasure(command.what));
    writeAsTool(ctx, 'stderr', incoming.output.endsWith('\n') ? incoming.output : `${incoming.output}\n`);
    return HELPERS.checkCopy.statuses.refused;
  }
  const now = copyStats(incoming.output);
  let previous = await dryRun(command.previous, ctx, command.env);
  if (previous.status !== 0 && command.otherwise !== undefined && command.otherwise.length > 0)
    previous = await dryRun(command.otherwise, ctx, command.env);
  const old = copyStats(previous.output);
  const { accepted, refused } = HELPERS.checkCopy.statuses;
  const inTheWay = reservedEntriesHidden(previous.output).filter((entry) =>
    entry.startsWith(RSYNC_RESERVED_HIDDEN.file),
  );
  for (const entry of inTheWay) say(HELPER_MESSAGES.reservedInTheWay(command.what, entry));
  if (inTheWay.length > 0) return refused;
  return judgeShrink(command, old, now, say, ctx.explain) ? accepted : refused;
}

/**
 * A dry run's figures, its errors among them (bash's `2>&1`), run as every tool of the unit runs,
 * in the check's environment.
 */
const dryRun = (argv: readonly Word[], ctx: RunContext, env: CopyCheckCommand['env']) =>
  capture(argv, ctx, 'both', env);
