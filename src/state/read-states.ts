import { readFileSync, statSync } from 'node:fs';
import { sha256 } from '../config/load.js';
import type { Diagnostics } from '../diag/diagnostic.js';
import { EMPTY_STATE, type PointState, parseState } from './point-state.js';

export interface StateSnapshot {
  /** sha256 of the file's bytes, or null when it does not exist: the stale-plan guard. */
  readonly sha256: string | null;
  readonly state: PointState;
}

export type StateSnapshots = ReadonlyMap<string, StateSnapshot>;

/** Reads the state files a plan depends on; I/O at the edge, before the pure passes. */
export function readStates(files: Iterable<string>, diagnostics: Diagnostics): Map<string, StateSnapshot> {
  const snapshots = new Map<string, StateSnapshot>();
  for (const file of files) {
    if (snapshots.has(file)) continue;
    snapshots.set(file, readState(file, diagnostics));
  }
  return snapshots;
}

export function readState(file: string, diagnostics?: Diagnostics): StateSnapshot {
  let bytes: Buffer;
  try {
    // A point that never ran has no state file: a stat that returns nothing is far cheaper than
    // the exception of a failed read, and plans of thousands of points mostly see those.
    if (statSync(file, { throwIfNoEntry: false }) === undefined) return { sha256: null, state: EMPTY_STATE };
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR')
      diagnostics?.warning(`cannot read state file ${file}: ${code}`);
    return { sha256: null, state: EMPTY_STATE };
  }
  const state = parseState(bytes.toString('utf8'));
  if (state === undefined)
    diagnostics?.warning(`state file ${file} is not valid JSON: the point is treated as never run`);
  return { sha256: sha256(bytes), state: state ?? EMPTY_STATE };
}
