import { counted } from '../counted.js';
import { type Diagnostics, formatDiagnostic } from '../diag/diagnostic.js';
import { hideUrlPasswords } from '../diag/hide-url-passwords.js';

export const say = (line: string): void => {
  process.stderr.write(`polyarchiv: ${hideUrlPasswords(line)}\n`);
};

/**
 * Diagnostics go to stderr, those of each set in turn (the plan's, then what this machine lacks).
 * Returns true when there were errors.
 */
export function printDiagnostics(diagnostics: Diagnostics | readonly Diagnostics[], quiet = false): boolean {
  const sets = Array.isArray(diagnostics) ? diagnostics : [diagnostics];
  // In a few large writes: a configuration of thousands of points can have thousands of warnings.
  // Copied: the stream may still hold a chunk when the next is asked for.
  for (const chunk of inChunks(diagnosticLines(sets, quiet))) process.stderr.write(Buffer.from(chunk));
  const errors = sets.reduce((sum, set) => sum + set.errorCount, 0);
  if (errors > 0) process.stderr.write(`${counted(errors, 'error')}: nothing was run or written\n`);
  return errors > 0;
}

function* diagnosticLines(sets: readonly Diagnostics[], quiet: boolean): Generator<string> {
  for (const diagnostics of sets)
    for (const d of diagnostics.inFileOrder())
      if (!(quiet && d.severity === 'notice')) yield `${formatDiagnostic(d)}\n`;
}

/** About what each write takes: a plan of thousands of units is written in few system calls. */
const CHUNK_BYTES = 64 * 1024;
/** The most bytes one UTF-16 code unit takes in UTF-8 (a surrogate pair, two units, takes four). */
const MAX_UTF8_BYTES_PER_UNIT = 3;

/**
 * Pieces encoded into chunks of at most 64 KiB: a plan of thousands of units is written as it is
 * rendered, never held whole, in few system calls. Each piece is encoded as soon as it is handed
 * out, so that the text waiting for its write is bytes outside V8's heap rather than strings that
 * every young-generation collection copies (a 64 KiB string made of a few hundred pieces was
 * copied by each collection it lived through). Pieces that are bytes already (a script's spooled
 * units) are handed out as they are.
 *
 * One buffer serves every chunk: a chunk holds its bytes only until the next one is asked for, so
 * the caller writes each before it asks (buffers dropped after their write would only be freed by
 * a collection, which a run that allocates little on V8's heap does not start).
 */
export function* inChunks(pieces: Iterable<string | Uint8Array>): Generator<Uint8Array> {
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let used = 0;
  for (const piece of pieces) {
    if (typeof piece !== 'string') {
      if (used > 0) yield chunk.subarray(0, used);
      used = 0;
      yield piece;
      continue;
    }
    const most = piece.length * MAX_UTF8_BYTES_PER_UNIT;
    if (used + most > CHUNK_BYTES && used > 0) {
      yield chunk.subarray(0, used);
      used = 0;
    }
    if (most > CHUNK_BYTES) yield Buffer.from(piece);
    else used += chunk.write(piece, used);
  }
  if (used > 0) yield chunk.subarray(0, used);
}

/**
 * Writes pieces to a stream as they are rendered, each chunk once the one before it was written:
 * rendering waits for a pipe read slower than it, so that the plan is never queued whole in memory
 * (tens of megabytes), and the chunk's buffer can be filled again. A write that fails is the
 * stream's error (see closed-output.ts).
 */
export async function writeToStream(
  stream: NodeJS.WritableStream,
  pieces: Iterable<string | Uint8Array>,
): Promise<void> {
  for (const chunk of inChunks(pieces))
    await new Promise<void>((written) => {
      stream.write(chunk, () => written());
    });
}
