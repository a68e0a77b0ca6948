import type { LocalTime } from '../../src/retention/periods.js';
import type { Dated } from '../../src/retention/retention.js';

const formats = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock fields of an instant in a zone, as a run there records them. */
export function localIn(zone: string, instant: number): LocalTime {
  let format = formats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
    });
    formats.set(zone, format);
  }
  const parts = format.formatToParts(new Date(instant));
  const field = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { year: field('year'), month: field('month'), day: field('day'), hour: field('hour') };
}

/** An archive made at `iso` (UTC), read in `zone`; its id is its UTC time (and a suffix). */
export function archiveAt(iso: string, zone = 'UTC', suffix = ''): Dated {
  const instant = Date.parse(iso);
  return {
    id: `${new Date(instant).toISOString().slice(0, 19)}${suffix}`,
    instant,
    local: localIn(zone, instant),
  };
}

/** One archive a day at `hour`:00 UTC from `first` to `last` (YYYY-MM-DD, inclusive). */
export function dailyAt(first: string, last: string, hour: number): Dated[] {
  const archives: Dated[] = [];
  for (let day = Date.parse(first); day <= Date.parse(last); day += 86_400_000)
    archives.push(archiveAt(new Date(day + hour * 3_600_000).toISOString()));
  return archives;
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so a failing seed can be replayed. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
