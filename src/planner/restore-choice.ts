import type { Diagnostics } from '../diag/diagnostic.js';
import { datedSearch } from '../engines/backup/dated-search.js';
import type { BoundBackupPoint, BoundCollectPoint } from '../engines/engine.js';
import { groupBy } from '../group-by.js';
import { timeFields } from '../options/variables.js';
import { dataTime, formatTimestamp, recordedVariablesOf } from '../state/point-state.js';
import type { StateSnapshots } from '../state/read-states.js';
import type { PlanRequest } from './build-plan.js';
import { type DraftUnit, lowerRestore } from './lower.js';
import { matchesOnly } from './select.js';

/**
 * The restore units of every selected collect point: from the backup point with the newest copy
 * (not after --at), or the one --from names; a collect point nothing can restore is skipped as a
 * failure.
 */
export function restoreDrafts(
  request: PlanRequest,
  diagnostics: Diagnostics,
  skip: (unit: DraftUnit, reason: string, failed?: boolean) => void,
): DraftUnit[] {
  const { config, selection, states } = request;
  const units: DraftUnit[] = [];
  const pairsOf = groupBy(config.pairs, (p) => p.collectPoint);
  for (const cp of config.collectPoints) {
    if (!matchesOnly(selection.onlyCollectPoints, cp.name, cp.tags)) continue;
    // --skip-backup: no fetch, the sources are restored from the collect point's own copy.
    const candidates = selection.skipBackup
      ? []
      : (pairsOf.get(cp.name) ?? []).filter((p) => matchesOnly(selection.onlyBackupPoints, p.name, p.tags));
    const problems = cp.sources.flatMap((source) => {
      const problem = source.engine.restoreProblem?.(source);
      return problem === undefined ? [] : [{ source, ...problem }];
    });
    for (const { source, message, hint } of problems) diagnostics.error(message, source.origin, hint);
    if (problems.length > 0) continue;
    if (candidates.length === 0 && selection.onlyBackupPoints.length > 0 && !selection.skipBackup) {
      // Its own copy is what a collect point without backup point restores, not what this
      // selection of backup points asked for.
      skip(sourcesUnit(cp), `--only-backup-points selects none of the backup points of ${cp.name}`);
      continue;
    }
    const at = selection.at === undefined ? undefined : new Date(selection.at);
    // A collect point that keeps its history restores --at from it: a backup point's copy is
    // fetched only on --from, or when a history of the collect directory went with the machine
    // (no state of the collect point says it ran here, or its history is not there any more).
    const history = cp.engine.historyAt;
    const lookingBackHere = at !== undefined && selection.from === undefined;
    const ranHere = history === 'local' && ownCopyTime(cp, states) !== undefined;
    // Its state says it ran here, yet the history it kept is not there: a backup point brings it back.
    const historyGone = lookingBackHere && ranHere && request.historiesHere?.has(cp.name) !== true;
    const fromHistory = lookingBackHere && (history === 'remote' || (ranHere && !historyGone));
    const chosen = fromHistory
      ? undefined
      : chooseBackupPoint(cp, candidates, states, selection.from, at, history !== undefined, diagnostics);
    if (chosen === 'none') {
      const which = at === undefined ? 'successful backup' : `copy made at or before ${selection.at}`;
      // With --at, only a point that finds an older copy than its newest when it runs can help.
      const helping = at === undefined || history !== undefined ? candidates : candidates.filter(foundAtRun);
      skip(
        sourcesUnit(cp),
        selection.from !== undefined
          ? `backup point ${selection.from} (--from) holds no ${which} of ${cp.name}`
          : helping.length === 0
            ? `no state file records a ${which} of ${cp.name} on any of its backup points, and none of them (${names(candidates)}) finds an older copy than its newest by itself: restore without --at`
            : // On a new machine the records went with the collect point: the names are what is left.
              `no state file records a ${which} of ${cp.name} on any of its backup points (--from NAME chooses one of: ${names(helping)})`,
        true,
      );
      continue;
    }
    const own = chosen === undefined ? ownCopyTime(cp, states) : undefined;
    if (chosen === undefined && at !== undefined && !fromHistory && (own === undefined || own > at)) {
      // The collect point keeps one copy, its last: nothing of before --at.
      skip(
        sourcesUnit(cp),
        `${ownCopyReason(cp, selection.skipBackup)}, and its own copy (the only one it keeps) was made ${own === undefined ? 'at a time no state file here records' : formatTimestamp(own)}, after --at ${selection.at}`,
        true,
      );
      continue;
    }
    const from = chosen?.bp;
    const when = describeTime(chosen?.time ?? own);
    const why = fromHistory
      ? `${cp.name} keeps its history (a ${cp.engine.name} repository): its sources are restored from its last commit made at or before --at ${selection.at}`
      : from === undefined
        ? `${ownCopyReason(cp, selection.skipBackup)}: its sources are restored from the collect point's own copy${at === undefined ? '' : ` (made ${when}, not after --at ${selection.at})`}`
        : `${historyGone ? `${cp.engine.historyDir?.(cp)} is gone: ` : ''}${whyFetched(cp, chosen as Chosen, selection.from, selection.at, when)}`;
    const mirrored = from?.metadata !== undefined && states.get(from.stateFile)?.mirror === 'read';
    const state = from === undefined ? undefined : states.get(from.stateFile)?.state;
    // The copy fetched: that of --at, or the newest, in whose history the collect point looks back.
    const fetchAt = chosen?.newest === true ? undefined : at;
    const context = {
      recorded: state?.data ?? null,
      ...(fetchAt === undefined ? {} : { at: fetchAt }),
      // With --at before every copy recorded here, the recorded variables name a newer copy: the
      // restore finds the one it takes (foundAtRun).
      variablesRecorded:
        recordedVariablesOf(state) !== undefined && (fetchAt === undefined || chosen?.time !== undefined),
    };
    if (from !== undefined && !context.variablesRecorded) warnDatedName(from, cp, diagnostics);
    for (const unit of lowerRestore(cp, from, context, at)) {
      if (unit.kind === 'restore' && selection.skipCollect) {
        skip(
          unit,
          from === undefined
            ? 'skipped by --skip-collect'
            : `skipped by --skip-collect: the live data is left alone; a fetched copy stays in ${cp.layout.importDir}`,
        );
        continue;
      }
      const choice = unit.kind === 'fetch' || from === undefined;
      units.push({
        ...unit,
        why: choice
          ? `${why}${mirrored ? `, read from its state file mirrored at ${from?.metadata?.shown} (metadata_url): there is none here` : ''}`
          : `restore the sources of ${cp.name}`,
        ...(choice ? { tellsWhy: true as const } : {}),
      });
    }
  }
  return units;
}

/** Why the restore fetches from the backup point chosen, as the plan shows it. */
function whyFetched(
  cp: BoundCollectPoint,
  chosen: Chosen,
  from: string | undefined,
  at: string | undefined,
  when: string,
): string {
  const name = chosen.bp.name;
  const noneThatOld = `no state file here records a copy of ${cp.name} made at or before --at ${at}`;
  const history = `${cp.name}'s history (a ${cp.engine.name} repository) gives what its last run that started at or before --at committed`;
  if (chosen.newest === true)
    return from === undefined
      ? `${noneThatOld}: the newest copy of backup point ${name}${lastCopyText(chosen.lastCopy)} is fetched, and ${history}`
      : `chosen with --from ${name}: ${noneThatOld} on it: its newest copy is fetched, and ${history}`;
  if (chosen.onlyOne === true)
    return `no state file of ${cp.name} or of ${name} is on this machine: ${name}, its only backup point, gives its newest copy`;
  if (from !== undefined && at === undefined)
    return `chosen with --from ${name}: its newest copy${chosen.time === undefined ? '' : `, made ${when}`}`;
  if (from !== undefined) return `chosen with --from ${name} (its newest copy not after --at ${at}: ${when})`;
  if (chosen.lastCopy !== undefined)
    return `${noneThatOld}: backup point ${name}${lastCopyText(chosen.lastCopy)} looks for the newest one not after it in its history`;
  return at !== undefined
    ? `the newest copy of ${cp.name} not after --at ${at} (${when})`
    : `the most recent success of ${cp.name} (${when})`;
}

/** The unit that restores the collect point's sources: what a skip of its restore names. */
const sourcesUnit = (cp: BoundCollectPoint): DraftUnit => lowerRestore(cp, undefined).at(-1) as DraftUnit;

const names = (points: readonly BoundBackupPoint[]): string => points.map((p) => p.name).join(', ');

const describeTime = (date: Date | undefined): string =>
  date === undefined ? 'none recorded' : formatTimestamp(date);

const lastCopyText = (date: Date | undefined): string =>
  date === undefined ? '' : ` (its last copy ${formatTimestamp(date)})`;

/** Why a restore takes the collect point's own copy. */
const ownCopyReason = (cp: BoundCollectPoint, skipBackup: boolean): string =>
  skipBackup ? `--skip-backup fetches nothing for ${cp.name}` : `${cp.name} has no backup point`;

/** When the collect point's own copy was made: its last success, by the state here. */
function ownCopyTime(cp: BoundCollectPoint, states: StateSnapshots): Date | undefined {
  return dataTime(states.get(cp.layout.stateFile)?.state);
}

/** The times of the copies a backup point holds: its recorded archives, or its last success. */
function copyTimes(bp: BoundBackupPoint, states: StateSnapshots): readonly Date[] {
  const state = states.get(bp.stateFile)?.state;
  if (bp.engine.copies !== undefined) return state === undefined ? [] : bp.engine.copies(state.data, bp);
  const last = dataTime(state);
  return last === undefined ? [] : [last];
}

/** A backup point chosen for a restore, and which of its copies it gives back. */
interface Chosen {
  readonly bp: BoundBackupPoint;
  /** When the copy it gives back was made, by a state here; undefined when none says. */
  readonly time: Date | undefined;
  /** Its last copy, when --at is before it and the copy of --at is found in a history. */
  readonly lastCopy?: Date;
  /** It gives back its newest copy, in whose history the collect point finds that of --at. */
  readonly newest?: true;
  /** The only backup point, taken on a machine where neither it nor the collect point has a state. */
  readonly onlyOne?: true;
}

/**
 * The backup point with the most recent copy (not after `at` when given; ties: file order), or
 * `--from NAME` when it holds such a copy, or one that looks back in its history (lookingBack). A
 * collect point without any backup point restores from its local copy. `historyKept`: the
 * collect point keeps a history of its own (a git or subversion one), in which the newest copy
 * of any backup point finds an older one.
 */
function chooseBackupPoint(
  cp: BoundCollectPoint,
  candidates: readonly BoundBackupPoint[],
  states: StateSnapshots,
  from: string | undefined,
  at: Date | undefined,
  historyKept: boolean,
  diagnostics: Diagnostics,
): Chosen | undefined | 'none' {
  const newestCopy = (bp: BoundBackupPoint): Date | undefined => {
    let newest: Date | undefined;
    for (const time of copyTimes(bp, states))
      if ((at === undefined || time <= at) && (newest === undefined || time > newest)) newest = time;
    return newest;
  };
  if (from !== undefined) {
    const chosen = candidates.find((c) => c.name === from);
    if (chosen === undefined) {
      diagnostics.error(
        `--from ${from}: no selected backup point of that name is associated with collect point ${cp.name}`,
        cp.origin,
        `associated: ${candidates.map((c) => c.name).join(', ') || 'none'}`,
      );
      return 'none';
    }
    const time = newestCopy(chosen);
    if (at === undefined || time !== undefined || foundAtRun(chosen)) return { bp: chosen, time };
    return historyKept ? { bp: chosen, time: undefined, newest: true } : 'none';
  }
  if (candidates.length === 0) return undefined;
  let best: { bp: BoundBackupPoint; time: Date } | undefined;
  for (const bp of candidates) {
    const time = newestCopy(bp);
    if (time !== undefined && (best === undefined || time > best.time)) best = { bp, time };
  }
  if (best !== undefined) return best;
  if (at !== undefined) return lookingBack(candidates, states, historyKept);
  return onlyOneOnNewMachine(cp, candidates, states) ?? 'none';
}

/**
 * A machine with no state file of the collect point nor of its only backup point (a rebuilt one:
 * the records went with the old disk) has nothing to choose between: that point gives its newest
 * copy, which the fetch's guard judges as every copy. A state that records no success (every
 * backup failed), here or at its metadata_url, still refuses, as does a choice between several
 * points.
 */
function onlyOneOnNewMachine(
  cp: BoundCollectPoint,
  candidates: readonly BoundBackupPoint[],
  states: StateSnapshots,
): Chosen | undefined {
  const [only] = candidates;
  // A point with metadata_url keeps its records off the machine: none there means it never ran.
  if (only === undefined || candidates.length > 1 || only.metadata !== undefined) return undefined;
  const missing = (file: string) => (states.get(file)?.sha256 ?? null) === null;
  if (!missing(cp.layout.stateFile) || !missing(only.stateFile)) return undefined;
  return { bp: only, time: undefined, onlyOne: true };
}

/**
 * With --at before every copy recorded here: the backup point whose state records only its last
 * copy while its history keeps the older ones, found when the restore runs (git's commits, dated
 * names). The one with the most recent success (ties: file order); its restore fails, changing
 * nothing, when its history holds nothing that old. A point that records every copy it keeps
 * (restic's snapshots, rolling archives) has no older copy to look for, unless the collect point
 * keeps a history of its own (`historyKept`): any point's newest copy then brings it back.
 */
function lookingBack(
  candidates: readonly BoundBackupPoint[],
  states: StateSnapshots,
  historyKept: boolean,
): (Chosen & { lastCopy: Date }) | 'none' {
  let chosen: (Chosen & { lastCopy: Date }) | undefined;
  for (const bp of candidates) {
    const looks = bp.engine.copies === undefined && foundAtRun(bp);
    if (!looks && !historyKept) continue;
    const lastCopy = dataTime(states.get(bp.stateFile)?.state);
    if (lastCopy !== undefined && (chosen === undefined || lastCopy > chosen.lastCopy))
      chosen = { bp, time: undefined, lastCopy, ...(looks ? {} : { newest: true as const }) };
  }
  return chosen ?? 'none';
}

/**
 * Whether the restore finds the copy it takes when it runs, so that --at may name a time no state
 * here recorded a copy at: restic's snapshots, and the dated names of an engine that searches them
 * (their date or time orders them).
 */
function foundAtRun(bp: BoundBackupPoint): boolean {
  return bp.engine.copyFoundAtRun === true || searchesDatedName(bp);
}

/** Whether its engine finds the copies its `remote_url` names by time (see datedSearch). */
function searchesDatedName(bp: BoundBackupPoint): boolean {
  const finds = bp.engine.findsDatedCopy;
  return finds !== undefined && typeof datedSearch(bp, undefined, finds) !== 'string';
}

/**
 * A backup point whose `remote_url` names its copy by the time of the backup, restored with no
 * state here to say which time: unless its engine finds the newest copy itself, by a date or time
 * in the name that orders the copies, the restore reads the name this run's time gives, which the
 * backup never wrote (or, named by the weekday alone, an older copy).
 */
function warnDatedName(bp: BoundBackupPoint, cp: BoundCollectPoint, diagnostics: Diagnostics): void {
  const dated = timeFields(bp.options.template('remote_url') ?? '');
  if (dated.length === 0) return;
  if (searchesDatedName(bp)) return;
  const searches = bp.engine.findsDatedCopy !== undefined;
  diagnostics.warning(
    `backup point ${bp.name} names its copy of ${cp.name} by the time of the backup (${dated.map((f) => `{${f}}`).join('')} in remote_url), which no state here recorded${searches ? ' and which orders no copies' : ''}: this restore reads ${bp.options.string('remote_url')}, the name of this run's time`,
    bp.options.origin('remote_url'),
    searches
      ? 'a name with {Y}, {m}, {d}, {H}, {M}... is found by its date; otherwise restore on the machine whose state recorded it, or read the state back with metadata_url'
      : 'restore on the machine whose state recorded it, or read the state back with metadata_url; archive, rolling_archive and synchronize find the newest copy by themselves',
  );
}
