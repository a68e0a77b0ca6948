import type { Origin } from '../../diag/origin.js';
import type { ActionDraft, Transport } from '../../graph/action.js';
import { recordedVariables, type Variables } from '../../options/variables.js';
import { deletedText, keptText } from '../../retention/explain.js';
import type { LocalTime } from '../../retention/periods.js';
import { applyRetention, type Dated, newestFirst, type Policy } from '../../retention/retention.js';
import type { EngineWarning } from '../engine.js';
import { recordedAt, type SeriesTarget } from './series-target.js';

/**
 * One archive a run recorded in its state (`data`, oldest first, as the original kept its list of
 * variable dicts): the run's time and host variables, the archive's path and the target it was
 * written at (see SeriesTarget). Its time is the plan's, read from the variables, so that `--now`
 * pins it.
 */
export interface RecordedArchive extends Dated {
  /** The entry as recorded (its text fields), written back as it is while the archive is kept. */
  readonly variables: Variables;
  /** `target` of the entry; undefined for an entry recorded without one (see recordedAt). */
  readonly target?: string;
}

/** The entry a run records for its archive written at `target` (a SeriesTarget's id). */
export function archiveEntry(archive: string, variables: Variables, target?: string): Variables {
  return { ...recordedVariables(variables), archive, ...(target === undefined ? {} : { target }) };
}

/**
 * The archives a series recorded, newest entry of each path at each target wins: entries that do
 * not parse (no absolute path, no complete time) are never candidates, so nothing this point did
 * not record is ever deleted.
 */
export function recordedArchives(
  recorded: unknown,
  parse: (entry: unknown) => RecordedArchive | undefined = parseEntry,
): RecordedArchive[] {
  if (!Array.isArray(recorded)) return [];
  const byPath = new Map<string, RecordedArchive>();
  for (const entry of recorded) {
    const archive = parse(entry);
    if (archive === undefined) continue;
    const key = `${archive.target ?? ''}\0${archive.id}`;
    const known = byPath.get(key);
    if (known === undefined || known.instant <= archive.instant) byPath.set(key, archive);
  }
  return [...byPath.values()];
}

/**
 * An entry of a rolling series: its path is `archive`; the original PolyArchiv recorded only the
 * run's variables, and deleted the file its `remote_url` names with them: `originalPath` gives
 * that path (undefined: such entries are not read).
 */
export function parseEntry(
  entry: unknown,
  originalPath?: (variables: Variables) => string | undefined,
): RecordedArchive | undefined {
  const valid = (archive: string) => archive.startsWith('/') && !archive.includes('\0');
  const parsed = datedEntry(entry, 'archive', valid);
  if (parsed !== undefined || originalPath === undefined) return parsed;
  const variables = textFields(entry);
  if (variables === undefined || 'archive' in variables || 'target' in variables) return undefined;
  const path = originalPath(variables);
  if (path === undefined || !valid(path)) return undefined;
  return datedEntry({ ...variables, archive: path }, 'archive', valid, variables);
}

/** The text fields of a recorded entry (an object), else undefined. */
function textFields(entry: unknown): Variables | undefined {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return undefined;
  return Object.fromEntries(
    Object.entries(entry).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

/**
 * An entry of a recorded series: its id is the variable `key` (which `valid` accepts), its time
 * the run's time variables (a complete date, time and offset), else undefined.
 */
export function datedEntry(
  entry: unknown,
  key: string,
  valid: (id: string) => boolean,
  recorded?: Variables,
): RecordedArchive | undefined {
  const variables = textFields(entry);
  if (variables === undefined) return undefined;
  const id = variables[key];
  if (id === undefined || !valid(id)) return undefined;
  const { Y, m, d, H, M, S, z, target } = variables;
  const digits = (text: string | undefined, width: number) =>
    text !== undefined && new RegExp(`^\\d{${width}}$`).test(text);
  if (!digits(Y, 4) || ![m, d, H, M, S].every((field) => digits(field, 2))) return undefined;
  const wall = `${Y}-${m}-${d}T${H}:${M}:${S}`;
  // The original recorded no offset (an empty {z}): its times are this machine's, as its state's.
  const offset = /^([+-]\d{2})(\d{2})$/.exec(z ?? '');
  if (offset === null && (recorded === undefined || (z ?? '') !== '')) return undefined;
  const instant = Date.parse(offset === null ? wall : `${wall}${offset[1]}:${offset[2]}`);
  if (Number.isNaN(instant)) return undefined;
  const local: LocalTime = { year: Number(Y), month: Number(m), day: Number(d), hour: Number(H) };
  return {
    id,
    instant,
    local,
    variables: recorded ?? variables,
    ...(target === undefined || target === '' ? {} : { target }),
  };
}

export interface SeriesRun {
  /** The deletions, after the new archive is published. */
  readonly deletions: readonly ActionDraft[];
  /** What the run's success records: the kept archives and those left at other targets, oldest first. */
  readonly recorded: readonly Variables[];
  readonly notes: readonly string[];
  readonly warnings: readonly EngineWarning[];
}

/**
 * The recorded archives of the series at `target` (the newest entry of each path), and those left
 * elsewhere: recorded at another target, or without a target where recordedAt cannot place them.
 * Without a target (restic's snapshots, of one repository), every archive is here.
 */
export function archivesAt(
  archives: readonly RecordedArchive[],
  target: SeriesTarget | undefined,
): { readonly here: RecordedArchive[]; readonly elsewhere: RecordedArchive[] } {
  if (target === undefined) return { here: [...archives], elsewhere: [] };
  const here = new Map<string, RecordedArchive>();
  const elsewhere: RecordedArchive[] = [];
  for (const archive of archives) {
    if (!recordedAt(archive.target, archive.id, target)) {
      elsewhere.push(archive);
      continue;
    }
    // One file: an entry without a target below the directory, and the same path recorded with it.
    const known = here.get(archive.id);
    if (
      known === undefined ||
      known.instant < archive.instant ||
      (known.instant === archive.instant && known.target === undefined)
    )
      here.set(archive.id, archive);
  }
  return { here: [...here.values()], elsewhere };
}

/**
 * Retention of one (backup point, collect point) series after this run's archive: the newest
 * archive is never deleted, and a run that would delete more than half of the series deletes
 * nothing unless allowed. With a `target`, only the archives recorded there are the series: the
 * others are left where they were written, kept in the record, each with a note, and one warning
 * says so.
 */
export function retainSeries(
  previous: readonly RecordedArchive[],
  current: RecordedArchive,
  policy: Policy,
  options: {
    readonly allowMassDelete: boolean;
    readonly origin: Origin;
    readonly what: string;
    readonly oldestFallback?: boolean;
    /** How notes name the copies: `archives` unless said. */
    readonly copies?: string;
    /** Where the archives are, when not on this host. */
    readonly transport?: Transport;
    /** The target the series is written at now: the archives recorded elsewhere are left. */
    readonly target?: SeriesTarget;
  },
): SeriesRun {
  const { here, elsewhere } = archivesAt(previous, options.target);
  // An archive at the same path was overwritten by this run's: it is this run's now.
  const earlier = here.filter((archive) => archive.id !== current.id);
  const rules = { oldestFallback: options.oldestFallback !== false };
  const verdicts = applyRetention([...earlier, current], policy, rules);
  const before = new Map(applyRetention(earlier, policy, rules).map((v) => [v.archive.id, v]));
  const doomed = verdicts.filter((v) => v.keptBy.length === 0 && v.archive.id !== current.id);
  const total = verdicts.length;
  const copy = (options.copies ?? 'archives').replace(/s$/, '');
  const heldBack = doomed.length * 2 > total && !options.allowMassDelete;
  const notes = verdicts.map((verdict) => {
    const id = verdict.archive.id;
    if (verdict.keptBy.length > 0) return `keep ${id}: ${keptText(verdict)}`;
    if (id === current.id) return `keep ${id}: the newest ${copy} is never deleted`;
    return `${heldBack ? 'hold back' : 'delete'} ${id}: ${deletedText(verdict, before.get(id))}`;
  });
  const warnings: EngineWarning[] = heldBack
    ? [
        `${options.what}: retention would delete ${doomed.length} of ${total} ${options.copies ?? 'archives'}, more than half of the series; nothing is deleted (plan with --allow-mass-delete to delete them)`,
      ]
    : [];
  const left = newestFirst(elsewhere);
  if (options.target !== undefined && left.length > 0) {
    const target = options.target;
    for (const archive of left) notes.push(`leave ${archive.id}: ${leftText(archive, target)}`);
    warnings.push({ message: leftWarning(left, target, options.what), origin: options.origin });
  }
  const deleted = new Set(heldBack ? [] : doomed.map((v) => v.archive.id));
  const kept = verdicts.map((v) => v.archive).filter((archive) => !deleted.has(archive.id));
  return {
    deletions: heldBack
      ? []
      : doomed.map((verdict) => ({
          kind: 'delete-archive' as const,
          archive: verdict.archive.id,
          ...(options.transport === undefined ? {} : { transport: options.transport }),
          origin: options.origin,
          summary: `delete ${verdict.archive.id}: ${deletedText(verdict, before.get(verdict.archive.id))}`,
        })),
    recorded: newestFirst([...kept, ...left])
      .reverse()
      .map((archive) => archive.variables),
    notes,
    warnings,
  };
}

/** Why an archive recorded elsewhere is left: where it was recorded, and where retention works now. */
function leftText(archive: RecordedArchive, target: SeriesTarget): string {
  return archive.target === undefined
    ? `recorded without its target (by an earlier version), so it may be on another server than ${target.id}: never deleted from here`
    : `recorded at ${archive.target}, not at ${target.id}: never deleted from here`;
}

/** The one warning of a series whose archives are left at other targets. */
function leftWarning(left: readonly RecordedArchive[], target: SeriesTarget, what: string): string {
  const counts = new Map<string | undefined, number>();
  for (const archive of left) counts.set(archive.target, (counts.get(archive.target) ?? 0) + 1);
  const archives = (n: number) => `${n} ${n === 1 ? 'archive' : 'archives'}`;
  const places = [...counts].map(([at, n]) =>
    at === undefined
      ? `${archives(n)} recorded without ${n === 1 ? 'its' : 'their'} target`
      : `${archives(n)} recorded at ${at}`,
  );
  const one = left.length === 1;
  return `${what}: ${places.join(' and ')} ${one ? 'is' : 'are'} left where ${one ? 'it was' : 'they were'} written: retention deletes only archives recorded at ${target.id}, which remote_url names; delete ${one ? 'it' : 'them'} there by hand if unwanted (the state keeps listing ${one ? 'it' : 'them'})`;
}
