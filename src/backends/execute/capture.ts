import type { ExecCommand, Word } from '../../graph/command.js';
import { type RunContext, runExec, writeAsTool } from './run-exec.js';

/**
 * Runs argv as every tool runs (its own process group, the lock inherited, stopped on a signal)
 * and keeps its standard output, with its standard error too for `both` (bash's `2>&1`); the
 * error output it does not keep goes where the unit's output goes. argv reads `stdin` (a file)
 * when given, else nothing.
 */
export async function capture(
  argv: readonly Word[],
  ctx: RunContext,
  keep: 'stdout' | 'both',
  env?: ExecCommand['env'],
  stdin?: Word,
): Promise<{ status: number; output: string; stdout: string; stderr: string }> {
  const chunks: Buffer[] = [];
  const streams = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  const status = await runExec(
    {
      kind: 'exec',
      argv,
      ...(env === undefined ? {} : { env }),
      ...(stdin === undefined ? {} : { stdin }),
    },
    {
      ...ctx,
      output: (stream, chunk) => {
        if (stream === 'stdout' || keep === 'both') {
          chunks.push(chunk);
          streams[stream].push(chunk);
        } else writeAsTool(ctx, stream, chunk);
      },
    },
  );
  const text = (parts: Buffer[]) => Buffer.concat(parts).toString('utf8');
  return { status, output: text(chunks), stdout: text(streams.stdout), stderr: text(streams.stderr) };
}
