import { describe, expect, it } from 'vitest';
import { deletedText, keptText } from '../../src/retention/explain.js';
import { isoWeek, periodOf } from '../../src/retention/periods.js';
import { applyRetention, type Dated, type Policy } from '../../src/retention/retention.js';
import { archiveAt, dailyAt } from './series.js';

const policy = (counts: Partial<Policy>): Policy => ({
  last: 0,
  hourly: 0,
  daily: 0,
  weekly: 0,
  monthly: 0,
  yearly: 0,
  ...counts,
});

const keptDays = (archives: readonly Dated[], counts: Partial<Policy>): string[] =>
  applyRetention(archives, policy(counts))
    .filter((v) => v.keptBy.length > 0)
    .map((v) => v.archive.id.slice(0, 10))
    .sort();

const days = (month: string, from: number, to: number): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => `2024-${month}-${String(from + i).padStart(2, '0')}`);

describe('retention: the reference vectors', () => {
  const quarter = dailyAt('2024-01-01', '2024-03-31', 3);

  it('91 daily runs at 03:00 with daily 7, weekly 4, monthly 3 keep 12 archives', () => {
    expect(quarter).toHaveLength(91);
    expect(keptDays(quarter, { daily: 7, weekly: 4, monthly: 3 })).toEqual([
      '2024-01-31',
      '2024-02-29',
      '2024-03-10',
      '2024-03-17',
      '2024-03-24',
      ...days('03', 25, 31),
    ]);
  });

  it('explains each verdict: the newest archive is the newest day, week and month', () => {
    const verdicts = applyRetention(quarter, policy({ daily: 7, weekly: 4, monthly: 3 }));
    expect(keptText(verdicts[0] as (typeof verdicts)[0])).toBe(
      'daily 2024-03-31, weekly 2024-W13, monthly 2024-03',
    );
    const march3 = verdicts.find((v) => v.archive.id.startsWith('2024-03-03')) as (typeof verdicts)[0];
    expect(march3.keptBy).toEqual([]);
    expect(deletedText(march3, undefined)).toBe(
      'kept by no rule: daily: 2024-03-03 is past the 7 newest days; weekly: 2024-W09 is past the 4 newest weeks; monthly: 2024-03 is kept by the newer 2024-03-31T03:00:00',
    );
  });

  it('explains a count of one in the singular', () => {
    const series = dailyAt('2024-01-01', '2024-01-10', 3);
    const byDay = applyRetention(series, policy({ daily: 1, weekly: 1 }));
    expect(deletedText(byDay.at(-2) as (typeof byDay)[0], undefined)).toBe(
      'kept by no rule: daily: 2024-01-02 is past the newest day; weekly: 2024-W01 is past the newest week',
    );
    const byCount = applyRetention(series, policy({ last: 1 }));
    expect(deletedText(byCount[1] as (typeof byCount)[0], undefined)).toBe(
      'kept by no rule: keep_last: not the newest archive',
    );
    const byThree = applyRetention(series, policy({ last: 3 }));
    expect(deletedText(byThree[3] as (typeof byThree)[0], undefined)).toBe(
      'kept by no rule: keep_last: not among the 3 newest archives',
    );
  });

  it('after a 6-week outage, daily 7, weekly 4, monthly 6 keep the oldest archive for the unused monthly count', () => {
    const series = [...quarter, archiveAt('2024-05-15T03:00:00Z')];
    expect(keptDays(series, { daily: 7, weekly: 4, monthly: 6 })).toEqual([
      '2024-01-01',
      '2024-01-31',
      '2024-02-29',
      '2024-03-17',
      '2024-03-24',
      ...days('03', 26, 31),
      '2024-05-15',
    ]);
    const oldest = applyRetention(series, policy({ daily: 7, weekly: 4, monthly: 6 })).at(-1);
    expect(oldest?.keptBy).toEqual([{ rule: 'monthly', period: '2024-01', oldest: true }]);
    expect(keptText(oldest as NonNullable<typeof oldest>)).toBe(
      'monthly 2024-01 (the oldest archive, while monthly_count is not used up)',
    );
  });

  it('week 1 straddling the new year keeps its own weekly archive (keys are namespaced by rule)', () => {
    const series = dailyAt('2025-12-01', '2026-01-08', 12);
    expect(keptDays(series, { weekly: 4, monthly: 3 })).toEqual([
      '2025-12-01',
      '2025-12-21',
      '2025-12-28',
      '2025-12-31',
      '2026-01-04',
      '2026-01-08',
    ]);
  });

  it('keep_last keeps the newest archives whatever their periods; -1 keeps every period', () => {
    const series = dailyAt('2024-01-01', '2024-01-10', 3);
    expect(keptDays(series, { last: 3 })).toEqual(days('01', 8, 10));
    expect(keptDays(series, { daily: -1 })).toHaveLength(10);
    expect(keptDays(series, { yearly: 1, last: 1 })).toEqual(['2024-01-10']);
  });
});

describe('retention: calendar periods', () => {
  it('reads ISO weeks: week 53, week 1 starting in December, the leap day', () => {
    expect(isoWeek({ year: 2020, month: 12, day: 31, hour: 0 })).toEqual({ year: 2020, week: 53 });
    expect(isoWeek({ year: 2021, month: 1, day: 3, hour: 0 })).toEqual({ year: 2020, week: 53 });
    expect(isoWeek({ year: 2021, month: 1, day: 4, hour: 0 })).toEqual({ year: 2021, week: 1 });
    expect(isoWeek({ year: 2024, month: 12, day: 30, hour: 0 })).toEqual({ year: 2025, week: 1 });
    expect(isoWeek({ year: 2026, month: 12, day: 31, hour: 0 })).toEqual({ year: 2026, week: 53 });
    expect(periodOf('weekly', { year: 2024, month: 2, day: 29, hour: 0 })).toBe('2024-W09');
    expect(periodOf('daily', { year: 2024, month: 2, day: 29, hour: 23 })).toBe('2024-02-29');
  });

  it('reads periods from the recorded wall clock: the repeated hour of a DST change is one hourly period', () => {
    // 2024-10-27 in Paris: 02:30 CEST (00:30Z) and 02:30 CET (01:30Z) are the same wall-clock hour.
    const series = [
      archiveAt('2024-10-26T20:00:00Z', 'Europe/Paris'),
      archiveAt('2024-10-27T00:30:00Z', 'Europe/Paris'),
      archiveAt('2024-10-27T01:30:00Z', 'Europe/Paris'),
      archiveAt('2024-10-27T02:30:00Z', 'Europe/Paris'),
    ];
    expect(series.map((a) => a.local.hour)).toEqual([22, 2, 2, 3]);
    const verdicts = applyRetention(series, policy({ hourly: 5 }));
    expect(verdicts.map((v) => v.keptBy.length > 0)).toEqual([true, true, false, true]);
    expect(verdicts[2]?.misses[0]?.newer).toBe('2024-10-27T01:30:00');
  });

  it('reads the 23-hour day of spring forward as one day', () => {
    // 2024-03-31 in Paris lasts 23 hours: 00:30 and 23:30 local are the same day.
    const series = [
      archiveAt('2024-03-30T23:30:00Z', 'Europe/Paris'),
      archiveAt('2024-03-31T21:30:00Z', 'Europe/Paris'),
    ];
    expect(series.map((a) => a.local.day)).toEqual([31, 31]);
    expect(keptDays(series, { daily: 2 })).toHaveLength(1 + 1); // the oldest fallback keeps the other
    expect(applyRetention(series, policy({ daily: 1 })).map((v) => v.keptBy.length)).toEqual([1, 0]);
  });

  it('orders two archives of the same second by name, the greater first', () => {
    const a = archiveAt('2024-06-01T10:00:00Z', 'UTC', '-a');
    const b = archiveAt('2024-06-01T10:00:00Z', 'UTC', '-b');
    for (const series of [
      [a, b],
      [b, a],
    ]) {
      const verdicts = applyRetention(series, policy({ daily: 1 }));
      expect(verdicts.map((v) => [v.archive.id, v.keptBy.length])).toEqual([
        [b.id, 1],
        [a.id, 0],
      ]);
    }
  });
});
