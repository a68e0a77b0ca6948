import { readFileSync, statSync } from 'node:fs';
import { sha256 } from '../config/load.js';
import type { Diagnostics } from '../diag/diagnostic.js';
import { fsCodeProblem } from '../diag/fs-problem.js';
import { EMPTY_STATE, type PointState, parseState } from './point-state.js';

/** Why a state file tells nothing: unparseable (kept aside by the next run) or unreadable. */
export type StateProblem =
  | { readonly kind: 'corrupt'; readonly reason: 'empty' | 'not valid JSON' }
  | { readonly kind: 'unreadable'; readonly code: string };

export interface StateSnapshot {
  /** sha256 of the file's bytes, or null when it does not exist: the stale-plan guard. */
  readonly sha256: string | null;
  readonly state: PointState;
  readonly problem?: StateProblem;
  /**
   * The file is missing here and this is what its `metadata_url` holds (`read`), or holds but
   * could not be read (`unreadable`: the run must not replace that copy).
   */
  readonly mirror?: 'read' | 'unreadable';
}

export type StateSnapshots = ReadonlyMap<string, StateSnapshot>;

/** Reads the state files a plan depends on; I/O at the edge, before the pure passes. */
export function readStates(files: Iterable<string>, diagnostics: Diagnostics): Map<string, StateSnapshot> {
  const snapshots = new Map<string, StateSnapshot>();
  for (const file of files) {
    if (snapshots.has(file)) continue;
    const snapshot = readState(file);
    if (snapshot.problem !== undefined) diagnostics.warning(planProblemText(file, snapshot.problem));
    snapshots.set(file, snapshot);
  }
  return snapshots;
}

export function readState(file: string): StateSnapshot {
  let bytes: Buffer;
  try {
    // A point that never ran has no state file: a stat that returns nothing is far cheaper than
    // the exception of a failed read, and plans of thousands of points mostly see those.
    if (statSync(file, { throwIfNoEntry: false }) === undefined) return { sha256: null, state: EMPTY_STATE };
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    if (code === 'ENOENT' || code === 'ENOTDIR') return { sha256: null, state: EMPTY_STATE };
    return { sha256: null, state: EMPTY_STATE, problem: { kind: 'unreadable', code } };
  }
  const state = bytes.length === 0 ? undefined : parseState(bytes.toString('utf8'));
  if (state !== undefined) return { sha256: sha256(bytes), state };
  const reason = bytes.length === 0 ? 'empty' : 'not valid JSON';
  return { sha256: sha256(bytes), state: EMPTY_STATE, problem: { kind: 'corrupt', reason } };
}

/** `state file F is corrupt (empty)`, `cannot read state file F (permission denied)`: what check and config say. */
export function stateProblemText(file: string, problem: StateProblem): string {
  return problem.kind === 'corrupt'
    ? `state file ${file} is corrupt (${problem.reason})`
    : `cannot read state file ${file} (${fsCodeProblem(problem.code)})`;
}

/** What plan and apply say: what they make of the file. */
function planProblemText(file: string, problem: StateProblem): string {
  return problem.kind === 'corrupt'
    ? `${stateProblemText(file, problem)}: the point is treated as never run, and its next run keeps the file as ${file}.corrupt-TIMESTAMP`
    : stateProblemText(file, problem);
}
