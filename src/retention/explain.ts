import type { RuleName } from './periods.js';
import type { Dated, Miss, Reason, Verdict } from './retention.js';

const UNITS: Readonly<Record<RuleName, string>> = {
  last: 'archive',
  hourly: 'hour',
  daily: 'day',
  weekly: 'week',
  monthly: 'month',
  yearly: 'year',
};

/** `the newest day`, `the 7 newest days`: a rule's kept periods, singular for one. */
function newest(count: number, unit: string): string {
  return count === 1 ? `the newest ${unit}` : `the ${count} newest ${unit}s`;
}

/** The option that sets a rule's count, as people write it in the configuration. */
export function ruleOption(rule: RuleName): string {
  return rule === 'last' ? 'keep_last' : `${rule}_count`;
}

/** `daily 2024-03-31`, `monthly 2024-01 (the oldest archive; monthly_count 6 is not used up)`. */
export function reasonText(reason: Reason): string {
  if (reason.rule === 'last') return 'keep_last';
  return reason.oldest
    ? `${reason.rule} ${reason.period} (the oldest archive, while ${ruleOption(reason.rule)} is not used up)`
    : `${reason.rule} ${reason.period}`;
}

/**
 * `daily: 2024-03-24 is kept by the newer X`, `daily: 2024-03-17 is past the 7 newest days`,
 * `keep_last: not the newest archive`.
 */
export function missText(miss: Miss): string {
  const label = miss.rule === 'last' ? 'keep_last' : miss.rule;
  if (miss.newer !== undefined) return `${label}: ${miss.period} is kept by the newer ${miss.newer}`;
  if (miss.rule === 'last') {
    return miss.count === 1
      ? 'keep_last: not the newest archive'
      : `keep_last: not among ${newest(miss.count, 'archive')}`;
  }
  return `${label}: ${miss.period} is past ${newest(miss.count, UNITS[miss.rule])}`;
}

/** Why a kept archive stays: every rule that keeps it. */
export function keptText<T extends Dated>(verdict: Verdict<T>): string {
  return verdict.keptBy.map(reasonText).join(', ');
}

/**
 * Why an archive goes: the rules that kept it before this run's archive came, and what changed for
 * each; when none kept it (a changed policy), why no rule keeps it now.
 */
export function deletedText<T extends Dated>(verdict: Verdict<T>, before: Verdict<T> | undefined): string {
  const rules = new Set((before?.keptBy ?? []).map((reason) => reason.rule));
  const misses = verdict.misses.filter((miss) => rules.has(miss.rule));
  return misses.length > 0
    ? `no longer kept by ${misses.map(missText).join('; ')}`
    : `kept by no rule: ${verdict.misses.map(missText).join('; ')}`;
}
