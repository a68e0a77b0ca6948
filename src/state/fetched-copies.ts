import { type Stats, statSync } from 'node:fs';
import type { PointState } from './point-state.js';
import type { StateSnapshot, StateSnapshots } from './read-states.js';

/**
 * A restore's fetch replaces a collect point's copies with a backup point's, often an older and
 * smaller one (`--at`, accepted with `--allow-shrink`), or that of a mirror that lost files. The
 * figures recorded before it then describe what is no longer there: the collect point's, for its
 * copies; its backup points', for what each held of a collect point that has since shrunk (the
 * mirror restored from may hold just as little). The next backup would judge against them: "would
 * shrink by more than 50%" every night until someone passes --allow-shrink, where the mirror
 * restored from loses nothing. So a fetch marks the collect point before it changes anything, and
 * a plan made after the mark measures what the copies and the backup points hold instead of
 * trusting figures recorded before it: measuring costs a walk, never a wrong judgement (a mirror
 * that kept every file is measured as whole, and still refuses to lose them). A point's next
 * success records figures again, after the mark: they are trusted from then on.
 */
export function fetchedMark(stateFile: string): string {
  return `${stateFile.replace(/\.json$/, '')}.fetched`;
}

/** A collect point's state file, with those of its backup points (its pairs). */
export interface MarkedStates {
  readonly stateFile: string;
  readonly pairStateFiles: readonly string[];
}

/**
 * The snapshots of these points' state files, the copy figures a fetch outdated taken out of each
 * state and kept beside it (`outdatedCopies`): what a directory held still tells one gone since.
 */
export function withoutFetchedFigures(
  states: StateSnapshots,
  points: readonly MarkedStates[],
): StateSnapshots {
  let outdated: Map<string, StateSnapshot> | undefined;
  for (const point of points) {
    // Most of a large plan's points recorded no figures (never run): they cost no lookup.
    // Looked up once for the point and its pairs, absent or not.
    let mark: Stats | 'unknown' | 'none' | undefined;
    for (const file of [point.stateFile, ...point.pairStateFiles]) {
      const snapshot = states.get(file);
      if (snapshot?.state.copies === undefined) continue;
      mark ??= markOf(point.stateFile) ?? 'none';
      if (mark === 'none' || !recordedBefore(file, mark)) continue;
      const { copies, ...state } = snapshot.state;
      outdated ??= new Map(states);
      outdated.set(file, { ...snapshot, state: state as PointState, outdatedCopies: copies });
    }
  }
  return outdated ?? states;
}

/** The collect point's mark, absent when no fetch made one; one that cannot be looked at outdates all. */
function markOf(stateFile: string): Stats | 'unknown' | undefined {
  try {
    return statSync(fetchedMark(stateFile), { throwIfNoEntry: false });
  } catch {
    return 'unknown';
  }
}

/**
 * A state recorded before the mark, or in the same tick of a coarse clock, is outdated; so is one
 * that cannot be looked at (a state read from its `metadata_url` mirror has no file here).
 */
function recordedBefore(stateFile: string, mark: Stats | 'unknown'): boolean {
  if (mark === 'unknown') return true;
  try {
    const state = statSync(stateFile, { throwIfNoEntry: false });
    return state === undefined || mark.mtimeMs >= state.mtimeMs;
  } catch {
    return true;
  }
}
