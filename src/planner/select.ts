import type { ResolvedConfig } from '../config/resolve.js';
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

/**
 * `--only-*` patterns that together select no point: a typo would otherwise run nothing and exit
 * 0. A name among others that matches nothing is accepted, as the original tool accepts it
 * (`--only-collect-points site other`).
 */
export function unmatchedSelection(
  config: Pick<ResolvedConfig, 'collectPoints' | 'backupPoints'>,
  selection: Pick<Selection, 'onlyCollectPoints' | 'onlyBackupPoints'>,
): string[] {
  const unmatched = (
    flag: string,
    what: string,
    patterns: readonly string[],
    points: readonly { readonly name: string; readonly tags: Tags }[],
  ) =>
    points.some((point) => matchesOnly(patterns, point.name, point.tags))
      ? []
      : patterns.map(
          (p) =>
            `${flag} '${p}' matches no ${what} name or tag (${what}s: ${points.map((point) => point.name).join(', ') || 'none'})`,
        );
  return [
    ...unmatched('--only-collect-points', 'collect point', selection.onlyCollectPoints, config.collectPoints),
    ...unmatched('--only-backup-points', 'backup point', selection.onlyBackupPoints, config.backupPoints),
  ];
}
