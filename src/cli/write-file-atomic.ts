import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../diag/diagnostic.js';
import { fsProblem } from '../diag/fs-problem.js';
import { isDirectory } from '../fs-probe.js';
import { inChunks } from './output.js';

/**
 * Writes `pieces` into a new file beside FILE (created with its final mode, whatever
 * FILE's mode was), flushes it, then renames it over FILE: a render or disk that fails leaves FILE
 * as it was, and a reader (node_exporter, systemd, cron) never sees half a file. `what` names the
 * file in errors, such as `--out plan.sh`.
 */
export function writeFileAtomic(
  file: string,
  pieces: Iterable<string | Uint8Array>,
  mode: number,
  what: string,
): void {
  const refuse = (why: string) => new UsageError(`cannot write ${what}: ${why}`);
  if (isDirectory(file)) throw refuse('it is a directory');
  const partial = join(dirname(file), `.${basename(file)}.polyarchiv-partial`);
  let fd: number;
  try {
    rmSync(partial, { force: true });
    fd = openSync(partial, 'wx', mode);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw refuse(code === 'ENOENT' ? 'its directory does not exist' : fsProblem(error));
  }
  try {
    try {
      for (const chunk of inChunks(pieces)) writeSync(fd, chunk);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(partial, file);
  } catch (error) {
    rmSync(partial, { force: true });
    throw refuse(fsProblem(error));
  }
}
