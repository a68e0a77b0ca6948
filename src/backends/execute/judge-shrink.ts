import type { CopyFigures } from '../../graph/command.js';
import { HELPER_MESSAGES } from '../helper-messages.js';

/** A side's figures as the message's words: its files, then its bytes. */
const words = (figures: CopyFigures) => [String(figures.files), String(figures.bytes)] as const;

/**
 * Twin of polyarchiv_judge_shrink (templates/partials/helpers-copy-stats.hbs): says why a copy
 * falls under the guard and whether --allow-shrink lets it go on. True when the copy may go on.
 */
export function judgeShrink(
  guard: { readonly maxShrinkPercent: number; readonly allowShrink: boolean; readonly what: string },
  old: CopyFigures,
  now: CopyFigures,
  say: (line: string) => void,
  explain: (why: string) => void = () => undefined,
): boolean {
  const problem = shrinkProblem(guard.maxShrinkPercent, old, now);
  if (problem === undefined) return true;
  const figures = HELPER_MESSAGES.shrinkFigures(guard.what, problem, ...words(old), ...words(now));
  say(figures);
  say(guard.allowShrink ? HELPER_MESSAGES.shrinkAccepted() : HELPER_MESSAGES.shrinkRefused());
  if (!guard.allowShrink) explain(figures);
  return guard.allowShrink;
}

/**
 * The guard's arithmetic, as the helper's: a copy whose target held files falls under the guard
 * when it would become empty, or lose more than `percent`% of its files or of its bytes.
 */
function shrinkProblem(percent: number, old: CopyFigures, now: CopyFigures): string | undefined {
  if (old.files <= 0) return undefined;
  if (now.files === 0) return HELPER_MESSAGES.becomesEmpty();
  if (now.files * 100 < old.files * (100 - percent) || now.bytes * 100 < old.bytes * (100 - percent))
    return HELPER_MESSAGES.shrinksPast(String(percent));
  return undefined;
}
