import { describe, expect, it } from 'vitest';
import {
  describeFrequency,
  earlyMarginMs,
  type Frequency,
  isDue,
  isOverdue,
  lastAnchor,
  parseFrequency,
} from '../../src/options/frequency.js';
import { at, freq } from './frequency-cases.js';

describe('parseFrequency', () => {
  it.each<[string, Frequency]>([
    ['', { kind: 'always' }],
    ['always', { kind: 'always' }],
    ['0', { kind: 'always' }],
    ['3600', { kind: 'seconds', seconds: 3600 }],
    ['hourly', { kind: 'hourly' }],
    ['daily', { kind: 'daily', hour: 0 }],
    ['daily:0', { kind: 'daily', hour: 0 }],
    ['daily:23', { kind: 'daily', hour: 23 }],
    ['weekly', { kind: 'weekly', weekday: 0 }],
    ['weekly:6', { kind: 'weekly', weekday: 6 }],
    ['monthly', { kind: 'monthly', day: 1 }],
    ['monthly:31', { kind: 'monthly', day: 31 }],
    ['  daily:3  ', { kind: 'daily', hour: 3 }],
  ])('reads %j', (text, expected) => {
    expect(parseFrequency(text)).toEqual(expected);
  });

  it.each([
    'daily:24',
    'weekly:7',
    'monthly:0',
    'monthly:32',
    'fortnightly',
    'yearly',
    'Daily',
    'daily:',
    'daily: 3',
    'daily:003',
    'daily:-1',
    'hourly:2',
    '-1',
    '1.5',
    '1e3',
    '3600s',
  ])('rejects %j', (text) => {
    expect(parseFrequency(text)).toBeUndefined();
  });

  it.each<[string, string]>([
    ['always', 'always'],
    ['600', 'every 600 s'],
    ['hourly', 'hourly'],
    ['daily', 'daily'],
    ['daily:3', 'daily after 3:00'],
    ['weekly', 'weekly on Monday'],
    ['weekly:6', 'weekly on Sunday'],
    ['monthly:15', 'monthly on day 15'],
  ])('describes %s as %j', (text, description) => {
    expect(describeFrequency(freq(text))).toBe(description);
  });
});

describe('isDue', () => {
  it('is due when the point never succeeded, whatever the frequency', () => {
    for (const f of ['always', '60', 'hourly', 'daily', 'weekly', 'monthly']) {
      expect(isDue(freq(f), undefined, at('2026-03-10T04:05:06+01:00'))).toBe(true);
    }
  });

  it('is always due with always, even a second after a success', () => {
    expect(isDue(freq('always'), at('2026-03-10T04:05:05+01:00'), at('2026-03-10T04:05:06+01:00'))).toBe(
      true,
    );
  });

  describe('daily', () => {
    it('is due at 02:59:50 after yesterday 03:00:05: a run a few seconds early never skips a day', () => {
      expect(isDue(freq('daily'), at('2026-03-09T03:00:05+01:00'), at('2026-03-10T02:59:50+01:00'))).toBe(
        true,
      );
    });

    it('is not due again on the same calendar day', () => {
      expect(isDue(freq('daily'), at('2026-03-10T00:00:01+01:00'), at('2026-03-10T23:59:59+01:00'))).toBe(
        false,
      );
    });

    it('is due at midnight after a success one second before it', () => {
      expect(isDue(freq('daily'), at('2026-03-09T23:59:59+01:00'), at('2026-03-10T00:00:00+01:00'))).toBe(
        true,
      );
    });

    it('counts a success at exactly midnight for the new day', () => {
      expect(isDue(freq('daily'), at('2026-03-10T00:00:00+01:00'), at('2026-03-10T12:00:00+01:00'))).toBe(
        false,
      );
    });
  });

  describe('daily:H', () => {
    const daily3 = freq('daily:3');

    it('is not due again at 12:30 after a success at 03:10 the same day (no sliding anchor)', () => {
      expect(isDue(daily3, at('2026-03-10T03:10:00+01:00'), at('2026-03-10T12:30:00+01:00'))).toBe(false);
    });

    it('is not due before 03:00 when the last success was after yesterday 03:00', () => {
      expect(isDue(daily3, at('2026-03-09T03:10:00+01:00'), at('2026-03-10T02:59:59+01:00'))).toBe(false);
    });

    it('is due from 03:00 on', () => {
      expect(isDue(daily3, at('2026-03-09T03:10:00+01:00'), at('2026-03-10T03:00:00+01:00'))).toBe(true);
    });

    it('is due at 03:00 after a success at 02:00 the same day', () => {
      expect(isDue(daily3, at('2026-03-10T02:00:00+01:00'), at('2026-03-10T03:00:00+01:00'))).toBe(true);
    });

    it('anchors before H:00 on yesterday', () => {
      expect(lastAnchor(daily3, at('2026-03-10T01:00:00+01:00'))).toEqual(at('2026-03-09T03:00:00+01:00'));
    });
  });

  describe('weekly', () => {
    it('is due on Monday after a success on Sunday night (weekly = Monday)', () => {
      // 2026-03-08 is a Sunday.
      expect(isDue(freq('weekly'), at('2026-03-08T23:00:00+01:00'), at('2026-03-09T00:00:01+01:00'))).toBe(
        true,
      );
    });

    it('is not due on Sunday after a success on Monday of the same week', () => {
      expect(isDue(freq('weekly'), at('2026-03-09T00:30:00+01:00'), at('2026-03-15T23:59:59+01:00'))).toBe(
        false,
      );
    });

    it('counts weekdays from Monday=0: weekly:4 is due on Friday', () => {
      const friday = freq('weekly:4');
      // 2026-03-06 and 2026-03-13 are Fridays.
      expect(isDue(friday, at('2026-03-06T10:00:00+01:00'), at('2026-03-12T23:59:59+01:00'))).toBe(false);
      expect(isDue(friday, at('2026-03-06T10:00:00+01:00'), at('2026-03-13T00:00:00+01:00'))).toBe(true);
    });

    it('anchors weekly:6 on the most recent Sunday, today included', () => {
      expect(lastAnchor(freq('weekly:6'), at('2026-03-08T15:00:00+01:00'))).toEqual(
        at('2026-03-08T00:00:00+01:00'),
      );
      expect(lastAnchor(freq('weekly:6'), at('2026-03-07T15:00:00+01:00'))).toEqual(
        at('2026-03-01T00:00:00+01:00'),
      );
    });
  });

  describe('monthly', () => {
    it('is due on the first after a success on the last evening of the month', () => {
      expect(isDue(freq('monthly'), at('2026-03-31T23:00:00+02:00'), at('2026-04-01T00:00:01+02:00'))).toBe(
        true,
      );
    });

    it('is due on day D even when last month ran on D+1 (no drift)', () => {
      expect(
        isDue(freq('monthly:10'), at('2026-02-11T08:00:00+01:00'), at('2026-03-10T08:00:00+01:00')),
      ).toBe(true);
    });

    it.each([
      ['2026-04-15T12:00:00+02:00', '2026-03-31T00:00:00+02:00'],
      ['2026-04-30T12:00:00+02:00', '2026-04-30T00:00:00+02:00'],
      ['2026-02-28T12:00:00+01:00', '2026-02-28T00:00:00+01:00'],
      ['2028-02-29T12:00:00+01:00', '2028-02-29T00:00:00+01:00'],
      ['2026-03-15T12:00:00+01:00', '2026-02-28T00:00:00+01:00'],
      ['2026-01-10T12:00:00+01:00', '2025-12-31T00:00:00+01:00'],
    ])('clamps monthly:31 to the month length: at %s the anchor is %s', (now, anchor) => {
      expect(lastAnchor(freq('monthly:31'), at(now))).toEqual(at(anchor));
    });

    it('runs monthly:31 on April 30 after a success on March 31', () => {
      const m31 = freq('monthly:31');
      expect(isDue(m31, at('2026-03-31T10:00:00+02:00'), at('2026-04-29T23:59:59+02:00'))).toBe(false);
      expect(isDue(m31, at('2026-03-31T10:00:00+02:00'), at('2026-04-30T00:00:00+02:00'))).toBe(true);
    });
  });

  describe('hourly and seconds', () => {
    it('is due hourly at the start of the next clock hour', () => {
      expect(isDue(freq('hourly'), at('2026-03-10T10:59:59+01:00'), at('2026-03-10T11:00:00+01:00'))).toBe(
        true,
      );
      expect(isDue(freq('hourly'), at('2026-03-10T11:00:00+01:00'), at('2026-03-10T11:59:59+01:00'))).toBe(
        false,
      );
    });

    it('is due when at least N seconds elapsed, less the early margin (3 minutes for 3600)', () => {
      const hour = freq('3600');
      expect(isDue(hour, at('2026-03-10T10:00:00+01:00'), at('2026-03-10T10:56:59.999+01:00'))).toBe(false);
      expect(isDue(hour, at('2026-03-10T10:00:00+01:00'), at('2026-03-10T10:57:00+01:00'))).toBe(true);
    });
  });

  describe('daylight saving time in Europe/Paris', () => {
    // 2026-03-29: 02:00 CET becomes 03:00 CEST. 2026-10-25: 03:00 CEST becomes 02:00 CET.
    it('is due daily on the spring change day although less than 24 h elapsed', () => {
      const last = at('2026-03-28T03:00:05+01:00');
      const now = at('2026-03-29T03:00:00+02:00');
      expect(isDue(freq('daily'), last, now)).toBe(true);
      expect(isDue(freq('86400'), last, now)).toBe(false);
    });

    it('anchors daily on the local midnight of the spring change day', () => {
      expect(lastAnchor(freq('daily'), at('2026-03-29T12:00:00+02:00'))).toEqual(
        at('2026-03-29T00:00:00+01:00'),
      );
    });

    it('moves daily:2 to 03:00 on the spring change day, when 02:00 does not exist', () => {
      expect(lastAnchor(freq('daily:2'), at('2026-03-29T03:30:00+02:00'))).toEqual(
        at('2026-03-29T03:00:00+02:00'),
      );
    });

    it('anchors daily:2 on the first 02:00 of the autumn change day', () => {
      expect(lastAnchor(freq('daily:2'), at('2026-10-25T02:30:00+01:00'))).toEqual(
        at('2026-10-25T02:00:00+02:00'),
      );
    });

    it('runs daily once on the 25-hour autumn change day', () => {
      const daily = freq('daily');
      expect(isDue(daily, at('2026-10-25T00:10:00+02:00'), at('2026-10-25T23:59:00+01:00'))).toBe(false);
      expect(isDue(daily, at('2026-10-24T23:30:00+02:00'), at('2026-10-25T00:10:00+02:00'))).toBe(true);
    });

    it('is due weekly on the Monday after the spring change', () => {
      expect(isDue(freq('weekly'), at('2026-03-23T00:30:00+01:00'), at('2026-03-30T00:00:00+02:00'))).toBe(
        true,
      );
      expect(lastAnchor(freq('weekly'), at('2026-03-29T12:00:00+02:00'))).toEqual(
        at('2026-03-23T00:00:00+01:00'),
      );
    });

    // Known defect (src/options/frequency.ts lastAnchor, 'hourly'): new Date(y, m, d, hour) picks the
    // first 02:00 of the autumn change day, so in the repeated hour (02:00-02:59 CET) the anchor is
    // an hour too early and a point that ran during 02:xx CEST is not due again until 03:00.
    it('starts a new hour at 02:00 CET, the repeated hour of the autumn change', () => {
      expect(lastAnchor(freq('hourly'), at('2026-10-25T02:10:00+01:00'))).toEqual(
        at('2026-10-25T02:00:00+01:00'),
      );
    });
  });
});

describe('N seconds, started a little late by cron', () => {
  it('is due 5 % early, at most 5 minutes, so a cron every N seconds never skips a period', () => {
    expect(earlyMarginMs(60)).toBe(3000);
    expect(earlyMarginMs(3600)).toBe(180_000);
    expect(earlyMarginMs(86400)).toBe(300_000);
    // A daily cron: yesterday's run started 2 s late, today's 1 s late.
    expect(isDue(freq('86400'), at('2026-03-09T03:00:02+01:00'), at('2026-03-10T03:00:01+01:00'))).toBe(true);
    expect(isDue(freq('86400'), at('2026-03-10T03:00:02+01:00'), at('2026-03-11T02:55:02+01:00'))).toBe(true);
    expect(isDue(freq('86400'), at('2026-03-10T03:00:02+01:00'), at('2026-03-11T02:55:01+01:00'))).toBe(
      false,
    );
    expect(isDue(freq('60'), at('2026-03-10T10:00:02+01:00'), at('2026-03-10T10:01:00+01:00'))).toBe(true);
    expect(isDue(freq('60'), at('2026-03-10T10:00:00+01:00'), at('2026-03-10T10:00:56+01:00'))).toBe(false);
  });
});

describe('a last success in the future', () => {
  const future = at('2027-01-01T00:00:00+01:00');
  const now = at('2026-03-10T12:00:00+01:00');
  it.each(['60', 'hourly', 'daily', 'weekly', 'monthly'])('makes %s due, never overdue', (f) => {
    expect(isDue(freq(f), future, now)).toBe(true);
    expect(isOverdue(freq(f), future, now)).toBe(false);
  });
});
