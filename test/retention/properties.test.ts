import { describe, expect, it } from 'vitest';
import { PERIOD_RULES, periodOf, RULES, type RuleName } from '../../src/retention/periods.js';
import { applyRetention, type Dated, newestFirst, type Policy } from '../../src/retention/retention.js';
import { referenceKept } from './reference.js';
import { archiveAt, localIn, random } from './series.js';

const ZONES = ['UTC', 'Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata'];

/** Instants that make calendars hard: DST changes, ISO week 53 and week 1, the leap day. */
const HARD_DAYS = [
  '2024-03-31T00:00:00Z', // Paris springs forward: a 23-hour day
  '2024-10-27T00:00:00Z', // Paris falls back: a 25-hour day
  '2024-03-10T06:00:00Z', // New York springs forward
  '2024-11-03T05:00:00Z', // New York falls back
  '2020-12-28T00:00:00Z', // 2020-W53 up to 2021-01-03
  '2026-12-28T00:00:00Z', // 2026-W53
  '2024-12-30T00:00:00Z', // 2025-W01 starts in December
  '2024-02-29T00:00:00Z', // leap day
  '2023-02-28T00:00:00Z',
];

const HOUR = 3_600_000;

/** A random series: runs at random gaps (minutes to years), around hard days, some in the same second. */
function randomSeries(next: () => number): Dated[] {
  const zone = ZONES[Math.floor(next() * ZONES.length)] as string;
  const count = 1 + Math.floor(next() * 120);
  const start =
    Date.parse(HARD_DAYS[Math.floor(next() * HARD_DAYS.length)] as string) - next() * 40 * 24 * HOUR;
  const gaps = [HOUR / 60, HOUR, 6 * HOUR, 24 * HOUR, 7 * 24 * HOUR, 400 * 24 * HOUR];
  const archives: Dated[] = [];
  let instant = Math.floor(start / 1000) * 1000;
  for (let i = 0; i < count; i++) {
    const roll = next();
    if (roll < 0.05 && archives.length > 0) {
      // Another archive in the same second: told apart by its name.
    } else if (roll < 0.1)
      instant += 2 * 365 * 24 * HOUR; // a pause longer than every window
    else
      instant +=
        Math.floor(((gaps[Math.floor(next() * gaps.length)] as number) * (0.5 + next())) / 1000) * 1000;
    const at = new Date(instant).toISOString();
    archives.push({ ...archiveAt(at, zone, `#${i}`), local: localIn(zone, instant) });
  }
  return archives;
}

function randomPolicy(next: () => number): Policy {
  const counts = Object.fromEntries(
    RULES.map((rule) => {
      const roll = next();
      return [rule, roll < 0.4 ? 0 : roll < 0.45 ? -1 : 1 + Math.floor(next() * 8)];
    }),
  ) as Record<RuleName, number>;
  if (RULES.every((rule) => counts[rule] === 0)) counts.daily = 1 + Math.floor(next() * 8);
  return counts;
}

const keptIds = (archives: readonly Dated[], policy: Policy): Set<string> =>
  new Set(
    applyRetention(archives, policy)
      .filter((v) => v.keptBy.length > 0)
      .map((v) => v.archive.id),
  );

describe('retention: properties over random series', () => {
  const SEEDS = Array.from({ length: 400 }, (_, i) => i + 1);

  it('keeps exactly what the reference model keeps', () => {
    for (const seed of SEEDS) {
      const next = random(seed);
      const series = randomSeries(next);
      const policy = randomPolicy(next);
      expect([...keptIds(series, policy)].sort(), `seed ${seed}`).toEqual(
        [...referenceKept(series, policy)].sort(),
      );
    }
  });

  it('always keeps the newest archive, never keeps more than the counts allow, and ignores input order', () => {
    for (const seed of SEEDS) {
      const next = random(seed);
      const series = randomSeries(next);
      const policy = randomPolicy(next);
      const verdicts = applyRetention(series, policy);
      expect(verdicts[0]?.keptBy.length, `seed ${seed}`).toBeGreaterThan(0);
      for (const rule of RULES.filter((r) => policy[r] > 0)) {
        const keptByRule = verdicts.filter((v) => v.keptBy.some((reason) => reason.rule === rule)).length;
        expect(keptByRule, `seed ${seed} ${rule}`).toBeLessThanOrEqual(policy[rule]);
      }
      const shuffled = [...series].sort(() => next() - 0.5);
      expect(keptIds(shuffled, policy), `seed ${seed}`).toEqual(keptIds(series, policy));
    }
  });

  it('gives every archive a verdict per rule: kept, or a miss that names a newer archive or a used-up count', () => {
    for (const seed of SEEDS.slice(0, 100)) {
      const next = random(seed);
      const series = randomSeries(next);
      const policy = randomPolicy(next);
      const active = RULES.filter((r) => policy[r] !== 0);
      const ids = new Set(series.map((a) => a.id));
      for (const verdict of applyRetention(series, policy)) {
        expect([...verdict.keptBy, ...verdict.misses].map((x) => x.rule).sort()).toEqual([...active].sort());
        for (const miss of verdict.misses)
          if (miss.newer !== undefined) expect(ids.has(miss.newer)).toBe(true);
      }
    }
  });

  it('covers the hard cases it claims: DST days, week 53, the leap day, same-second pairs, long pauses', () => {
    const seen = { week53: false, leapDay: false, sameSecond: false, dstDay: false, longPause: false };
    for (const seed of SEEDS) {
      const series = newestFirst(randomSeries(random(seed)));
      for (const [i, a] of series.entries()) {
        if (periodOf('weekly', a.local).endsWith('W53')) seen.week53 = true;
        if (a.local.month === 2 && a.local.day === 29) seen.leapDay = true;
        const older = series[i + 1];
        if (older !== undefined && older.instant === a.instant) seen.sameSecond = true;
        if (older !== undefined && a.instant - older.instant > 366 * 24 * HOUR) seen.longPause = true;
        if (['2024-03-31', '2024-10-27', '2024-03-10', '2024-11-03'].includes(periodOf('daily', a.local)))
          seen.dstDay = true;
      }
    }
    expect(seen).toEqual({ week53: true, leapDay: true, sameSecond: true, dstDay: true, longPause: true });
    expect(PERIOD_RULES).toHaveLength(5);
  });
});
