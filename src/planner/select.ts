import type { ResolvedConfig } from '../config/resolve.js';
import type { Diagnostics } from '../diag/diagnostic.js';
import { didYouMean } from '../diag/did-you-mean.js';
import type { Tags } from '../engines/engine.js';
import { describeFrequency, type Frequency, isDue, isInFuture, nextDue } from '../options/frequency.js';
import { formatTimestamp, parseTimestamp } from '../state/point-state.js';
import type { StateSnapshots } from '../state/read-states.js';
import { globMatch } from './associate.js';
import type { Selection } from './plan.js';

/** `--only-*` takes names or tags, with globs (what the original's documentation promised). */
export function matchesOnly(patterns: readonly string[], name: string, tags: Tags): boolean {
  if (patterns.length === 0) return true;
  return patterns.some((p) => globMatch(name, p) || tags.own.some((tag) => globMatch(tag, p)));
}

export type Decision = {
  readonly run: boolean;
  readonly reason: string;
  /** Something the operator must hear about even when the point runs. */
  readonly warning?: string;
};

/** The warning for a last success dated after `now`, shared by plan, apply, check and config. */
export function futureSuccessWarning(what: string, last: Date): string {
  return `the last success of ${what} is in the future (${formatTimestamp(last)}): a clock was wrong when it was recorded; it is treated as due`;
}

/** Whether a point is due, from its frequency and the last success in its state file. */
export function dueDecision(
  what: string,
  frequency: Frequency,
  stateFile: string,
  states: StateSnapshots,
  now: Date,
  selection: Selection,
): Decision {
  const last = parseTimestamp(states.get(stateFile)?.state.last_success ?? null);
  const lastText = last === undefined ? 'never succeeded' : `last success ${formatTimestamp(last)}`;
  const how = `frequency ${describeFrequency(frequency)}`;
  if (isInFuture(last, now)) {
    const warning = futureSuccessWarning(what, last as Date);
    return { run: true, reason: `due: ${how}, ${lastText} is in the future`, warning };
  }
  if (selection.review === true) return { run: true, reason: `due in a review render (${how})` };
  if (selection.force) return { run: true, reason: `forced by --force (${how}, ${lastText})` };
  if (isDue(frequency, last, now)) return { run: true, reason: `due: ${how}, ${lastText}` };
  const next = nextDue(frequency, last, now);
  const when = next === undefined ? '' : `, next due ${formatTimestamp(next)}`;
  return {
    run: false,
    reason: `not due: last success ${formatTimestamp(last as Date)}, frequency ${describeFrequency(frequency)}${when} (--force runs it anyway)`,
  };
}

/** A pattern that names nothing: an empty word, or commas only (an empty `$POINTS` in a cron line). */
const isBlank = (pattern: string) => /^[\s,]*$/.test(pattern);

/**
 * What is wrong with the `--only-*` patterns, said to `diagnostics`. Errors: a pattern that names
 * nothing, which would otherwise select every point, and patterns that together select no point,
 * which would otherwise run nothing and exit 0. Warnings: a pattern among others that matches no
 * point, which the run ignores as the original tool does (`--only-collect-points site other`),
 * with the name or tag it may have meant.
 */
export function checkSelection(
  config: Pick<ResolvedConfig, 'collectPoints' | 'backupPoints'>,
  selection: Pick<Selection, 'onlyCollectPoints' | 'onlyBackupPoints'>,
  diagnostics: Pick<Diagnostics, 'error' | 'warning'>,
): void {
  const check = (
    flag: string,
    what: string,
    patterns: readonly string[],
    points: readonly { readonly name: string; readonly tags: Tags }[],
  ) => {
    const matchesNothing = (p: string) => `${flag} '${p}' matches no ${what} name or tag`;
    const named = (p: string) => points.some((point) => matchesOnly([p], point.name, point.tags));
    const listed = `${what}s: ${points.map((point) => point.name).join(', ') || 'none'}`;
    if (!points.some((point) => matchesOnly(patterns, point.name, point.tags))) {
      for (const p of patterns) diagnostics.error(`${matchesNothing(p)} (${listed})`);
      return;
    }
    for (const p of patterns) {
      if (isBlank(p)) diagnostics.error(`${matchesNothing(p)} (${listed})`);
      else if (!named(p))
        diagnostics.warning(`${matchesNothing(p)}: it is ignored`, undefined, () => {
          const guess = didYouMean(p, new Set(points.flatMap((point) => [point.name, ...point.tags.own])));
          return guess === undefined ? listed : `did you mean '${guess}'?`;
        });
    }
  };
  check('--only-collect-points', 'collect point', selection.onlyCollectPoints, config.collectPoints);
  check('--only-backup-points', 'backup point', selection.onlyBackupPoints, config.backupPoints);
}
