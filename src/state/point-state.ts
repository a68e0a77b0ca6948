import type { CopyFigures } from '../graph/command.js';
import type { Variables } from '../options/variables.js';

/**
 * The original's PointInfo JSON, same fields and file locations, written so that the original
 * still reads it: timestamps in its format, local time without offset (`2026-11-26T18:00:00`).
 * Timestamps with an offset, which earlier versions wrote, are still read.
 */
export interface PointState {
  readonly last_state_valid: boolean | null;
  readonly success_count: number;
  readonly fail_count: number;
  readonly total_size: number;
  readonly last_message: string;
  readonly last_success: string | null;
  readonly last_fail: string | null;
  readonly config_hash: string | null;
  readonly variables: Variables;
  readonly data: unknown;
  /**
   * polyarchiv's own key, which the original ignores: the files and bytes each copy received in
   * the last successful run, by target (`copyFiguresKey`), for the copy guards.
   */
  readonly copies?: Readonly<Record<string, CopyFigures>>;
  /** polyarchiv's own key: how many seconds the last run of the point took, success or failure. */
  readonly last_duration?: number;
}

export const EMPTY_STATE: PointState = {
  last_state_valid: null,
  success_count: 0,
  fail_count: 0,
  total_size: 0,
  last_message: '',
  last_success: null,
  last_fail: null,
  config_hash: null,
  variables: {},
  data: null,
};

/**
 * Placeholders that both backends replace when they record the outcome of a unit. A success is
 * dated when its run started: the data it holds is from then, and a nightly run that ends after
 * midnight must not make the next night's run look early. A failure is dated when it is recorded.
 */
export const STARTED_PLACEHOLDER = '@@POLYARCHIV_STARTED@@';
export const NOW_PLACEHOLDER = '@@POLYARCHIV_NOW@@';
export const MESSAGE_PLACEHOLDER = '@@POLYARCHIV_MESSAGE@@';
/** The size in bytes of what a collect point holds when it succeeds: its copies' figures, `du -sb` of the rest. */
export const SIZE_PLACEHOLDER = '@@POLYARCHIV_SIZE@@';
/** The figures of the unit's copies: a JSON object, its members kept by each copy as it ends. */
export const COPIES_PLACEHOLDER = '@@POLYARCHIV_COPIES@@';
/** Whole seconds from the start of the unit to its record, measured by the backend that ran it. */
export const DURATION_PLACEHOLDER = '@@POLYARCHIV_DURATION@@';

export function parseState(text: string, sharedVariables?: SharedVariables): PointState | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const parsed = stringMembers(r.variables);
  const variables = sharedVariables === undefined ? parsed : sharedVariables.same(parsed);
  return {
    last_state_valid: typeof r.last_state_valid === 'boolean' ? r.last_state_valid : null,
    success_count: num(r.success_count),
    fail_count: num(r.fail_count),
    total_size: num(r.total_size),
    last_message: str(r.last_message) ?? '',
    last_success: str(r.last_success),
    last_fail: str(r.last_fail),
    config_hash: str(r.config_hash),
    variables,
    data: r.data ?? null,
    ...copiesOf(r.copies),
    ...(typeof r.last_duration === 'number' && Number.isSafeInteger(r.last_duration) && r.last_duration >= 0
      ? { last_duration: r.last_duration }
      : {}),
  };
}

/**
 * The states one plan reads mostly recorded the same variables (the units of a run share its
 * time and host): each set equal to the last one seen is replaced by it, so that a plan of
 * thousands of points that ran keeps one, and makes the JSON of its next states once.
 */
export class SharedVariables {
  private last: Variables | undefined;
  private lastKeys: readonly string[] = [];

  same(variables: Variables): Variables {
    if (this.last !== undefined && this.isLast(variables)) return this.last;
    this.last = variables;
    this.lastKeys = Object.keys(variables);
    return variables;
  }

  /** The same members in the same order: the JSON of one is the JSON of the other. */
  private isLast(variables: Variables): boolean {
    const last = this.last as Variables;
    let at = 0;
    for (const key in variables) {
      if (key !== this.lastKeys[at] || last[key] !== variables[key]) return false;
      at += 1;
    }
    return at === this.lastKeys.length;
  }
}

/**
 * The string members of a parsed object. The object itself when they all are, as in every state
 * this program writes: a plan of thousands of points read as many sets of variables.
 */
function stringMembers(raw: unknown): Variables {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return {};
  const members = raw as Record<string, unknown>;
  for (const key in members) {
    if (typeof members[key] !== 'string')
      return Object.fromEntries(
        Object.entries(members).filter((e): e is [string, string] => typeof e[1] === 'string'),
      );
  }
  return members as Variables;
}

/**
 * Figures that are not whole counts are left out: their copy is measured instead. The parsed
 * object itself is kept when every member is whole figures, as in every state this program
 * writes. Its keys are paths, different in every state: an object built anew from them, key by
 * key, made V8 a hidden class for each, which a plan of thousands of points that ran before
 * paid with a third of its memory and a quarter of its time, garbage or not.
 */
function copiesOf(raw: unknown): { copies?: Record<string, CopyFigures> } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return {};
  const members = raw as Record<string, unknown>;
  for (const key in members) {
    if (!isFigures(members[key])) return { copies: validFigures(members) };
  }
  return { copies: members as Record<string, CopyFigures> };
}

const isCount = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Whole figures and nothing else, so that the object can be kept as parsed. */
function isFigures(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const figures = value as Record<string, unknown>;
  let keys = 0;
  for (const _ in figures) keys += 1;
  return keys === 2 && isCount(figures.files) && isCount(figures.bytes);
}

/** The members of a state edited by hand that hold whole counts, in a map of no hidden class. */
function validFigures(members: Record<string, unknown>): Record<string, CopyFigures> {
  const copies: Record<string, CopyFigures> = Object.create(null);
  for (const [key, value] of Object.entries(members)) {
    const figures = value as Record<string, unknown> | null;
    if (typeof figures === 'object' && figures !== null && isCount(figures.files) && isCount(figures.bytes))
      copies[key] = { files: figures.files as number, bytes: figures.bytes as number };
  }
  return copies;
}

/** Reads `2026-11-26T18:00:00+01:00`, and the original's naive `2016-05-01T03:00:00` as local time. */
export function parseTimestamp(text: string | null): Date | undefined {
  if (text === null) return undefined;
  const naive = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?$/.exec(text);
  if (naive !== null) {
    const [y, mo, d, h, mi, s] = naive.slice(1).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    return new Date(y, mo - 1, d, h, mi, s);
  }
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * The variables a state recorded of its last success (its dated paths were filled with them);
 * undefined when it recorded none, as a state of the original or a failure alone does.
 */
export function recordedVariablesOf(state: PointState | undefined): Variables | undefined {
  const variables = state?.variables;
  return variables !== undefined && Object.keys(variables).length > 0 ? variables : undefined;
}

/**
 * When the data of the last success was planned: the recorded plan-time variables, so that the
 * backup points of one run tie (and the first in file order wins), else `last_success`.
 */
export function dataTime(state: PointState | undefined): Date | undefined {
  if (state === undefined || state.last_success === null) return undefined;
  const v = state.variables;
  const z = /^([+-]\d{2})(\d{2})$/.exec(v.z ?? '');
  if (v.Y && v.m && v.d && v.H && v.M && v.S && z) {
    const planned = new Date(`${v.Y}-${v.m}-${v.d}T${v.H}:${v.M}:${v.S}${z[1]}:${z[2]}`);
    if (!Number.isNaN(planned.getTime())) return planned;
  }
  return parseTimestamp(state.last_success);
}

// Where engines, which read no state, find them too.
export { formatTimestamp, stateTimestamp } from '../options/variables.js';

export interface StateTemplates {
  readonly onSuccess: string;
  readonly onFailure: string;
}

/**
 * The next state for both outcomes, fixed at plan time (the stale-plan check guarantees `previous`).
 * `history` replaces `data` on success only: a failed run keeps the history it found.
 * `measured`: total_size is measured when the unit succeeds. `copies`: the unit holds guarded
 * copies, whose figures a success records. A failure drops them, except a backup unit's (one
 * that is not `measured`), which keeps those of its last success: its copies may have changed
 * without new figures, so the next plan does not judge them by figures under a failed state, but
 * what a backup point's directory held at its last success still tells a directory gone since
 * (heldCopyOf). A collect point's are not kept: nothing reads them, and a plan after a run holds
 * thousands of these texts.
 */
export function nextStateTemplates(
  previous: PointState,
  configHash: string,
  variables?: Variables,
  measured = false,
  history?: { readonly recorded: unknown },
  copies = false,
): StateTemplates {
  // Written as text, member by member, in the order of `{ ...previous, ...changes }` (the
  // previous members where they were, the new ones after them): a plan of thousands of points
  // that ran before makes two of these each, and building each as an object spread then
  // stringified cost it a fifth of its time and a third of its memory. The variables' text is
  // made once for each object (a run's units share theirs).
  const hash = JSON.stringify(configHash);
  const success: Record<string, string> = {
    ...(history === undefined ? {} : { data: JSON.stringify(history.recorded) ?? 'null' }),
    last_state_valid: 'true',
    success_count: String(previous.success_count + 1),
    last_message: '"ok"',
    last_success: `"${STARTED_PLACEHOLDER}"`,
    config_hash: hash,
    ...(variables === undefined ? {} : { variables: jsonOf(variables) }),
    ...(measured ? { total_size: SIZE_PLACEHOLDER } : {}),
    ...(copies ? { copies: `"${COPIES_PLACEHOLDER}"` } : {}),
    last_duration: DURATION_PLACEHOLDER,
  };
  const failure: Record<string, string> = {
    last_state_valid: 'false',
    fail_count: String(previous.fail_count + 1),
    last_message: `"${MESSAGE_PLACEHOLDER}"`,
    last_fail: `"${NOW_PLACEHOLDER}"`,
    config_hash: hash,
    last_duration: DURATION_PLACEHOLDER,
  };
  return { onSuccess: stateText(previous, success), onFailure: stateText(previous, failure, !measured) };
}

/**
 * The JSON text of `previous` without its duration, nor its copies' figures unless `keepCopies`,
 * with `changes` (members' JSON text) in place of its own members and the others after them:
 * what `JSON.stringify({ ...kept, ...changes })` writes, placeholders of numbers unquoted.
 */
function stateText(
  previous: PointState,
  changes: Readonly<Record<string, string>>,
  keepCopies = false,
): string {
  // Joined once: one flat string, not a chain of concatenations held until it is written.
  const members: string[] = [];
  for (const key in previous) {
    if ((key === 'copies' && !keepCopies) || key === 'last_duration') continue;
    const changed = changes[key];
    if (changed !== undefined) {
      members.push(`"${key}":${changed}`);
      continue;
    }
    const value = (previous as unknown as Record<string, unknown>)[key];
    if (value === undefined) continue;
    members.push(`"${key}":${key === 'variables' ? jsonOf(value as Variables) : JSON.stringify(value)}`);
  }
  for (const key in changes)
    if (!(key in previous) || key === 'copies' || key === 'last_duration')
      members.push(`"${key}":${changes[key]}`);
  return `{${members.join(',')}}`;
}

const variablesText = new WeakMap<Variables, string>();

/** A set of variables as JSON, made once for each object. */
function jsonOf(variables: Variables): string {
  let text = variablesText.get(variables);
  if (text === undefined) {
    text = JSON.stringify(variables);
    variablesText.set(variables, text);
  }
  return text;
}

/** When the run started and when its outcome is recorded, formatted with `formatTimestamp`. */
export interface RecordTimes {
  readonly started: string;
  readonly now: string;
  /** Whole seconds since the unit started. */
  readonly duration: number;
}

/**
 * What both backends do with a template: the message is plain ASCII built by the backends;
 * `copies` are the JSON members the unit's copies kept (`"KEY":{"files":N,"bytes":N}`).
 */
export function fillStateTemplate(
  template: string,
  times: RecordTimes,
  message: string,
  size = 0,
  copies: readonly string[] = [],
): string {
  const escaped = message.replaceAll('\\', '\\\\').replaceAll('"', '\\"');
  // In the script's order; functions, so that a `$` in a path is not a replacement pattern.
  const filled = template
    .replaceAll(SIZE_PLACEHOLDER, String(size))
    .replaceAll(`"${COPIES_PLACEHOLDER}"`, () => `{${copies.join(',')}}`)
    .replaceAll(DURATION_PLACEHOLDER, String(times.duration))
    .replaceAll(STARTED_PLACEHOLDER, times.started)
    .replaceAll(NOW_PLACEHOLDER, times.now)
    .replaceAll(MESSAGE_PLACEHOLDER, () => escaped);
  return `${filled}\n`;
}
