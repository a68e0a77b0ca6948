import type { ResticRestoreAtCommand, Word } from '../../graph/command.js';
import { HELPERS } from '../../graph/helper-contracts.js';
import { HELPER_MESSAGES } from '../helper-messages.js';
import { keptErrorsSaid, type RunContext, runExec, sayWhy, writeAsTool } from './run-exec.js';

/** jq's exit statuses when its input is not JSON, and when the program stops with an error. */
const UNREADABLE = { json: 2, time: 5 } as const;

/**
 * Twin of polyarchiv_restic_restore_at (templates/partials/helpers-restic-restore.hbs): lists the
 * snapshots, restores the newest one not after `notAfter` with its id as last word, or says
 * `none` and fails. It reads restic's JSON itself, where the script hands it to jq (`parse`).
 */
export async function resticRestoreAt(
  command: ResticRestoreAtCommand,
  ctx: RunContext,
  say: (line: string) => void,
  note: (line: string) => void,
): Promise<number> {
  const listed = await restic(command, command.list, ctx);
  keptErrorsSaid(ctx, say, listed.status, listed.printed, command.explains, command.unlisted);
  if (listed.status !== 0) return listed.status;
  const snapshots = snapshotLines(listed.stdout);
  if (typeof snapshots === 'string') return parseFailure(snapshots, ctx);
  let chosen: Snapshot | undefined;
  for (const snapshot of snapshots)
    if (
      (command.notAfter === undefined || snapshot.seconds <= command.notAfter) &&
      (chosen === undefined || newer(snapshot, chosen))
    )
      chosen = snapshot;
  if (chosen === undefined) {
    return await noneOrDamaged(command, ctx, say);
  }
  if (command.recorded !== undefined && chosen.seconds < command.recorded) {
    sayWhy(say, ctx, command.recordedMissing ?? '');
    return HELPERS.resticRestoreAt.statuses.damaged;
  }
  note(HELPER_MESSAGES.snapshotChosen(chosen.id.slice(0, 8), chosen.time));
  const restored = await restic(command, [...command.restore, chosen.id], ctx, 'shown');
  keptErrorsSaid(ctx, say, restored.status, restored.printed, command.explains, command.unreadable);
  return restored.status;
}

interface ResticRun {
  readonly status: number;
  readonly stdout: string;
  readonly printed: string;
}

/**
 * One restic command of the restore, its error output kept until it ends (the script's
 * `2>"${errors}"`); its standard output kept, or shown as it comes.
 */
async function restic(
  command: ResticRestoreAtCommand,
  argv: readonly Word[],
  ctx: RunContext,
  stdout: 'kept' | 'shown' = 'kept',
): Promise<ResticRun> {
  const streams = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  const status = await runExec(
    {
      kind: 'exec',
      argv,
      env: command.env,
      ...(command.childErrors === undefined ? {} : { childErrors: command.childErrors }),
    },
    {
      ...ctx,
      output: (stream, chunk) => {
        if (stream === 'stdout' && stdout === 'shown') writeAsTool(ctx, stream, chunk);
        else streams[stream].push(chunk);
      },
    },
  );
  const text = (parts: Buffer[]) => Buffer.concat(parts).toString('utf8');
  return { status, stdout: text(streams.stdout), printed: text(streams.stderr) };
}

/**
 * When none is chosen: restic skips a snapshot file it cannot decode (saying so) and still exits
 * 0, so a snapshot file (`files`, undecoded) that is not among the snapshots of every tag
 * (`every`) may be the copy: `unlisted` is said, not `none`. A failure of restic is passed on
 * after `unlisted`, one of jq's reading as its own.
 */
async function noneOrDamaged(
  command: ResticRestoreAtCommand,
  ctx: RunContext,
  say: (line: string) => void,
): Promise<number> {
  const files = await restic(command, command.files, ctx);
  keptErrorsSaid(ctx, say, files.status, files.printed, command.explains, command.unlisted);
  const stored = files.stdout.split('\n').filter((id) => id !== '');
  const every =
    files.status !== 0 || stored.length === 0 ? undefined : await restic(command, command.every, ctx);
  if (every !== undefined)
    keptErrorsSaid(ctx, say, every.status, every.printed, command.explains, command.unlisted);
  const failed = files.status !== 0 ? files.status : (every?.status ?? 0);
  if (failed !== 0) return failed;
  if (every !== undefined) {
    const snapshots = snapshotLines(every.stdout);
    if (typeof snapshots === 'string') return parseFailure(snapshots, ctx);
    const decoded = new Set(snapshots.map((snapshot) => snapshot.id));
    if (!stored.every((id) => decoded.has(id))) {
      sayWhy(say, ctx, command.unlisted);
      return HELPERS.resticRestoreAt.statuses.damaged;
    }
  }
  sayWhy(say, ctx, command.none);
  return HELPERS.resticRestoreAt.statuses.none;
}

/** jq's message and status, as the script's `parse` fails. */
function parseFailure(message: string, ctx: RunContext): number {
  writeAsTool(ctx, 'stderr', `${message}\n`);
  return message.startsWith('parse error') ? UNREADABLE.json : UNREADABLE.time;
}

/** Later, or of the same second with a greater id: restic lists snapshots of one time in no fixed order. */
const newer = (snapshot: Snapshot, than: Snapshot): boolean =>
  snapshot.seconds > than.seconds || (snapshot.seconds === than.seconds && snapshot.id > than.id);

interface Snapshot {
  readonly seconds: number;
  readonly id: string;
  readonly time: string;
}

/** RFC 3339 as restic prints it: nanoseconds, and an offset or Z. */
const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/** restic's JSON list (an array, or null when empty) read as jq reads it; a message when it cannot be. */
function snapshotLines(json: string): Snapshot[] | string {
  let list: unknown;
  try {
    list = JSON.parse(json);
  } catch (error) {
    return `parse error: ${(error as Error).message}`;
  }
  const snapshots: Snapshot[] = [];
  for (const entry of Array.isArray(list) ? list : []) {
    const { id, time } = entry as { id: string; time: string };
    const match = RFC3339.exec(String(time));
    if (match === null) return `restic printed a snapshot time that is not RFC 3339: ${time}`;
    const [, seconds = '', sign, hours = '0', minutes = '0'] = match;
    const offset =
      sign === undefined ? 0 : (sign === '-' ? -1 : 1) * (Number(hours) * 3600 + Number(minutes) * 60);
    snapshots.push({ seconds: Date.parse(`${seconds}Z`) / 1000 - offset, id, time });
  }
  return snapshots;
}
