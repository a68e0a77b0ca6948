import { type LocalTime, periodOf, RULES, type RuleName } from './periods.js';

/** How many periods each rule keeps: 0 turns the rule off, -1 keeps every period. */
export type Policy = Readonly<Record<RuleName, number>>;

/** An archive of one series: a unique id (its name) and when its run was planned. */
export interface Dated {
  readonly id: string;
  /** Milliseconds since the epoch: orders the series. */
  readonly instant: number;
  /** The calendar fields its periods are read from. */
  readonly local: LocalTime;
}

/** A rule that keeps an archive: the newest of its period, or the oldest archive while the rule's count is not used up. */
export interface Reason {
  readonly rule: RuleName;
  readonly period: string;
  readonly oldest: boolean;
}

/** Why a rule does not keep an archive: a newer archive holds its period, or the rule's count is used up. */
export interface Miss {
  readonly rule: RuleName;
  readonly period: string;
  readonly count: number;
  /** The archive this rule keeps for the same period. */
  readonly newer?: string;
}

export interface Verdict<T extends Dated> {
  readonly archive: T;
  /** Empty: no rule keeps it. */
  readonly keptBy: readonly Reason[];
  readonly misses: readonly Miss[];
}

export interface RetentionOptions {
  /** A rule whose count is not used up keeps the oldest archive too (default true). */
  readonly oldestFallback?: boolean;
}

/** Newest first; archives of the same instant by name, the greater name first. */
export function newestFirst<T extends Dated>(archives: readonly T[]): T[] {
  return [...archives].sort((a, b) => b.instant - a.instant || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/**
 * restic's `forget` policy: each rule, on its own, walks the series from the newest archive and
 * keeps the newest archive of each period until it has kept its count of periods (periods without
 * an archive do not count); when the walk reaches the oldest archive, a rule whose count is not
 * used up keeps it too (restic 0.17 and later; `oldestFallback: false` is restic 0.16 and earlier,
 * which keep nothing more). An archive is kept when at least one rule keeps it (the union), so
 * rules never depend on each other's order. Verdicts come newest first.
 */
export function applyRetention<T extends Dated>(
  archives: readonly T[],
  policy: Policy,
  options: RetentionOptions = {},
): Verdict<T>[] {
  const sorted = newestFirst(archives);
  const rules = RULES.filter((rule) => policy[rule] !== 0);
  const left = new Map(rules.map((rule) => [rule, policy[rule] < 0 ? Infinity : policy[rule]]));
  const lastKept = new Map<RuleName, { period: string; id: string }>();
  return sorted.map((archive, index) => {
    const keptBy: Reason[] = [];
    const misses: Miss[] = [];
    const oldest = options.oldestFallback !== false && index === sorted.length - 1;
    for (const rule of rules) {
      const period = rule === 'last' ? archive.id : periodOf(rule, archive.local);
      const quota = left.get(rule) as number;
      const previous = lastKept.get(rule);
      const newPeriod = previous?.period !== period;
      if (quota > 0 && (newPeriod || oldest)) {
        keptBy.push({ rule, period, oldest: !newPeriod });
        left.set(rule, quota - 1);
        lastKept.set(rule, { period, id: archive.id });
      } else {
        misses.push({ rule, period, count: policy[rule], ...(newPeriod ? {} : { newer: previous?.id }) });
      }
    }
    return { archive, keptBy, misses };
  });
}

/** Whether a policy keeps anything: every count 0 would delete all but the newest archive. */
export function isEmptyPolicy(policy: Policy): boolean {
  return RULES.every((rule) => policy[rule] === 0);
}
