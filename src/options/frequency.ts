/**
 * Calendar frequencies. A point is due when its last success is older than the most
 * recent anchor (the start of the current hour, day, week or month, shifted by the option's
 * argument), so a run that starts a few seconds earlier than yesterday's never skips a day.
 */
export type Frequency =
  | { readonly kind: 'always' }
  | { readonly kind: 'seconds'; readonly seconds: number }
  | { readonly kind: 'hourly' }
  | { readonly kind: 'daily'; readonly hour: number }
  | { readonly kind: 'weekly'; readonly weekday: number }
  | { readonly kind: 'monthly'; readonly day: number };

/** A hundred years: beyond, date arithmetic leaves the range of a Date. */
const MAX_SECONDS = 3_155_760_000;

export const FREQUENCY_FORMS =
  "'always', a number of seconds (up to 3155760000), 'hourly', 'daily', 'daily:H' (0-23), 'weekly', 'weekly:D' (0=Monday-6), 'monthly' or 'monthly:D' (1-31)";

export function parseFrequency(text: string): Frequency | undefined {
  const spec = text.trim();
  if (spec === '' || spec === 'always') return { kind: 'always' };
  if (spec === 'hourly') return { kind: 'hourly' };
  if (/^\d+$/.test(spec)) {
    const seconds = Number(spec);
    if (seconds > MAX_SECONDS) return undefined;
    return seconds === 0 ? { kind: 'always' } : { kind: 'seconds', seconds };
  }
  const match = /^(daily|weekly|monthly)(?::(\d{1,2}))?$/.exec(spec);
  if (match === null) return undefined;
  const arg = match[2] === undefined ? undefined : Number(match[2]);
  switch (match[1]) {
    case 'daily':
      return arg === undefined || arg <= 23 ? { kind: 'daily', hour: arg ?? 0 } : undefined;
    case 'weekly':
      return arg === undefined || arg <= 6 ? { kind: 'weekly', weekday: arg ?? 0 } : undefined;
    default:
      return arg === undefined || (arg >= 1 && arg <= 31) ? { kind: 'monthly', day: arg ?? 1 } : undefined;
  }
}

export function describeFrequency(f: Frequency): string {
  switch (f.kind) {
    case 'always':
      return 'always';
    case 'seconds':
      return `every ${f.seconds} s`;
    case 'hourly':
      return 'hourly';
    case 'daily':
      return f.hour === 0 ? 'daily' : `daily after ${f.hour}:00`;
    case 'weekly':
      return `weekly on ${WEEKDAYS[f.weekday]}`;
    case 'monthly':
      return `monthly on day ${f.day}`;
  }
}

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** The most recent instant (local time) at or before `now` from which a new run is due. */
export function lastAnchor(f: Frequency, now: Date): Date | undefined {
  const y = now.getFullYear();
  const m = now.getMonth();
  const d = now.getDate();
  switch (f.kind) {
    case 'always':
      return undefined;
    case 'seconds':
      return new Date(now.getTime() - f.seconds * 1000);
    case 'hourly':
      // Subtracting the local minutes keeps the repeated hour of a DST change a separate hour.
      return new Date(
        now.getTime() - (now.getMinutes() * 60 + now.getSeconds()) * 1000 - now.getMilliseconds(),
      );
    case 'daily': {
      const today = new Date(y, m, d, f.hour);
      return today <= now ? today : new Date(y, m, d - 1, f.hour);
    }
    case 'weekly': {
      const mondayBased = (now.getDay() + 6) % 7;
      const back = (mondayBased - f.weekday + 7) % 7;
      return new Date(y, m, d - back);
    }
    case 'monthly': {
      const thisMonth = monthDay(y, m, f.day);
      return thisMonth <= now ? thisMonth : monthDay(y, m - 1, f.day);
    }
  }
}

/** Day `day` of the month, clamped to the month's length (monthly:31 is the 30th in April). */
function monthDay(year: number, month: number, day: number): Date {
  const length = new Date(year, month + 1, 0).getDate();
  return new Date(year, month, Math.min(day, length));
}

/**
 * How much earlier than N seconds an `N seconds` point is already due: 5 %, at most 5 minutes.
 * Successes are dated when their run started, and a cron or timer firing every N seconds starts
 * its runs a few seconds late, by varying amounts; without this margin a run that started a second
 * later than the previous one would find the point not due and skip a whole period.
 */
export function earlyMarginMs(seconds: number): number {
  return Math.min(seconds * 50, 300_000);
}

/** A last success after `now`: a clock was wrong when it was recorded. Such a point is due. */
export function isInFuture(lastSuccess: Date | undefined, now: Date): boolean {
  return lastSuccess !== undefined && lastSuccess > now;
}

export function isDue(f: Frequency, lastSuccess: Date | undefined, now: Date): boolean {
  if (lastSuccess === undefined || isInFuture(lastSuccess, now)) return true;
  return periodPassed(f, lastSuccess, now);
}

/** Whether a new period started between a (past) success and `now`. */
function periodPassed(f: Frequency, lastSuccess: Date, now: Date): boolean {
  if (f.kind === 'seconds') return lastSuccess.getTime() <= now.getTime() - dueAfterMs(f.seconds);
  const anchor = lastAnchor(f, now);
  return anchor === undefined || lastSuccess < anchor;
}

function dueAfterMs(seconds: number): number {
  return seconds * 1000 - earlyMarginMs(seconds);
}

/**
 * A whole period missed (`check`'s warning): the point was already due one period before `now`.
 * The period is the calendar one (hourly: the previous clock hour) or N seconds, so `hourly` and
 * `3600` both warn one period after the run that should have happened.
 */
export function isOverdue(f: Frequency, lastSuccess: Date, now: Date): boolean {
  if (f.kind === 'always' || isInFuture(lastSuccess, now)) return false;
  if (f.kind === 'seconds') return periodPassed(f, lastSuccess, new Date(now.getTime() - f.seconds * 1000));
  const anchor = lastAnchor(f, now) as Date;
  return periodPassed(f, lastSuccess, new Date(anchor.getTime() - 1));
}

/** When the point becomes due next, for `config`; undefined when always due. */
export function nextDue(f: Frequency, lastSuccess: Date | undefined, now: Date): Date | undefined {
  if (lastSuccess === undefined || f.kind === 'always') return undefined;
  if (isDue(f, lastSuccess, now)) return now;
  const y = lastSuccess.getFullYear();
  const m = lastSuccess.getMonth();
  const d = lastSuccess.getDate();
  switch (f.kind) {
    case 'seconds':
      return new Date(lastSuccess.getTime() + dueAfterMs(f.seconds));
    case 'hourly':
      return new Date((lastAnchor(f, lastSuccess) as Date).getTime() + 3_600_000);
    case 'daily': {
      const same = new Date(y, m, d, f.hour);
      return same > lastSuccess ? same : new Date(y, m, d + 1, f.hour);
    }
    case 'weekly': {
      const mondayBased = (lastSuccess.getDay() + 6) % 7;
      const ahead = (f.weekday - mondayBased + 7) % 7 || 7;
      return new Date(y, m, d + ahead);
    }
    case 'monthly': {
      const same = monthDay(y, m, f.day);
      return same > lastSuccess ? same : monthDay(y, m + 1, f.day);
    }
  }
}
