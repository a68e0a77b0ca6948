import { openSync, writeSync } from 'node:fs';
import { UsageError } from '../diag/diagnostic.js';
import { fsProblem } from '../diag/fs-problem.js';
import { formatTimestamp } from '../state/point-state.js';

const NEWLINE = 0x0a;

/**
 * `--log-file FILE`, as the original: the file is truncated when the command starts and receives
 * everything the run prints, standard output and standard error, which still reach the terminal.
 * Each line in the file starts with the time it was written (`2026-11-30T03:00:05+01:00 `), so a
 * log read later tells how long each step took. The executor relays the tools' output through
 * these streams when a log file is set.
 */
export function teeToLogFile(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, 'w', 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot write --log-file ${file}: ${code === 'ENOENT' ? 'its directory does not exist' : fsProblem(error)}`,
    );
  }
  const stamp = lineStamper((bytes) => writeSync(fd, bytes));
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const encoding = typeof rest[0] === 'string' ? (rest[0] as BufferEncoding) : 'utf8';
      stamp(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk);
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }
}

/**
 * Writes bytes with the time before each line. Lines are cut on bytes, never on decoded text, so
 * a character split between two chunks stays whole; a line written in pieces gets one stamp.
 */
export function lineStamper(out: (bytes: Uint8Array) => void, now = () => new Date()) {
  let atLineStart = true;
  return (bytes: Uint8Array): void => {
    let start = 0;
    while (start < bytes.length) {
      if (atLineStart) out(Buffer.from(`${formatTimestamp(now())} `));
      const newline = bytes.indexOf(NEWLINE, start);
      const end = newline < 0 ? bytes.length : newline + 1;
      out(bytes.subarray(start, end));
      atLineStart = newline >= 0;
      start = end;
    }
  };
}
