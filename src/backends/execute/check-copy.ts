import { spawnSync } from 'node:child_process';
import type { CopyCheckCommand, Word } from '../../graph/command.js';
import { HELPERS } from '../helper-contracts.js';
import { copyStats } from './copy-stats.js';
import { type RunContext, spawnProblem, wordOf, writeAsTool } from './run-exec.js';

/**
 * Twin of polyarchiv_check_copy (templates/partials/helpers-check-copy.hbs): compares what a copy
 * would receive with what it holds, before anything changes. Returns the helper's exit code.
 */
export function checkCopy(command: CopyCheckCommand, ctx: RunContext, say: (line: string) => void): number {
  const incoming = dryRun(command.incoming, ctx);
  if (incoming.status !== 0) {
    say(`  cannot measure what ${command.what} would receive:`);
    writeAsTool(ctx, 'stderr', incoming.output.endsWith('\n') ? incoming.output : `${incoming.output}\n`);
    return HELPERS.checkCopy.statuses.refused;
  }
  const now = copyStats(incoming.output);
  let previous = dryRun(command.previous, ctx);
  if (previous.status !== 0 && command.otherwise !== undefined && command.otherwise.length > 0)
    previous = dryRun(command.otherwise, ctx);
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

function dryRun(argv: readonly Word[], ctx: RunContext): { status: number; output: string } {
  const words = argv.map((word) => wordOf(word, ctx));
  const run = spawnSync(words[0] as string, words.slice(1), { encoding: 'utf8', maxBuffer: 1 << 30 });
  // A tool that cannot start (too long an argument list, not installed) says why, as bash would.
  if (run.error !== undefined)
    return { status: 1, output: `polyarchiv: ${words[0]}: ${spawnProblem(run.error)}` };
  return { status: run.status ?? 1, output: `${run.stdout ?? ''}${run.stderr ?? ''}` };
}
