import { rmSync } from 'node:fs';

/** How long a tree's late writers get to finish before its removal gives up. */
const ATTEMPTS = 20;
const PAUSE_MS = 50;

/**
 * Removes a directory tree that a process may still be writing into: a server's child that
 * outlives its parent (sshd's session for the readiness probe opens the server's log after the
 * server stopped), a tool a test killed. rmSync reads the entries, unlinks them, then removes the
 * directory: a file created in between fails it with ENOTEMPTY. Reading the entries again removes
 * it; a writer that comes after the directory is gone fails on its own, outside the test.
 */
export function removeTree(path: string): void {
  for (let attempt = 1; ; attempt += 1) {
    try {
      rmSync(path, { recursive: true, force: true });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOTEMPTY' || attempt === ATTEMPTS) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, PAUSE_MS);
    }
  }
}
