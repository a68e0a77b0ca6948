import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Diagnostics } from '../diag/diagnostic.js';
import type { BoundBackupPoint, StateMirror } from '../engines/engine.js';
import type { ToolPaths } from '../graph/command.js';
import { getFileCommands } from '../graph/transport-commands.js';
import { EMPTY_STATE } from './point-state.js';
import { readState, type StateSnapshot, type StateSnapshots, stateProblemText } from './read-states.js';

/**
 * The states of pairs whose state file is missing here (a rebuilt machine) but mirrored to their
 * `metadata_url`, read back from the mirror: what a restore chooses from and the variables of
 * the dated paths it fetches, and what the next backup continues (its counters, its archives).
 * The local file stays absent (the snapshot's sha256 is null, which the stale-plan guard
 * compares): the pair's next record writes it. The one network read of planning, and only for
 * such pairs.
 */
export function readMirroredStates(
  pairs: readonly BoundBackupPoint[],
  states: StateSnapshots,
  tools: ToolPaths,
  diagnostics: Diagnostics,
): Map<string, StateSnapshot> {
  const read = new Map<string, StateSnapshot>();
  for (const pair of pairs) {
    const local = states.get(pair.stateFile);
    // Only a file that is not here at all: one that is here, even corrupt, is this machine's.
    if (pair.metadata === undefined || local === undefined || local.sha256 !== null || local.problem)
      continue;
    const mirrored = readMirror(pair.metadata, tools);
    if (mirrored.kind === 'absent') continue;
    const problem =
      mirrored.kind === 'failed'
        ? `cannot read ${pair.metadata.shown}: ${mirrored.reason}`
        : mirrored.snapshot.problem === undefined
          ? undefined
          : stateProblemText(pair.metadata.shown, mirrored.snapshot.problem);
    if (problem === undefined && mirrored.kind === 'read') {
      read.set(pair.stateFile, { sha256: null, state: mirrored.snapshot.state, mirror: 'read' });
      continue;
    }
    diagnostics.warning(
      `the state of backup point ${pair.name} for ${pair.collectPoint} mirrored at metadata_url cannot be used: ${problem}`,
      pair.metadata.origin,
      'the point is treated as never run, and this run leaves that copy as it is',
    );
    read.set(pair.stateFile, { sha256: null, state: EMPTY_STATE, mirror: 'unreadable' });
  }
  return read;
}

type Mirrored =
  | { readonly kind: 'absent' }
  | { readonly kind: 'failed'; readonly reason: string }
  | { readonly kind: 'read'; readonly snapshot: StateSnapshot };

function readMirror(mirror: StateMirror, tools: ToolPaths): Mirrored {
  const { target } = mirror;
  if (target.kind === 'local') return fromSnapshot(readState(target.path));
  const dir = mkdtempSync(join(tmpdir(), 'polyarchiv-metadata-'));
  try {
    const file = join(dir, 'state.json');
    for (const command of getFileCommands(
      { transport: target.transport, remote: target.path, file },
      tools,
    )) {
      if (command.kind !== 'exec')
        throw new Error(`unexpected ${command.kind} command fetching a state file`);
      const [program = '', ...args] = command.argv.map((word) => (typeof word === 'string' ? word : ''));
      const run = spawnSync(program, args, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
      if (run.error !== undefined) return { kind: 'failed', reason: `${program}: ${run.error.message}` };
      if (run.status === 0) continue;
      // rsync's "link_stat ... failed: No such file or directory (2)": never mirrored yet.
      if (run.status === RSYNC_PARTIAL_TRANSFER && /No such file or directory/.test(run.stderr))
        return { kind: 'absent' };
      const said =
        run.stderr
          .trim()
          .split('\n')
          .filter((line) => line !== '')
          .at(-1) ?? '';
      return {
        kind: 'failed',
        reason: `${program} exited with ${run.status ?? run.signal}${said === '' ? '' : `: ${said}`}`,
      };
    }
    return fromSnapshot(readState(file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const RSYNC_PARTIAL_TRANSFER = 23;

function fromSnapshot(snapshot: StateSnapshot): Mirrored {
  if (snapshot.sha256 === null && snapshot.problem === undefined) return { kind: 'absent' };
  if (snapshot.problem?.kind === 'unreadable')
    return { kind: 'failed', reason: stateProblemText('the file', snapshot.problem) };
  return { kind: 'read', snapshot };
}
