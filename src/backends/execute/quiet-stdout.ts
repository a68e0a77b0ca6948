import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { RunContext } from './run-exec.js';
import { writeAsTool } from './run-exec.js';

/** What a unit's kept output may hold in memory; the rest waits in a private file of the work directory. */
export const QUIET_MEMORY_LIMIT = 1024 * 1024;

/**
 * Twin of the script's `.quiet` file: under -q, what a unit's tools print on their standard
 * output (restic's report of each snapshot, git's or a helper's notes) is kept and shown only when
 * the unit fails, after its failure line, so that a quiet run that succeeds prints nothing (cron
 * mails only problems) and one that fails still shows everything its tools said. Their standard
 * error, where tools report problems, goes where it always goes. A tool that prints without end
 * (a verbose listing of millions of files) fills a file, as in the script, not the memory of the run.
 */
export function keepStdoutUntilFailure<C extends Omit<RunContext, 'lockFd'>>(
  ctx: C,
  unitName: string,
  memoryLimit = QUIET_MEMORY_LIMIT,
): { readonly ctx: C; readonly show: () => void; readonly discard: () => void } {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  const file = join(ctx.workDir, `${unitName.replace(/[^A-Za-z0-9_.-]/g, '_')}.quiet`);
  let fd: number | undefined;
  const spill = (chunk: Buffer) => {
    fd ??= openSync(file, 'wx+', 0o600);
    for (const part of kept.splice(0, kept.length, chunk)) writeSync(fd, part);
    keptBytes = chunk.length;
  };
  const close = () => {
    if (fd === undefined) return;
    closeSync(fd);
    fd = undefined;
    rmSync(file, { force: true });
  };
  return {
    ctx: {
      ...ctx,
      output: (stream, chunk) => {
        if (stream !== 'stdout') writeAsTool(ctx, stream, chunk);
        else if (keptBytes + chunk.length > memoryLimit) spill(chunk);
        else {
          kept.push(chunk);
          keptBytes += chunk.length;
        }
      },
    },
    show: () => {
      if (fd !== undefined) {
        const buffer = Buffer.alloc(64 * 1024);
        let position = 0;
        let read = readSync(fd, buffer, 0, buffer.length, position);
        while (read > 0) {
          writeAsTool(ctx, 'stdout', Buffer.from(buffer.subarray(0, read)));
          position += read;
          read = readSync(fd, buffer, 0, buffer.length, position);
        }
      }
      writeAsTool(ctx, 'stdout', Buffer.concat(kept.splice(0)));
      keptBytes = 0;
      close();
    },
    discard: () => {
      kept.length = 0;
      keptBytes = 0;
      close();
    },
  };
}
