import type { CopyFigures } from '../../graph/command.js';
import { SHRINK_VERDICTS, shrinkFigures, shrinkProblem } from '../shrink-judgment.js';

const words = (figures: CopyFigures) => ({ files: String(figures.files), bytes: String(figures.bytes) });

/**
 * Twin of polyarchiv_judge_shrink (templates/partials/helpers-copy-stats.hbs): says why a copy
 * falls under the guard and whether --allow-shrink lets it go on. True when the copy may go on.
 */
export function judgeShrink(
  guard: { readonly maxShrinkPercent: number; readonly allowShrink: boolean; readonly what: string },
  old: CopyFigures,
  now: CopyFigures,
  say: (line: string) => void,
): boolean {
  const problem = shrinkProblem(guard.maxShrinkPercent, old, now);
  if (problem === undefined) return true;
  say(shrinkFigures(guard.what, problem, words(old), words(now)));
  say(guard.allowShrink ? SHRINK_VERDICTS.accepted : SHRINK_VERDICTS.refused);
  return guard.allowShrink;
}
