import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { type RunContext, runToEnd } from '../backends/execute/run-exec.js';
import { spawnProblem } from '../backends/execute/tool-problems.js';
import { makeWorkDir, removeWorkDir } from '../backends/execute/work-dir.js';
import type { Diagnostics } from '../diag/diagnostic.js';
import type { BoundBackupPoint, StateMirror } from '../engines/engine.js';
import { explanationOf, type ToolPaths } from '../graph/command.js';
import { getFileCommands, remoteFileMissing } from '../graph/transport-commands.js';
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
  secrets: () => ReadonlyMap<string, string>,
  diagnostics: Diagnostics,
): Map<string, StateSnapshot> {
  const read = new Map<string, StateSnapshot>();
  for (const pair of pairs) {
    const local = states.get(pair.stateFile);
    // Only a file that is not here at all: one that is here, even corrupt, is this machine's.
    if (pair.metadata === undefined || local === undefined || local.sha256 !== null || local.problem)
      continue;
    const mirrored = readMirror(pair.metadata, tools, secrets);
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

/**
 * The mirrored file fetched into a temporary directory by the commands of a restore's `get-file`,
 * run here with the pair's secrets (rclone's passwords obscured through its standard input, as
 * `apply` does), their errors kept to tell a file never written from a server out of reach.
 */
function readMirror(
  mirror: StateMirror,
  tools: ToolPaths,
  secrets: () => ReadonlyMap<string, string>,
): Mirrored {
  const { target } = mirror;
  if (target.kind === 'local') return fromSnapshot(readState(target.path));
  // A run's work directory, locked and named as every other: a killed run's is removed by the next.
  const work = makeWorkDir();
  if (work instanceof Error) return { kind: 'failed', reason: work.message };
  try {
    const file = join(work.path, 'state.json');
    const context: RunContext = {
      workDir: work.path,
      workDirFd: work.fd,
      secrets: secrets(),
      processes: new Set(),
    };
    const spec = { transport: target.transport, remote: target.path, file };
    for (const command of getFileCommands(spec, tools)) {
      if (command.kind === 'publish-file') {
        // Nothing fetched though the tool said it succeeded: read as never written.
        if (!existsSync(command.partial)) return { kind: 'absent' };
        renameSync(command.partial, command.file);
        continue;
      }
      if (command.kind !== 'exec')
        throw new Error(`unexpected ${command.kind} command fetching a state file`);
      const ran = runToEnd(command, context, ['ignore', 'ignore', 'pipe']);
      if ('unready' in ran) return { kind: 'failed', reason: ran.unready };
      const { program, run } = ran;
      if (run.error !== undefined)
        return { kind: 'failed', reason: `${program}: ${spawnProblem(run.error)}` };
      if (run.status === 0) continue;
      if (run.status !== null && remoteFileMissing(target.transport, run.status, run.stderr))
        return { kind: 'absent' };
      // What the tool does not say in words, the command does (an S3 bucket that does not exist).
      const said = explanationOf(command, run.status ?? 0, run.stderr) ?? lastMessage(run.stderr);
      return {
        kind: 'failed',
        reason: `${program} exited with ${run.status ?? run.signal}${said === '' ? '' : `: ${said}`}`,
      };
    }
    return fromSnapshot(readState(file));
  } finally {
    removeWorkDir(work);
  }
}

/**
 * A tool's last message: its last line, or for rclone, which dates each message and may continue
 * one on further lines (an HTTP error's page), the last dated line, with the last line after it.
 */
function lastMessage(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const dated = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /;
  let start = lines.length - 1;
  while (start > 0 && !dated.test(lines[start] ?? '')) start--;
  const [first = '', ...more] = lines.slice(dated.test(lines[start] ?? '') ? start : -1);
  const last = more.at(-1);
  return `${first.replace(dated, '')}${last === undefined ? '' : ` … ${last}`}`;
}

function fromSnapshot(snapshot: StateSnapshot): Mirrored {
  if (snapshot.sha256 === null && snapshot.problem === undefined) return { kind: 'absent' };
  if (snapshot.problem?.kind === 'unreadable')
    return { kind: 'failed', reason: stateProblemText('the file', snapshot.problem) };
  return { kind: 'read', snapshot };
}
