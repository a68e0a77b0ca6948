import { statSync } from 'node:fs';
import type { PointState } from './point-state.js';
import type { StateSnapshot, StateSnapshots } from './read-states.js';

/**
 * A restore's fetch replaces a collect point's copies with a backup point's, often an older and
 * smaller one (`--at`, accepted with `--allow-shrink`). The figures the point's state recorded for
 * its copies then describe what is no longer there, and the next backup would judge its sources
 * against them: "would shrink by more than 50%" every night until someone passes --allow-shrink.
 * So a fetch marks the collect point before it changes anything, and a plan made after the mark
 * measures what the copies hold instead of trusting figures recorded before it. The next
 * successful backup records figures again, after the mark: they are trusted from then on.
 */
export function fetchedMark(stateFile: string): string {
  return `${stateFile.replace(/\.json$/, '')}.fetched`;
}

/** The snapshots of these collect point state files, without the copy figures a fetch outdated. */
export function withoutFetchedFigures(states: StateSnapshots, stateFiles: readonly string[]): StateSnapshots {
  let outdated: Map<string, StateSnapshot> | undefined;
  for (const file of stateFiles) {
    const snapshot = states.get(file);
    // A point that recorded no figures (most of a large plan's: never run) costs no lookup.
    if (snapshot?.state.copies === undefined || !fetchedSince(file)) continue;
    const { copies: _outdated, ...state } = snapshot.state;
    outdated ??= new Map(states);
    outdated.set(file, { ...snapshot, state: state as PointState });
  }
  return outdated ?? states;
}

/**
 * A mark as new as the state file (the same tick of a coarse clock included) outdates it; so does
 * one that cannot be looked at: measuring costs a walk, a wrong figure a refused backup.
 */
function fetchedSince(stateFile: string): boolean {
  try {
    const mark = statSync(fetchedMark(stateFile), { throwIfNoEntry: false });
    if (mark === undefined) return false;
    const state = statSync(stateFile, { throwIfNoEntry: false });
    return state === undefined || mark.mtimeMs >= state.mtimeMs;
  } catch {
    return true;
  }
}
