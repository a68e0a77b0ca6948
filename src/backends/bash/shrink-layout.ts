import { cannotMeasure, SHRINK_PROBLEMS, SHRINK_VERDICTS, shrinkFigures } from '../shrink-judgment.js';

export interface ShrinkLayout {
  readonly cannotMeasure: string;
  readonly empty: string;
  readonly shrinks: string;
  readonly figures: string;
  readonly accepted: string;
  readonly refused: string;
}

/** The expansion of a local of polyarchiv_judge_shrink. */
const local = (name: string) => `\${${name}}`;

/**
 * The guard's messages for double quotes in bash, the values as expansions of the helper's
 * locals: the text is the twin's, so it may hold none of the characters double quotes expand.
 */
export function shrinkLayout(): ShrinkLayout {
  const old = { files: local('old_files'), bytes: local('old_bytes') };
  const now = { files: local('files'), bytes: local('bytes') };
  const layout = {
    cannotMeasure: cannotMeasure(local('what')),
    empty: SHRINK_PROBLEMS.empty,
    shrinks: SHRINK_PROBLEMS.shrinks(local('percent')),
    figures: shrinkFigures(local('what'), local('problem'), old, now),
    accepted: SHRINK_VERDICTS.accepted,
    refused: SHRINK_VERDICTS.refused,
  };
  for (const text of Object.values(layout))
    if (/[\\"`!]|\$(?!\{(what|percent|problem|old_files|old_bytes|files|bytes)\})/.test(text))
      throw new Error(`a shrink message bash would not print as written: ${text}`);
  return layout;
}
