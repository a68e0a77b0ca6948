import { describe, expect, it } from 'vitest';
import { lineStamper } from '../../src/cli/log-file.js';
import { formatTimestamp } from '../../src/state/point-state.js';

describe('the --log-file line stamps', () => {
  it('stamps each line once, whatever the chunks, and keeps a character split between chunks whole', () => {
    const times = [
      new Date('2026-11-30T03:00:00Z'),
      new Date('2026-11-30T03:00:07Z'),
      new Date('2026-11-30T03:01:00Z'),
    ];
    let call = 0;
    const written: Buffer[] = [];
    const stamp = lineStamper(
      (bytes) => written.push(Buffer.from(bytes)),
      () => times[call++] as Date,
    );
    const text = Buffer.from('copying é\nsummary:\n  ok');
    const split = text.indexOf(0xa9); // the second byte of é
    stamp(text.subarray(0, split));
    stamp(text.subarray(split, split + 4));
    stamp(text.subarray(split + 4));
    const [first, second, third] = times.map((t) => formatTimestamp(t));
    expect(Buffer.concat(written).toString('utf8')).toBe(
      `${first} copying é\n${second} summary:\n${third}   ok`,
    );
    expect(call).toBe(3);
  });
});
