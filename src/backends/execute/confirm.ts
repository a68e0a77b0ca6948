import { rmSync } from 'node:fs';
import { isDirectory } from '../../fs-probe.js';
import type { ConfirmCommand } from '../../graph/command.js';
import { HELPERS } from '../helper-contracts.js';
import { HELPER_MESSAGES } from '../helper-messages.js';
import { type RunContext, runExec, runToEnd, writeAsTool } from './run-exec.js';
import { spawnProblem } from './tool-problems.js';
import { makeWorkDir } from './work-dir.js';

/** How the executor answers polyarchiv_confirm's question: --yes, or a question on the terminal. */
export interface Confirmation {
  readonly yes: boolean;
  readonly ask: (question: string) => Promise<boolean>;
}

/**
 * Twin of polyarchiv_confirm (templates/partials/helpers-confirm.hbs): says what the next steps
 * replace, lists the changes with the preview's output on standard error (kept with the unit's
 * output when units run side by side, as the script keeps it), then goes on with --yes or asks.
 * Resolves with the helper's exit code.
 */
export async function confirmStep(
  command: ConfirmCommand,
  confirmation: Confirmation,
  say: (line: string) => void,
  ctx: RunContext,
): Promise<number> {
  say(`  ${command.warning}`);
  if (command.preview.length > 0) {
    const env = command.env === undefined ? {} : { env: command.env };
    const preview = { kind: 'exec', argv: command.preview, ...env } as const;
    const code = await runExec(preview, { ...ctx, output: toStderr(ctx) });
    if (code !== 0) return code;
  }
  const { confirmed, declined } = HELPERS.confirm.statuses;
  if (confirmation.yes) return confirmed;
  if (await confirmation.ask('polyarchiv: go on? y/[N] ')) return confirmed;
  say(HELPER_MESSAGES.notConfirmed());
  return declined;
}

/** The script's `>&2`: both of the preview's streams go where the unit's standard error goes. */
function toStderr(ctx: RunContext): (stream: 'stdout' | 'stderr', chunk: Buffer) => void {
  return (_, chunk) => writeAsTool(ctx, 'stderr', chunk);
}

/**
 * What `--dry` shows of a confirm step: the warning, and the changes against the collect point's
 * copy as it is now (the restore fetches it first, so the run's own list may differ); the dry run
 * only reads. What the preview keeps in the run's work directory (a Kerberos ticket cache) goes to
 * a private directory of its own, removed after it: the dry run leaves nothing behind.
 */
export function listForDryRun(
  command: ConfirmCommand,
  secrets: ReadonlyMap<string, string>,
  say: (line: string) => void,
  write: (text: string) => void,
): void {
  say(`    ${command.warning}`);
  if (command.preview.length === 0) return;
  const copy = command.fetchedCopy;
  if (copy === undefined || !isDirectory(copy)) {
    say('    the copy is not in the collect point yet: the restore lists the changes once it has fetched it');
    return;
  }
  const workDir = makeWorkDir();
  if (workDir instanceof Error) {
    say(`    the restore lists the changes before it asks (${workDir.message})`);
    return;
  }
  try {
    const ctx: RunContext = { workDir, secrets, processes: new Set() };
    const ran = runToEnd({ argv: command.preview, env: command.env }, ctx);
    if ('unready' in ran) {
      say(`    the restore lists the changes before it asks (${ran.unready})`);
      return;
    }
    say(`    against the collect point's copy as it is now (the restore fetches it first):`);
    const { program, run } = ran;
    if (run.error !== undefined) say(`    ${program}: ${spawnProblem(run.error)}`);
    else write(`${run.stdout}${run.stderr}`);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
