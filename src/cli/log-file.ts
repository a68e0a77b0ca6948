import { openSync, writeSync } from 'node:fs';
import { UsageError } from '../diag/diagnostic.js';

/**
 * `--log-file FILE`, as the original: the file is truncated when the command starts and receives
 * everything the run prints, standard output and standard error, which still reach the terminal.
 * The executor relays the tools' output through these streams when a log file is set.
 */
export function teeToLogFile(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, 'w', 0o600);
  } catch (error) {
    throw new UsageError(`--log-file ${file}: ${(error as Error).message}`);
  }
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      if (typeof chunk === 'string') writeSync(fd, chunk);
      else writeSync(fd, chunk);
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }
}
