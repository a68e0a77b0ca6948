/**
 * Calendar fields as the archive's run recorded them (its local wall-clock time): a period is read
 * from these, never from the machine that applies the retention, so the result does not depend on
 * where or when it is worked out.
 */
export interface LocalTime {
  readonly year: number;
  /** 1-12 */
  readonly month: number;
  /** 1-31 */
  readonly day: number;
  /** 0-23 */
  readonly hour: number;
}

/** The calendar rules of a retention policy, finest first, and `last` (one period per archive). */
export const PERIOD_RULES = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
export type PeriodRule = (typeof PERIOD_RULES)[number];
export type RuleName = 'last' | PeriodRule;
export const RULES: readonly RuleName[] = ['last', ...PERIOD_RULES];

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/**
 * The period an archive falls in for one rule. Keys are namespaced by rule, so that a weekly key
 * never equals a monthly one, and written as people read them (`2024-W09`, `2024-02-29`).
 */
export function periodOf(rule: PeriodRule, time: LocalTime): string {
  switch (rule) {
    case 'hourly':
      return `${time.year}-${pad(time.month)}-${pad(time.day)} ${pad(time.hour)}h`;
    case 'daily':
      return `${time.year}-${pad(time.month)}-${pad(time.day)}`;
    case 'weekly': {
      const { year, week } = isoWeek(time);
      return `${year}-W${pad(week)}`;
    }
    case 'monthly':
      return `${time.year}-${pad(time.month)}`;
    case 'yearly':
      return String(time.year);
  }
}

/**
 * ISO 8601 week: weeks start on Monday, and week 1 is the week that holds the year's first
 * Thursday, so 2020-12-31 is in 2020-W53 and 2021-01-03 still in it, 2024-12-30 in 2025-W01.
 * Worked out on the calendar date alone (UTC arithmetic on a civil date has no DST).
 */
export function isoWeek(time: LocalTime): { year: number; week: number } {
  const date = Date.UTC(time.year, time.month - 1, time.day);
  const weekday = (new Date(date).getUTCDay() + 6) % 7; // Monday 0 ... Sunday 6
  const thursday = new Date(date + (3 - weekday) * 86_400_000);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * 86_400_000)) + 1;
  return { year, week };
}
