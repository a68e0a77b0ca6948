/**
 * How a guarded copy is judged before it changes anything, written once for the bash helper
 * polyarchiv_judge_shrink (its messages rendered with bash expansions in place of the values) and
 * for its twin in execute/. A copy whose target held files is refused when it would become empty,
 * or lose more than `percent`% of its files or of its bytes, unless --allow-shrink is given.
 */

/** The figures of a side as words: numbers in the twin, bash expansions in the helper. */
export interface FigureWords {
  readonly files: string;
  readonly bytes: string;
}

/** Said when the incoming side cannot be measured (its tool's errors follow): the copy is refused. */
export function cannotMeasure(what: string): string {
  return `  cannot measure what ${what} would receive:`;
}

export const SHRINK_PROBLEMS = {
  empty: 'would become empty',
  shrinks: (percent: string) => `would shrink by more than ${percent}% (max_shrink_percent)`,
} as const;

/** The line that says what the copy would do to its target. */
export function shrinkFigures(what: string, problem: string, old: FigureWords, now: FigureWords): string {
  return `  ${what} ${problem}: ${old.files} files (${old.bytes} bytes) now, ${now.files} files (${now.bytes} bytes) incoming`;
}

export const SHRINK_VERDICTS = {
  accepted: '  accepted: --allow-shrink',
  refused: '  refused: nothing was changed; run with --allow-shrink if this is expected',
} as const;

/**
 * Whether figures fall under the guard (integers; the helper's arithmetic is the same): the
 * problem, or undefined when the copy may go on without a word.
 */
export function shrinkProblem(
  percent: number,
  old: { files: number; bytes: number },
  now: { files: number; bytes: number },
): string | undefined {
  if (old.files <= 0) return undefined;
  if (now.files === 0) return SHRINK_PROBLEMS.empty;
  if (now.files * 100 < old.files * (100 - percent) || now.bytes * 100 < old.bytes * (100 - percent))
    return SHRINK_PROBLEMS.shrinks(String(percent));
  return undefined;
}
