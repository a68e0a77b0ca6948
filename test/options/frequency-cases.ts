import { type Frequency, parseFrequency } from '../../src/options/frequency.js';

/** Times are written with their Europe/Paris offset (vitest.config.ts pins TZ). */
export const at = (iso: string): Date => new Date(iso);

/** A frequency the test knows to be valid. */
export const freq = (text: string): Frequency => {
  const f = parseFrequency(text);
  if (f === undefined) throw new Error(`test bug: ${text} does not parse`);
  return f;
};
