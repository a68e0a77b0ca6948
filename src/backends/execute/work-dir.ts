import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HELPER_MESSAGES } from '../helper-messages.js';
import { causeOf } from './primitives.js';

/**
 * A private directory for a run's work files (the script's `mktemp -d`, mode 0700), or why it
 * cannot be made, in the script's words.
 */
export function makeWorkDir(): string | Error {
  try {
    return mkdtempSync(join(tmpdir(), 'polyarchiv.'));
  } catch (error) {
    return new Error(HELPER_MESSAGES.workDirFailed(tmpdir(), causeOf(error)));
  }
}
