import { type CopyCommand, type CopyFigures, printedExplanation } from '../../graph/command.js';
import { HELPERS } from '../../graph/helper-contracts.js';
import { withoutHolding } from '../../graph/rsync-commands.js';
import { HELPER_MESSAGES } from '../helper-messages.js';
import { capture } from './capture.js';
import { copyStats, reservedEntriesHidden } from './copy-stats.js';
import { judgeShrink } from './judge-shrink.js';
import { makeDir } from './make-dir.js';
import { type RunContext, runExec, sayWhy, writeAsTool } from './run-exec.js';
import { TreeListingSum } from './tree-listing.js';

/**
 * Twin of polyarchiv_copy (templates/partials/helpers-copy.hbs): judges the copy against what its
 * target holds (the recorded figures, else a dry run), makes its holding directory, runs it, and
 * keeps its figures in `ctx.copyFigures`. Resolves with the helper's exit code; a holding directory
 * that cannot be made fails it as the make-dir step would.
 */
export async function guardedCopy(
  command: CopyCommand,
  ctx: RunContext,
  say: (line: string) => void,
): Promise<number> {
  let old: CopyFigures = command.recorded ?? { files: 0, bytes: 0 };
  let copy = command.copy;
  if (command.previous.length > 0) {
    old = { files: 0, bytes: 0 };
    // A target that cannot be measured is judged by nothing: the copy itself will say why.
    const previous = await capture(command.previous, ctx, 'both', command.env);
    if (previous.status === 0) {
      const stats = copyStats(previous.output);
      old = stats;
      if (stats.entries <= 1) copy = withoutHolding(command.copy);
    }
  }
  if (old.files > 0) {
    const now = await measureIncoming(command, ctx);
    if (now instanceof Error) {
      say(HELPER_MESSAGES.cannotMeasure(command.what));
      writeAsTool(ctx, 'stderr', `${now.message.replace(/\n$/, '')}\n`);
      return HELPERS.copy.statuses.refused;
    }
    if (!judgeShrink(command, old, now, say, ctx.explain)) return HELPERS.copy.statuses.refused;
  }
  if (command.makeDir !== undefined) makeDir(command.makeDir);
  // With explanations, its error output is kept until it ends, then shown: the words it printed
  // tell which option is wrong.
  const explains = command.explains ?? [];
  const done = await capture(copy, ctx, explains.length === 0 ? 'stdout' : 'both', command.env);
  if (done.stderr !== '') writeAsTool(ctx, 'stderr', done.stderr);
  for (const entry of reservedEntriesHidden(done.stdout))
    say(HELPER_MESSAGES.reservedLeftOut(command.what, entry));
  if (done.status !== 0) {
    // A restore's copy names what it could not read (polyarchiv_copy's UNREADABLE).
    sayWhy(say, ctx, printedExplanation(explains, done.stderr) ?? command.unreadable);
    return done.status;
  }
  if (command.figuresKey !== undefined) {
    const { files, bytes } = copyStats(done.stdout);
    ctx.copyFigures?.push(`${command.figuresKey}:{"files":${files},"bytes":${bytes}}`);
    if (command.measuredPart !== undefined) ctx.measuredParts?.push({ pattern: command.measuredPart, bytes });
  }
  return HELPERS.copy.statuses.copied;
}

/** What the copy would receive: its tool's figures, or its find listing summed here. */
async function measureIncoming(command: CopyCommand, ctx: RunContext): Promise<CopyFigures | Error> {
  if (command.incomingListing === true) {
    const sum = new TreeListingSum();
    const errors: Buffer[] = [];
    const status = await runExec(
      { kind: 'exec', argv: command.incoming, ...(command.env === undefined ? {} : { env: command.env }) },
      { ...ctx, output: (stream, chunk) => (stream === 'stdout' ? sum.add(chunk) : errors.push(chunk)) },
    );
    if (status !== 0) return new Error(Buffer.concat(errors).toString('utf8'));
    return sum.figures();
  }
  const incoming = await capture(command.incoming, ctx, 'both', command.env);
  return incoming.status === 0 ? copyStats(incoming.output) : new Error(incoming.output);
}
