import type { CopyCommand, CopyFigures, Word } from '../../graph/command.js';
import { HELPERS } from '../helper-contracts.js';
import { copyStats } from './copy-stats.js';
import { type RunContext, runExec, writeAsTool } from './run-exec.js';
import { sumTreeListing } from './tree-listing.js';

/**
 * Twin of polyarchiv_copy (templates/partials/helpers-copy.hbs): judges the copy against what its
 * target holds (the recorded figures, else a dry run), runs it, and keeps its figures in
 * `ctx.copyFigures`. Resolves with the helper's exit code.
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
      if (stats.entries <= 1) copy = command.firstCopy;
    }
  }
  let problem: string | undefined;
  let now: CopyFigures = { files: 0, bytes: 0 };
  if (old.files > 0) {
    const incoming = await measureIncoming(command, ctx);
    if (incoming instanceof Error) {
      say(`  cannot measure what ${command.what} would receive:`);
      writeAsTool(ctx, 'stderr', `${incoming.message.replace(/\n$/, '')}\n`);
      return HELPERS.copy.statuses.refused;
    }
    now = incoming;
    const percent = command.maxShrinkPercent;
    if (now.files === 0) problem = 'would become empty';
    else if (now.files * 100 < old.files * (100 - percent) || now.bytes * 100 < old.bytes * (100 - percent))
      problem = `would shrink by more than ${percent}% (max_shrink_percent)`;
  }
  if (problem !== undefined) {
    say(
      `  ${command.what} ${problem}: ${old.files} files (${old.bytes} bytes) now, ${now.files} files (${now.bytes} bytes) incoming`,
    );
    if (!command.allowShrink) {
      say('  refused: nothing was changed; run with --allow-shrink if this is expected');
      return HELPERS.copy.statuses.refused;
    }
    say('  accepted: --allow-shrink');
  }
  const done = await capture(copy, ctx, 'stdout', command.env);
  if (done.status !== 0) return done.status;
  if (command.figuresKey !== undefined) {
    const { files, bytes } = copyStats(done.output);
    ctx.copyFigures?.push(`${command.figuresKey}:{"files":${files},"bytes":${bytes}}`);
  }
  return HELPERS.copy.statuses.copied;
}

/** What the copy would receive: its tool's figures, or its find listing summed here. */
async function measureIncoming(command: CopyCommand, ctx: RunContext): Promise<CopyFigures | Error> {
  if (command.incomingListing === true) {
    const listed = await capture(command.incoming, ctx, 'both', command.env);
    if (listed.status !== 0) return new Error(listed.stderr);
    return sumTreeListing(listed.stdout);
  }
  const incoming = await capture(command.incoming, ctx, 'both', command.env, command.incomingSum);
  return incoming.status === 0 ? copyStats(incoming.output) : new Error(incoming.output);
}

/**
 * Runs argv as every tool runs (its own process group, the lock inherited, stopped on a signal)
 * and keeps its standard output, with its standard error too for `both` (bash's `2>&1`); the
 * error output it does not keep goes where the unit's output goes. With a non-empty `pipeTo`, the
 * output kept is that program's, reading argv's (bash's `{ argv | pipeTo; } 2>&1`).
 */
async function capture(
  argv: readonly Word[],
  ctx: RunContext,
  keep: 'stdout' | 'both',
  env?: CopyCommand['env'],
  pipeTo: readonly Word[] = [],
): Promise<{ status: number; output: string; stdout: string; stderr: string }> {
  const chunks: Buffer[] = [];
  const streams = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  const passOn =
    ctx.output ??
    ((stream: 'stdout' | 'stderr', chunk: Buffer) => {
      process[stream].write(chunk);
    });
  const status = await runExec(
    {
      kind: 'exec',
      argv,
      ...(env === undefined ? {} : { env }),
      ...(pipeTo.length === 0 ? {} : { pipeline: [pipeTo] }),
    },
    {
      ...ctx,
      output: (stream, chunk) => {
        if (stream === 'stdout' || keep === 'both') {
          chunks.push(chunk);
          streams[stream].push(chunk);
        } else passOn(stream, chunk);
      },
    },
  );
  const text = (parts: Buffer[]) => Buffer.concat(parts).toString('utf8');
  return { status, output: text(chunks), stdout: text(streams.stdout), stderr: text(streams.stderr) };
}
