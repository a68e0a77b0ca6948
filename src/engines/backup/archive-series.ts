import type { Origin } from '../../diag/origin.js';
import type { ActionDraft, Transport } from '../../graph/action.js';
import { recordedVariables, type Variables } from '../../options/variables.js';
import { deletedText, keptText } from '../../retention/explain.js';
import type { LocalTime } from '../../retention/periods.js';
import { applyRetention, type Dated, type Policy } from '../../retention/retention.js';

/**
 * One archive a run recorded in its state (`data`, oldest first, as the original kept its list of
 * variable dicts): the run's time and host variables and the archive's path. Its time is the
 * plan's, read from the variables, so that `--now` pins it.
 */
export interface RecordedArchive extends Dated {
  readonly variables: Variables;
}

/** The entry a run records for its archive. */
export function archiveEntry(archive: string, variables: Variables): Variables {
  return { ...recordedVariables(variables), archive };
}

/**
 * The archives a series recorded, newest path wins: entries that do not parse (no absolute path,
 * no complete time) are never candidates, so nothing this point did not record is ever deleted.
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
    const known = byPath.get(archive.id);
    if (known === undefined || known.instant <= archive.instant) byPath.set(archive.id, archive);
  }
  return [...byPath.values()];
}

export function parseEntry(entry: unknown): RecordedArchive | undefined {
  return datedEntry(entry, 'archive', (archive) => archive.startsWith('/') && !archive.includes('\0'));
}

/**
 * An entry of a recorded series: its id is the variable `key` (which `valid` accepts), its time
 * the run's time variables (a complete date, time and offset), else undefined.
 */
export function datedEntry(
  entry: unknown,
  key: string,
  valid: (id: string) => boolean,
): RecordedArchive | undefined {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return undefined;
  const variables = Object.fromEntries(
    Object.entries(entry).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
  const id = variables[key];
  if (id === undefined || !valid(id)) return undefined;
  const { Y, m, d, H, M, S, z } = variables;
  const digits = (text: string | undefined, width: number) =>
    text !== undefined && new RegExp(`^\\d{${width}}$`).test(text);
  if (!digits(Y, 4) || ![m, d, H, M, S].every((field) => digits(field, 2))) return undefined;
  const offset = /^([+-]\d{2})(\d{2})$/.exec(z ?? '');
  if (offset === null) return undefined;
  const instant = Date.parse(`${Y}-${m}-${d}T${H}:${M}:${S}${offset[1]}:${offset[2]}`);
  if (Number.isNaN(instant)) return undefined;
  const local: LocalTime = { year: Number(Y), month: Number(m), day: Number(d), hour: Number(H) };
  return { id, instant, local, variables };
}

export interface SeriesRun {
  /** The deletions, after the new archive is published. */
  readonly deletions: readonly ActionDraft[];
  /** What the run's success records: the kept archives, oldest first. */
  readonly recorded: readonly Variables[];
  readonly notes: readonly string[];
  readonly warnings: readonly string[];
}

/**
 * Retention of one (backup point, collect point) series after this run's archive: the newest
 * archive is never deleted, and a run that would delete more than half of the series deletes
 * nothing unless allowed.
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
  },
): SeriesRun {
  // An archive at the same path was overwritten by this run's: it is this run's now.
  const earlier = previous.filter((archive) => archive.id !== current.id);
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
  const warnings = heldBack
    ? [
        `${options.what}: retention would delete ${doomed.length} of ${total} ${options.copies ?? 'archives'}, more than half of the series; nothing is deleted (plan with --allow-mass-delete to delete them)`,
      ]
    : [];
  const deleted = new Set(heldBack ? [] : doomed.map((v) => v.archive.id));
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
    recorded: [...verdicts]
      .reverse()
      .filter((v) => !deleted.has(v.archive.id))
      .map((v) => v.archive.variables),
    notes,
    warnings,
  };
}
