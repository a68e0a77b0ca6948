import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { sha256 } from '../config/load.js';
import type { Diagnostics } from '../diag/diagnostic.js';
import { fsCodeProblem } from '../diag/fs-problem.js';
import { EMPTY_STATE, type PointState, parseState, SharedVariables } from './point-state.js';

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
  /**
   * The copy figures a fetch outdated (fetched-copies.ts), taken out of `state`: never judged by,
   * they still tell what a backup point's directory held at its last success (held-copy-check.ts).
   */
  readonly outdatedCopies?: PointState['copies'];
}

export type StateSnapshots = ReadonlyMap<string, StateSnapshot>;

/** Reads the state files a plan depends on; I/O at the edge, before the pure passes. */
export function readStates(files: Iterable<string>, diagnostics: Diagnostics): Map<string, StateSnapshot> {
  const snapshots = new Map<string, StateSnapshot>();
  const absent = new AbsentDirectories();
  const variables = new SharedVariables();
  for (const file of files) {
    if (snapshots.has(file)) continue;
    const snapshot = absent.holds(file) ? NEVER_RAN : readState(file, absent, variables);
    if (snapshot.problem !== undefined) diagnostics.warning(planProblemText(file, snapshot.problem));
    snapshots.set(file, snapshot);
  }
  return snapshots;
}

const NEVER_RAN: StateSnapshot = { sha256: null, state: EMPTY_STATE };

/**
 * `absent`: directories known not to exist, which a missing file adds its own to. A plan of
 * thousands of points reads mostly files that exist (after a run: opened at once, with no stat
 * before) or files under a directory that does not (before the first run: one failed open and a
 * few stats for all the points under it), instead of a stat for every file. `variables`: the
 * sets of variables read so far, equal ones shared.
 */
export function readState(
  file: string,
  absent?: AbsentDirectories,
  variables?: SharedVariables,
): StateSnapshot {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      absent?.add(dirname(file));
      return NEVER_RAN;
    }
    return { sha256: null, state: EMPTY_STATE, problem: { kind: 'unreadable', code } };
  }
  const state = bytes.length === 0 ? undefined : parseState(bytes.toString('utf8'), variables);
  if (state !== undefined) return { sha256: sha256(bytes), state };
  const reason = bytes.length === 0 ? 'empty' : 'not valid JSON';
  return { sha256: sha256(bytes), state: EMPTY_STATE, problem: { kind: 'corrupt', reason } };
}

/** Directories found missing, and so every path under them. */
export class AbsentDirectories {
  private readonly dirs = new Set<string>();

  /** Notes `dir` and each of its parents that does not exist either, up to one that does. */
  add(dir: string): void {
    for (let at = dir; !this.dirs.has(at) && at !== dirname(at); at = dirname(at)) {
      try {
        if (statSync(at, { throwIfNoEntry: false }) !== undefined) return;
      } catch {
        // Not looked at (a parent that denies it): the files under it are read one by one.
        return;
      }
      this.dirs.add(at);
    }
  }

  holds(file: string): boolean {
    if (this.dirs.size === 0) return false;
    for (let at = dirname(file); at !== dirname(at); at = dirname(at)) if (this.dirs.has(at)) return true;
    return false;
  }
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
