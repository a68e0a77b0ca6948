import type { Origin } from '../../diag/origin.js';
import type { ActionDraft, GetNewestFileSpec, NewestFileSearch } from '../../graph/action.js';
import { formatTemplate, TIME_VARIABLES, timeVariables, type Variables } from '../../options/variables.js';
import type { BoundBackupPoint, BoundCollectPoint } from '../engine.js';
import { expectFetched, unreadableCopy } from './expect-fetched.js';
import { shownTarget, type Target, targetPathOf } from './target.js';

/**
 * What each time variable looks like in a name, as a group that POSIX extended regular expressions
 * (bash's `=~`) and JavaScript read alike: fixed widths, and names that no other name begins.
 */
const FIELD_PATTERNS: Readonly<Record<(typeof TIME_VARIABLES)[number], string>> = {
  a: '(Sun|Mon|Tue|Wed|Thu|Fri|Sat)',
  A: '(Sunday|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday)',
  w: '([0-6])',
  d: '([0-9]{2})',
  b: '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)',
  B: '(January|February|March|April|May|June|July|August|September|October|November|December)',
  m: '([0-9]{2})',
  y: '([0-9]{2})',
  Y: '([0-9]{4})',
  H: '([0-9]{2})',
  I: '([0-9]{2})',
  p: '(AM|PM)',
  M: '([0-9]{2})',
  S: '([0-9]{2})',
  f: '([0-9]{6})',
  z: '([+-][0-9]{4})',
  Z: '([A-Za-z0-9+-]+)',
  j: '([0-9]{3})',
  U: '([0-9]{2})',
  W: '([0-9]{2})',
  c: '([A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4})',
  x: '([0-9]{2}/[0-9]{2}/[0-9]{2})',
  X: '([0-9]{2}:[0-9]{2}:[0-9]{2})',
};

/**
 * The fields that order names in time, most significant first, each of a fixed width: the digits
 * of those a name holds, joined in this order, sort as the times do. `y` counts only without `Y`.
 */
const ORDERING = ['Y', 'y', 'm', 'd', 'j', 'H', 'M', 'S', 'f'] as const;

/** Stands for a time variable in the formatted URL: letters and digits, which no URL form changes. */
const marker = (index: number) => `Qpolyarchivtime${index}Q`;
const MARKERS = /Qpolyarchivtime(\d+)Q/g;

/**
 * `remote_url` as the pair fills it, but with each time variable left as a marker (MARKERS): what
 * every run of the series shares. Undefined when the template cannot be filled.
 */
export const timeMarkedUrl = (bp: BoundBackupPoint): string | undefined =>
  timeMarked(bp.options.template('remote_url') ?? '', bp.variables);

/** A template filled with `variables`, each time variable left as a marker (MARKERS). */
export function timeMarked(template: string, variables: Variables): string | undefined {
  const stand: Record<string, string> = {};
  TIME_VARIABLES.forEach((name, index) => {
    stand[name] = marker(index);
  });
  const formatted = formatTemplate(template, { ...variables, ...stand } as Variables);
  return formatted.ok ? formatted.text : undefined;
}

/** Where the first time variable's marker is in a text timeMarkedUrl gave, or -1. */
export const firstTimeMarker = (text: string): number => text.search(MARKERS);

/**
 * How a restore finds the newest copy of a dated series that no state here recorded (a new machine
 * without `metadata_url`): the archives (`files`) or mirrors (`directories`, listed with a final
 * slash) under the directory of `remote_url` whose names its template matches, with every time
 * variable read back from the name and the other variables as the pair fills them. Newest is by
 * the date and time the name holds (its `{Y}`, `{m}`, `{d}`, `{H}`...); with `at`, the newest not
 * after it, read in this machine's time zone as the names were written. Names whose text does not
 * sort as their time (see namesOrder: without the year they rotate) are archives ordered by their
 * modification time (when they were written, which the transports keep or set to their upload),
 * or mirrors that cannot be ordered: their directories keep their sources' times. A message
 * instead when the template cannot tell: a time variable outside the path, or such a mirror.
 * `show`: how a path of the target is named in what is said (shownTarget: a server's URL, a host).
 */
export function datedSearch(
  bp: BoundBackupPoint,
  at: Date | undefined,
  entries: NewestFileSearch['entries'] = 'files',
  show: (path: string) => string = (path) => path,
): NewestFileSearch | string {
  const template = bp.options.template('remote_url') ?? '';
  const formatted = timeMarkedUrl(bp);
  const path = formatted === undefined ? undefined : targetPathOf(formatted);
  const first = path?.search(MARKERS) ?? -1;
  if (path === undefined || first < 0)
    return `remote_url '${template}' has no date or time in its path to find the newest copy by`;
  const slash = path.lastIndexOf('/', first);
  const dir = slash <= 0 ? '/' : path.slice(0, slash);
  const relative = path.slice(slash + 1);
  const fields: string[] = [];
  let pattern = '';
  let depth = 1;
  let last = 0;
  for (const found of relative.matchAll(MARKERS)) {
    const name = TIME_VARIABLES[Number(found[1])] as (typeof TIME_VARIABLES)[number];
    const literal = relative.slice(last, found.index);
    pattern += escaped(literal) + FIELD_PATTERNS[name];
    depth += slashes(literal) + (name === 'x' ? 2 : 0);
    fields.push(name);
    last = (found.index ?? 0) + found[0].length;
  }
  const tail = relative.slice(last).replace(/\/+$/, '');
  pattern += escaped(tail);
  depth += slashes(tail);
  const end = entries === 'directories' ? '/' : '';
  const shown = show(
    `${dir === '/' ? '' : dir}/${relative.replace(MARKERS, (_, index) => `{${TIME_VARIABLES[Number(index)]}}`)}`,
  );
  if (!namesOrder(fields)) {
    if (entries === 'directories')
      return `remote_url '${template}' names its mirrors by no date and time that orders them (the year, then {m}-{d} or {j}, then {H}, {M}, {S}...)`;
    return {
      entries,
      orderBy: 'modification',
      dir,
      depth,
      pattern: `^${MODIFIED}(${pattern})$`,
      pathGroup: 7,
      order: [1, 2, 3, 4, 5, 6],
      notAfter: at === undefined ? '' : modifiedKey(at),
      shown,
    };
  }
  const order: number[] = [];
  for (const name of ORDERING) {
    if (name === 'y' && fields.includes('Y')) continue;
    const group = fields.indexOf(name);
    if (group >= 0) order.push(group + 1);
  }
  const bound = at === undefined ? undefined : notAfterName(at, fields, order, dir, relative);
  return {
    entries,
    orderBy: 'name',
    dir,
    depth,
    pattern: `^${pattern}${end}$`,
    pathGroup: 0,
    order,
    notAfter: bound?.key ?? '',
    ...(bound?.passedOver === undefined ? {} : { passedOver: show(bound.passedOver) }),
    shown,
  };
}

/**
 * The greatest key a name not after `at` may have. A name without the second ({Y}{m}{d}, up to
 * {H} or {M}) that `at`'s time gives may be that of a copy made later in its day, hour or minute
 * (a later run of it writes that name again), which no name tells and no state here records: it
 * is passed over (`passedOver`, that name), and the newest named before it is taken; unless `at`
 * is the last second that name stands for.
 */
function notAfterName(
  at: Date,
  fields: readonly string[],
  order: readonly number[],
  dir: string,
  relative: string,
): { readonly key: string; readonly passedOver?: string } {
  const values = timeVariables(at);
  const key = orderingKey(values, fields, order);
  // At the last second of its day (hour, minute), every copy of that name was made by then.
  const lastSecond = orderingKey(timeVariables(new Date(at.getTime() + 1000)), fields, order) !== key;
  if (fields.includes('S') || fields.includes('f') || lastSecond || /^0*$/.test(key)) return { key };
  const before = (BigInt(key) - 1n).toString().padStart(key.length, '0');
  const name = relative.replace(MARKERS, (_, index) => values[TIME_VARIABLES[Number(index)] as string] ?? '');
  return { key: before, passedOver: `${dir === '/' ? '' : dir}/${name}` };
}

/**
 * Whether names with these time fields sort as their times: the year, then each finer field
 * without a gap (the month and day, or the day of the year; the hour; the minute...), and nothing
 * else but a weekday that the full date fixes, or the zone. A name without the year rotates (a
 * weekday, a day of the month); one that skips a level (`{Y}-{d}`) or spells a part by a name or
 * a week (`{b}`, `{W}`, `{x}`) sorts as text in another order than in time.
 */
function namesOrder(fields: readonly string[]): boolean {
  const has = (name: string) => fields.includes(name);
  const date = has('j') || (has('m') && has('d'));
  const levels = [
    has('Y') || has('y'),
    has('m') || has('j'),
    has('d') || has('j'),
    has('H'),
    has('M'),
    has('S'),
    has('f'),
  ];
  const gap = levels.indexOf(false);
  if (gap === 0 || (gap > 0 && levels.slice(gap).some(Boolean))) return false;
  if (has('d') && !has('m')) return false;
  return fields.every(
    (name) => 'YymdjHMSfzZ'.includes(name) || ('aAw'.includes(name) && levels[0] === true && date),
  );
}

/**
 * A listed file's modification time as the listings print it in UTC before its path: `find
 * -printf '%TY-%Tm-%Td %TT;%P'` (with a fraction of the second) and `rclone lsf --format tp
 * --separator ';'`.
 */
const MODIFIED = '([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})[.0-9]*;';

/** The key of a time for MODIFIED's groups: its UTC digits, year to second. */
const modifiedKey = (at: Date): string =>
  at
    .toISOString()
    .slice(0, 19)
    .replace(/[^0-9]/g, '');

/** The key of a time: its values of the ordering groups, as a listed name's would read. */
function orderingKey(values: Variables, fields: readonly string[], order: readonly number[]): string {
  return order.map((group) => values[fields[group - 1] as string] ?? '').join('');
}

/** Literal text for both regular expression dialects: each special character after a backslash. */
const escaped = (text: string): string => text.replace(/[.[\]{}()\\*+?^$|]/g, '\\$&');
const slashes = (text: string): number => text.split('/').length - 1;

/**
 * A restore's words for a series it cannot read, each said after its tool's lines: the listing
 * (find here, ssh's remote find, rclone), and the fetch of the newest (rsync, rclone; on this host
 * it is linked, which reads nothing of it). Both fail before anything reaches the collect point;
 * `then`: where to turn when the newest cannot be fetched (an older one may be).
 */
export function unreadableSeries(
  bp: BoundBackupPoint,
  cp: BoundCollectPoint,
  target: Target,
  search: NewestFileSearch,
  then?: string,
): Pick<GetNewestFileSpec, 'unlisted' | 'unreadable'> {
  const where = shownTarget(target, search.dir);
  const lister = target.kind === 'local' ? 'find' : target.transport.kind === 'rclone' ? 'rclone' : 'ssh';
  const unlisted = unreadableCopy(bp, cp, { shown: where, tool: lister });
  if (target.kind === 'local') return { unlisted };
  const fetcher = target.transport.kind === 'rclone' ? 'rclone' : 'rsync';
  return {
    unlisted,
    unreadable: unreadableCopy(bp, cp, { shown: `the newest of ${where}, named above`, tool: fetcher }, then),
  };
}

/** The step that finds the newest `what` of a series (see datedSearch) and makes it `spec.file`. */
export function getNewest(what: 'archive' | 'mirror', spec: GetNewestFileSpec, origin: Origin): ActionDraft {
  const { search, transport, file } = spec;
  return {
    kind: 'get-newest-file',
    ...spec,
    origin,
    summary: `find the ${search.orderBy === 'name' ? 'newest' : 'last written'} ${what} named as ${search.shown}${search.notAfter === '' ? '' : search.passedOver === undefined ? ' not after --at' : ` before ${search.passedOver} (the name of --at's time, which may be that of a copy made after it)`} (no state here records them${search.orderBy === 'name' ? '' : ', and the names do not order them'}), then ${transport === undefined ? 'link it' : 'fetch it'} as ${file}`,
  };
}

/**
 * Before a series is listed: the directory it lies in is there, else the backup point holds no
 * copy (a backup point never written to, a directory removed), said in those words rather than
 * in the listing tool's (find's "No such file or directory", rclone's "directory not found").
 */
export function seriesDirExpected(
  bp: BoundBackupPoint,
  cp: BoundCollectPoint,
  target: Target,
  search: NewestFileSearch,
  origin: Origin,
): ActionDraft[] {
  const shown = shownTarget(target, search.dir);
  return expectFetched(
    bp,
    cp,
    {
      path: search.dir,
      shown,
      expect: 'path',
      // On this host, a directory the run's user may not see into is said as such, not missing.
      ...(target.kind === 'local' ? { kept: true as const } : { transport: target.transport }),
    },
    origin,
  );
}
