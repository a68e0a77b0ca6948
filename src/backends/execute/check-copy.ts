import type { CopyCheckCommand, Word } from '../../graph/command.js';
import { HELPERS } from '../helper-contracts.js';
import { capture } from './capture.js';
import { copyStats } from './copy-stats.js';
import { type RunContext, writeAsTool } from './run-exec.js';

/**
 * Twin of polyarchiv_check_copy (templates/partials/helpers-check-copy.hbs): compares what a copy
 * would receive with what it holds, before anything changes. Returns the helper's exit code.
 */
export async function checkCopy(
  command: CopyCheckCommand,
  ctx: RunContext,
  say: (line: string) => void,
): Promise<number> {
  const incoming = await dryRun(command.incoming, ctx);
  if (incoming.status !== 0) {
    say(`  cannot measure what ${command.what} would receive:`);
    writeAsTool(ctx, 'stderr', incoming.output.endsWith('\n') ? incoming.output : `${incoming.output}\n`);
    return HELPERS.checkCopy.statuses.refused;
  }
  const now = copyStats(incoming.output);
  let previous = await dryRun(command.previous, ctx);
  if (previous.status !== 0 && command.otherwise !== undefined && command.otherwise.length > 0)
    previous = await dryRun(command.otherwise, ctx);
  const old = copyStats(previous.output);
  const percent = command.maxShrinkPercent;
  let problem: string | undefined;
  if (old.files > 0) {
    if (now.files === 0) problem = 'would become empty';
    else if (now.files * 100 < old.files * (100 - percent) || now.bytes * 100 < old.bytes * (100 - percent))
      problem = `would shrink by more than ${percent}% (max_shrink_percent)`;
  }
  const { accepted } = HELPERS.checkCopy.statuses;
  if (problem === undefined) return accepted;
  say(
    `  ${command.what} ${problem}: ${old.files} files (${old.bytes} bytes) now, ${now.files} files (${now.bytes} bytes) incoming`,
  );
  if (command.allowShrink) {
    say('  accepted: --allow-shrink');
    return accepted;
  }
  say('  refused: nothing was changed; run with --allow-shrink if this is expected');
  return HELPERS.checkCopy.statuses.refused;
}

/** A dry run's figures, its errors among them (bash's `2>&1`), run as every tool of the unit runs. */
const dryRun = (argv: readonly Word[], ctx: RunContext) => capture(argv, ctx, 'both');
