import { describe, expect, it } from 'vitest';
import {
  EMPTY_STATE,
  fillStateTemplate,
  formatTimestamp,
  nextStateTemplates,
  type PointState,
  parseState,
  parseTimestamp,
  SharedVariables,
} from '../../src/state/point-state.js';

describe('state files', () => {
  it('reads the original PointInfo JSON, whatever fields are missing', () => {
    expect(
      parseState('{"last_state_valid": true, "success_count": 3, "last_success": "2016-05-01T03:00:00"}'),
    ).toEqual({
      ...EMPTY_STATE,
      last_state_valid: true,
      success_count: 3,
      last_success: '2016-05-01T03:00:00',
    });
  });

  it('rejects what is not a JSON object', () => {
    expect(parseState('not json')).toBeUndefined();
    expect(parseState('[1]')).toBeUndefined();
  });

  it('reads naive timestamps as local time and offset timestamps exactly', () => {
    expect(parseTimestamp('2026-07-01T03:00:00')?.toISOString()).toBe('2026-07-01T01:00:00.000Z');
    expect(parseTimestamp('2026-07-01T03:00:00+00:00')?.toISOString()).toBe('2026-07-01T03:00:00.000Z');
    expect(parseTimestamp(null)).toBeUndefined();
    expect(parseTimestamp('garbage')).toBeUndefined();
  });

  it('writes timestamps with their offset, in local time', () => {
    expect(formatTimestamp(new Date('2026-01-15T12:00:00Z'))).toBe('2026-01-15T13:00:00+01:00');
    expect(formatTimestamp(new Date('2026-07-15T12:00:00Z'))).toBe('2026-07-15T14:00:00+02:00');
  });

  it('prepares both outcomes: counters, timestamps and the failure message', () => {
    const previous = {
      ...EMPTY_STATE,
      success_count: 4,
      fail_count: 1,
      last_success: '2026-01-01T00:00:00+01:00',
    };
    const { onSuccess, onFailure } = nextStateTemplates(previous, 'abc', { Y: '2026' });
    const times = { started: '2026-02-02T02:00:00+01:00', now: '2026-02-02T02:02:02+01:00', duration: 122 };
    expect(JSON.parse(fillStateTemplate(onSuccess, times, 'ok'))).toEqual({
      ...previous,
      last_state_valid: true,
      success_count: 5,
      last_message: 'ok',
      last_success: '2026-02-02T02:00:00+01:00',
      config_hash: 'abc',
      variables: { Y: '2026' },
      last_duration: 122,
    });
    expect(JSON.parse(fillStateTemplate(onFailure, times, 'step 2 of 3 failed with exit code 23'))).toEqual({
      ...previous,
      last_state_valid: false,
      fail_count: 2,
      last_message: 'step 2 of 3 failed with exit code 23',
      last_fail: '2026-02-02T02:02:02+01:00',
      config_hash: 'abc',
      last_duration: 122,
    });
  });

  it('keeps the string variables of a state, and only those', () => {
    const read = (variables: string) => parseState(`{"variables": ${variables}}`)?.variables;
    expect(read('{"Y": "2026", "m": "12"}')).toEqual({ Y: '2026', m: '12' });
    expect(read('{"Y": "2026", "n": 3, "o": null, "m": "12"}')).toEqual({ Y: '2026', m: '12' });
    expect(read('["2026"]')).toEqual({});
    expect(read('"2026"')).toEqual({});
  });

  it('shares a set of variables equal to the last one read, members and order alike', () => {
    const shared = new SharedVariables();
    const read = (variables: string) => parseState(`{"variables": ${variables}}`, shared)?.variables;
    const first = read('{"Y": "2026", "m": "12"}');
    expect(read('{"Y": "2026", "m": "12"}')).toBe(first);
    const reordered = read('{"m": "12", "Y": "2026"}');
    expect(reordered).not.toBe(first);
    expect(JSON.stringify(reordered)).toBe('{"m":"12","Y":"2026"}');
    expect(read('{"m": "12", "Y": "2026", "d": "01"}')).not.toBe(reordered);
    const other = read('{"m": "11", "Y": "2026"}');
    expect(other).toEqual({ m: '11', Y: '2026' });
    expect(read('{"m": "11"}')).toEqual({ m: '11' });
  });

  it('keeps the copies whose figures are whole counts, and only those', () => {
    const read = (copies: string) => parseState(`{"copies": ${copies}}`)?.copies;
    const whole = '{"/a": {"files": 3, "bytes": 40}, "/b": {"files": 0, "bytes": 0}}';
    expect(read(whole)).toEqual({ '/a': { files: 3, bytes: 40 }, '/b': { files: 0, bytes: 0 } });
    const mixed =
      '{"/a": {"files": 3, "bytes": 40}, "/b": {"files": -1, "bytes": 0}, "/c": {"files": 1.5, "bytes": 2}, "/d": null, "/e": {"files": 1, "bytes": 2, "more": 3}}';
    expect(read(mixed)).toEqual({ '/a': { files: 3, bytes: 40 }, '/e': { files: 1, bytes: 2 } });
    expect(JSON.stringify(read(mixed))).toBe('{"/a":{"files":3,"bytes":40},"/e":{"files":1,"bytes":2}}');
    expect(read('[1]')).toBeUndefined();
    expect(read('{}')).toEqual({});
  });

  it('writes each template as the JSON of the previous state with its changes, members in place', () => {
    // Where a member stands is what the original and earlier states have: the text must not move
    // them (the scripts that hold these texts are compared byte for byte).
    const previous = parseState(
      '{"last_state_valid":false,"success_count":2,"fail_count":1,"total_size":7,"last_message":"x\\"y","last_success":null,"last_fail":"2026-01-01T00:00:00","config_hash":null,"variables":{"Y":"2025"},"data":[1,{"a":"b"}],"copies":{"/c":{"files":1,"bytes":2}},"last_duration":4}',
    ) as PointState;
    const spread = (changes: object) => {
      const { copies: _c, last_duration: _d, ...kept } = previous;
      return { ...kept, ...changes };
    };
    // A backup unit's failure (one that measures no size) keeps the figures of its last success,
    // where they stood.
    const spreadKeepingCopies = (changes: object) => {
      const { last_duration: _d, ...kept } = previous;
      return { ...kept, ...changes };
    };
    const SIZE = '@@POLYARCHIV_SIZE@@';
    const DURATION = '@@POLYARCHIV_DURATION@@';
    const asTemplate = (state: object) =>
      JSON.stringify(state).replace(`"${SIZE}"`, SIZE).replace(`"${DURATION}"`, DURATION);
    for (const measured of [false, true])
      for (const copies of [false, true])
        for (const history of [undefined, { recorded: { kept: ['a'] } }]) {
          const { onSuccess, onFailure } = nextStateTemplates(
            previous,
            'h"',
            { Y: '2026' },
            measured,
            history,
            copies,
          );
          expect(onSuccess).toBe(
            asTemplate({
              ...spread({
                ...(history === undefined ? {} : { data: history.recorded }),
                last_state_valid: true,
                success_count: 3,
                last_message: 'ok',
                last_success: '@@POLYARCHIV_STARTED@@',
                config_hash: 'h"',
                variables: { Y: '2026' },
              }),
              ...(measured ? { total_size: SIZE } : {}),
              ...(copies ? { copies: '@@POLYARCHIV_COPIES@@' } : {}),
              last_duration: DURATION,
            }),
          );
          expect(onFailure).toBe(
            asTemplate({
              ...(measured ? spread : spreadKeepingCopies)({
                last_state_valid: false,
                fail_count: 2,
                last_message: '@@POLYARCHIV_MESSAGE@@',
                last_fail: '@@POLYARCHIV_NOW@@',
                config_hash: 'h"',
              }),
              last_duration: DURATION,
            }),
          );
        }
  });
});
