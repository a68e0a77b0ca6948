import { describe, expect, it } from 'vitest';
import { isDue, isOverdue, nextDue } from '../../src/options/frequency.js';
import { at, freq } from './frequency-cases.js';

/** When a point becomes overdue, and when it is due next. */
describe('isOverdue: a whole period missed', () => {
  const last = at('2026-03-10T10:10:00+01:00');
  it('warns about hourly once the clock hour after the due one has passed without a success', () => {
    expect(isOverdue(freq('hourly'), last, at('2026-03-10T11:59:59+01:00'))).toBe(false);
    expect(isOverdue(freq('hourly'), last, at('2026-03-10T12:00:00+01:00'))).toBe(true);
  });

  it('warns about 3600 the same way: one period after it became due, not as soon as it is due', () => {
    // Due at 11:07 (3600 s less the 3-minute margin); overdue an hour later.
    expect(isDue(freq('3600'), last, at('2026-03-10T11:07:00+01:00'))).toBe(true);
    expect(isOverdue(freq('3600'), last, at('2026-03-10T11:07:00+01:00'))).toBe(false);
    expect(isOverdue(freq('3600'), last, at('2026-03-10T12:06:59+01:00'))).toBe(false);
    expect(isOverdue(freq('3600'), last, at('2026-03-10T12:07:00+01:00'))).toBe(true);
  });

  it('warns about daily after a whole calendar day without a success, never about always', () => {
    expect(isOverdue(freq('daily'), last, at('2026-03-11T23:59:59+01:00'))).toBe(false);
    expect(isOverdue(freq('daily'), last, at('2026-03-12T00:00:00+01:00'))).toBe(true);
    expect(isOverdue(freq('always'), at('2020-01-01T00:00:00+01:00'), last)).toBe(false);
  });
});

describe('nextDue', () => {
  const now = at('2026-03-10T12:00:00+01:00');

  it('is undefined when the point never succeeded or is always due', () => {
    expect(nextDue(freq('daily'), undefined, now)).toBeUndefined();
    expect(nextDue(freq('always'), at('2026-03-10T11:00:00+01:00'), now)).toBeUndefined();
  });

  it('is now when the point is already due', () => {
    expect(nextDue(freq('daily'), at('2026-03-09T11:00:00+01:00'), now)).toEqual(now);
  });

  it.each([
    ['600', '2026-03-10T11:55:00+01:00', '2026-03-10T12:04:30+01:00'],
    ['hourly', '2026-03-10T12:00:00+01:00', '2026-03-10T13:00:00+01:00'],
    ['daily', '2026-03-10T01:00:00+01:00', '2026-03-11T00:00:00+01:00'],
    ['daily:3', '2026-03-10T03:10:00+01:00', '2026-03-11T03:00:00+01:00'],
    ['daily:18', '2026-03-10T11:00:00+01:00', '2026-03-10T18:00:00+01:00'],
    ['weekly', '2026-03-09T08:00:00+01:00', '2026-03-16T00:00:00+01:00'],
    ['weekly:1', '2026-03-10T08:00:00+01:00', '2026-03-17T00:00:00+01:00'],
    ['weekly:4', '2026-03-06T08:00:00+01:00', '2026-03-13T00:00:00+01:00'],
    ['monthly', '2026-03-01T08:00:00+01:00', '2026-04-01T00:00:00+02:00'],
    ['monthly:10', '2026-03-10T08:00:00+01:00', '2026-04-10T00:00:00+02:00'],
  ])('gives the next due time of %s after a success at %s: %s', (f, last, expected) => {
    expect(nextDue(freq(f), at(last), now)).toEqual(at(expected));
  });

  it('clamps monthly:31 to the next month length', () => {
    expect(
      nextDue(freq('monthly:31'), at('2026-03-31T10:00:00+02:00'), at('2026-04-01T00:00:00+02:00')),
    ).toEqual(at('2026-04-30T00:00:00+02:00'));
    expect(
      nextDue(freq('monthly:31'), at('2026-01-31T10:00:00+01:00'), at('2026-02-01T00:00:00+01:00')),
    ).toEqual(at('2026-02-28T00:00:00+01:00'));
  });

  it.each([
    ['March and April 2026, every 7 h 13 min', '2026-03-01T00:00:00+01:00', 61, 26_000_000],
    ['the autumn change week, every 10 min', '2026-10-22T00:00:00+02:00', 6, 600_000],
  ])('agrees with isDue through %s: due at nextDue, not due a millisecond before', (_, from, days, step) => {
    const start = at(from).getTime();
    for (const f of [
      '600',
      'hourly',
      'daily',
      'daily:3',
      'daily:2',
      'weekly',
      'weekly:6',
      'monthly',
      'monthly:31',
    ]) {
      for (let t = start; t < start + days * 86_400_000; t += step) {
        const last = new Date(t);
        const next = nextDue(freq(f), last, new Date(t + 1));
        expect(next, `${f} after ${last.toISOString()}`).toBeDefined();
        if (next === undefined) continue;
        expect(isDue(freq(f), last, next), `${f} at ${next.toISOString()}`).toBe(true);
        expect(isDue(freq(f), last, new Date(next.getTime() - 1)), `${f} before ${next.toISOString()}`).toBe(
          false,
        );
      }
    }
  });
});
