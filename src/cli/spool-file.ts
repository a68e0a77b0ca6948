import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Spool } from '../backends/bash/render.js';
import { fsProblem } from '../diag/fs-problem.js';

/** Past this many characters waiting, the spool moves to a file. */
const IN_MEMORY = 256 * 1024;
/** Texts are copied into a buffer of this size, written to the file when full. */
const CHUNK = 1024 * 1024;
/** The file is read back in buffers of this size, each written out as it is. */
const READ_CHUNK = 64 * 1024;
/** The most bytes one UTF-16 code unit takes in UTF-8 (a surrogate pair, two units, takes four). */
const MAX_UTF8_BYTES_PER_UNIT = 3;

/**
 * A spool that stays in memory while it is small, as nearly every script is, and otherwise goes to
 * a temporary file that no directory names (removed from its directory once open, so that nothing
 * is left behind however the process ends): a script of thousands of units then costs its size on
 * disk rather than in memory. It holds the units' functions, which name secrets by variable only.
 */
export function fileSpool(directory = tmpdir(), inMemory = IN_MEMORY): Spool<string | Uint8Array> {
  let waiting: string[] = [];
  let waitingLength = 0;
  let fd: number | undefined;
  let size = 0;
  // Once in the file, each text is copied at once into this chunk, written when full: a text kept
  // as a string would outlive the young generation's collections and crowd the old one.
  const chunk = Buffer.alloc(CHUNK);
  let used = 0;

  const write = (bytes: Buffer) => {
    fd ??= openUnnamed(directory);
    for (let at = 0; at < bytes.length; ) {
      try {
        at += writeSync(fd, bytes, at, bytes.length - at);
      } catch (error) {
        closeSync(fd);
        throw spoolError(directory, error);
      }
    }
    size += bytes.length;
  };
  const flush = () => {
    write(chunk.subarray(0, used));
    used = 0;
  };
  // The text's most bytes rather than its exact count: measuring it would be one more pass over it.
  const copy = (text: string) => {
    const most = text.length * MAX_UTF8_BYTES_PER_UNIT;
    if (used + most > CHUNK && used > 0) flush();
    if (most > CHUNK) write(Buffer.from(text));
    else used += chunk.write(text, used);
  };

  return {
    add(text) {
      if (fd !== undefined) return copy(text);
      waiting.push(text);
      waitingLength += text.length;
      if (waitingLength < inMemory) return;
      write(Buffer.from(waiting.join('')));
      waiting = [];
      waitingLength = 0;
    },
    *pieces() {
      if (fd === undefined) {
        yield* waiting;
        return;
      }
      flush();
      const file = fd;
      // Bytes, handed out as they were read: they go to the output as they are, never decoded into
      // strings to be encoded again. Each is read into the same buffer (see Spool.pieces).
      try {
        for (let at = 0; at < size; ) {
          const read = readSync(file, chunk, 0, Math.min(READ_CHUNK, size - at), at);
          if (read === 0) throw new Error(`the script's temporary file in ${directory} ended early`);
          at += read;
          yield chunk.subarray(0, read);
        }
      } finally {
        closeSync(file);
      }
    },
  };
}

function openUnnamed(directory: string): number {
  let dir: string | undefined;
  try {
    dir = mkdtempSync(join(directory, 'polyarchiv-plan-'));
    return openSync(join(dir, 'units'), 'wx+', 0o600);
  } catch (error) {
    throw spoolError(directory, error);
  } finally {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}

function spoolError(directory: string, error: unknown): Error {
  return new Error(
    `cannot keep the script's units in a temporary file in ${directory} (${fsProblem(error)}): point TMPDIR to a directory with room`,
  );
}
