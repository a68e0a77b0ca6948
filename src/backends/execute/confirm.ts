import { isDirectory } from '../../fs-probe.js';
import { type ConfirmCommand, printedExplanation } from '../../graph/command.js';
import { HELPERS } from '../../graph/helper-contracts.js';
import { HELPER_MESSAGES } from '../helper-messages.js';
import { CONFIRM_LISTING } from '../tool-conventions.js';
import { keptErrorsSaid, type RunContext, runExec, runToEnd, writeAsTool } from './run-exec.js';
import { spawnProblem } from './tool-problems.js';
import { makeWorkDir, removeWorkDir } from './work-dir.js';

/** How the executor answers polyarchiv_confirm's question: --yes, or a question on the terminal. */
export interface Confirmation {
  readonly yes: boolean;
  readonly ask: (question: string) => Promise<boolean>;
}

/**
 * Twin of polyarchiv_confirm (templates/partials/helpers-confirm.hbs): says what the next steps
 * replace, lists the changes with the preview's output on standard error (kept with the unit's
 * output when units run side by side, as the script keeps it), then goes on with --yes or asks.
 * Under -q with --yes nobody is asked, and what the question would show is not printed: the
 * preview still runs, its errors and its failure still count. Resolves with the helper's exit code.
 */
export async function confirmStep(
  command: ConfirmCommand,
  confirmation: Confirmation,
  say: (line: string) => void,
  ctx: RunContext,
  quiet = false,
): Promise<number> {
  const shown = !(quiet && confirmation.yes);
  if (shown) say(`  ${command.warning}`);
  if (command.preview.length > 0) {
    const env = command.env === undefined ? {} : { env: command.env };
    const preview = { kind: 'exec', argv: command.preview, ...env } as const;
    const listing = firstLines((text) => {
      if (shown) writeAsTool(ctx, 'stderr', Buffer.from(text, 'latin1'));
    });
    // With explanations, the error output is kept until the dry run ends, then shown: the words it
    // printed tell which option is wrong.
    const explains = command.explains ?? [];
    const errors: Buffer[] = [];
    const code = await runExec(preview, {
      ...ctx,
      output: (stream, chunk) => {
        if (stream === 'stdout') listing.add(chunk.toString('latin1'));
        else if (explains.length > 0) errors.push(chunk);
        else writeAsTool(ctx, 'stderr', chunk);
      },
    });
    keptErrorsSaid(ctx, say, code, Buffer.concat(errors), explains);
    if (code !== 0) return code;
    const { more, deletions } = listing.end();
    if (more > 0 && shown) say(HELPER_MESSAGES.changesNotListed(String(more), String(deletions)));
  }
  const { confirmed, declined } = HELPERS.confirm.statuses;
  if (confirmation.yes) return confirmed;
  if (await confirmation.ask('polyarchiv: go on? y/[N] ')) return confirmed;
  say(HELPER_MESSAGES.notConfirmed());
  return declined;
}

/**
 * The awk of polyarchiv_confirm: the first CONFIRM_LISTING.lines lines of the listing written as
 * they come, the others counted, deletions apart. A last line without its newline is a line. Text
 * of chunks passes as latin1, so that a character split between two is written back whole.
 */
function firstLines(write: (text: string) => void) {
  let pending = '';
  let lines = 0;
  let deletions = 0;
  const take = (line: string) => {
    lines += 1;
    if (lines <= CONFIRM_LISTING.lines) write(`${line}\n`);
    else if (line.startsWith(CONFIRM_LISTING.deletion)) deletions += 1;
  };
  return {
    add(text: string): void {
      const parts = (pending + text).split('\n');
      pending = parts.pop() ?? '';
      for (const line of parts) take(line);
    },
    end(): { more: number; deletions: number } {
      if (pending !== '') take(pending);
      pending = '';
      return { more: Math.max(0, lines - CONFIRM_LISTING.lines), deletions };
    },
  };
}

/**
 * What `--dry` shows of a confirm step: the warning, and the changes against the collect point's
 * copy as it is now (the restore fetches it first, so the run's own list may differ); the dry run
 * only reads. What the preview keeps in the run's work directory (a Kerberos ticket cache) goes to
 * a private directory of its own, removed after it: the dry run leaves nothing behind. A listing
 * that fails after printing a text of the command's explanations (a refused login) says its words.
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
    const ctx: RunContext = { workDir: workDir.path, workDirFd: workDir.fd, secrets, processes: new Set() };
    const ran = runToEnd({ argv: command.preview, env: command.env }, ctx);
    if ('unready' in ran) {
      say(`    the restore lists the changes before it asks (${ran.unready})`);
      return;
    }
    say(`    against the collect point's copy as it is now (the restore fetches it first):`);
    const { program, run } = ran;
    if (run.error !== undefined) {
      say(`    ${program}: ${spawnProblem(run.error)}`);
      return;
    }
    const listing = firstLines(write);
    listing.add(run.stdout);
    const { more, deletions } = listing.end();
    write(run.stderr);
    if (more > 0) say(`  ${HELPER_MESSAGES.changesNotListed(String(more), String(deletions))}`);
    // A listing the server refused names the option to fix, as the restore's own would.
    const why = run.status === 0 ? undefined : printedExplanation(command.explains ?? [], run.stderr);
    if (why !== undefined) say(`    ${why}`);
  } finally {
    removeWorkDir(workDir);
  }
}
