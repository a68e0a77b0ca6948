import { describe, expect, it } from 'vitest';
import type { Frequency } from '../../src/options/frequency.js';
import { dueDecision, matchesOnly } from '../../src/planner/select.js';
import { EMPTY_STATE } from '../../src/state/point-state.js';
import type { StateSnapshots } from '../../src/state/read-states.js';

const selection = {
  onlyCollectPoints: [],
  onlyBackupPoints: [],
  skipCollect: false,
  skipBackup: false,
  force: false,
};
const daily: Frequency = { kind: 'daily', hour: 0 };
const states = (lastSuccess: string | null): StateSnapshots =>
  new Map([['/s.json', { sha256: 'x', state: { ...EMPTY_STATE, last_success: lastSuccess } }]]);
const now = new Date('2026-03-10T10:00:00+01:00');

describe('select', () => {
  it('runs a point that never succeeded and says so', () => {
    expect(dueDecision('collect point site', daily, '/s.json', new Map(), now, selection)).toEqual({
      run: true,
      reason: 'due: frequency daily, never succeeded',
    });
  });

  it('skips a point already done today, with its next due time and the way to force it', () => {
    expect(
      dueDecision(
        'collect point site',
        daily,
        '/s.json',
        states('2026-03-10T03:00:00+01:00'),
        now,
        selection,
      ),
    ).toEqual({
      run: false,
      reason:
        'not due: last success 2026-03-10T03:00:00+01:00, frequency daily, next due 2026-03-11T00:00:00+01:00 (--force runs it anyway)',
    });
  });

  it('runs it anyway with --force', () => {
    expect(
      dueDecision('collect point site', daily, '/s.json', states('2026-03-10T03:00:00+01:00'), now, {
        ...selection,
        force: true,
      }),
    ).toEqual({
      run: true,
      reason: 'forced by --force (frequency daily, last success 2026-03-10T03:00:00+01:00)',
    });
  });

  it('runs a point whose last success is in the future, and warns about the clock', () => {
    expect(
      dueDecision(
        'collect point site',
        daily,
        '/s.json',
        states('2027-01-01T03:00:00+01:00'),
        now,
        selection,
      ),
    ).toEqual({
      run: true,
      reason: 'due: frequency daily, last success 2027-01-01T03:00:00+01:00 is in the future',
      warning:
        'the last success of collect point site is in the future (2027-01-01T03:00:00+01:00): a clock was wrong when it was recorded; it is treated as due',
    });
  });

  it('matches --only patterns against names and tags, with globs; no pattern selects everything', () => {
    const tags = { own: ['prod', 'web'], included: [], excluded: [] };
    expect(matchesOnly([], 'site', tags)).toBe(true);
    expect(matchesOnly(['site'], 'site', tags)).toBe(true);
    expect(matchesOnly(['pr*'], 'site', tags)).toBe(true);
    expect(matchesOnly(['s?te'], 'site', tags)).toBe(true);
    expect(matchesOnly(['db', 'dev*'], 'site', tags)).toBe(false);
  });
});
