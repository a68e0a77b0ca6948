import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import type { Diagnostics } from '../diag/diagnostic.js';
import { isDirectory } from '../fs-probe.js';
import type { OptionValues } from '../options/schema.js';
import type { ResolvedConfig } from './resolve.js';

/**
 * What the configuration names on this machine: pattern files, source directories, local users.
 * Read here, at the command line's edge, and never by the passes that make a plan, so that a plan
 * (and its golden script) does not depend on the machine that made it. A missing pattern file is
 * an error (rsync would copy what it should have excluded); a missing directory or user is a
 * warning, as they may appear before the run, which then fails on that unit alone.
 */
export function checkHost(
  config: ResolvedConfig,
  mode: 'backup' | 'restore',
  diagnostics: Diagnostics,
): void {
  const users = new Map<string, boolean>();
  for (const cp of config.collectPoints) {
    for (const source of cp.sources) checkOptions(source.options, mode, users, diagnostics);
  }
}

function checkOptions(
  options: OptionValues,
  mode: 'backup' | 'restore',
  users: Map<string, boolean>,
  diagnostics: Diagnostics,
): void {
  options.forEach((option, name) => {
    const value = option.value;
    if (typeof value !== 'string' || value === '' || option.origin === undefined) return;
    const origin = option.origin;
    switch (option.spec.onHost) {
      case 'pattern-file':
        if (value.startsWith('@/') && !readable(value.slice(1)))
          diagnostics.error(`pattern file ${value.slice(1)} of option '${name}' cannot be read`, origin);
        break;
      case 'directory':
        // A restore creates the directory it restores into.
        if (mode === 'backup' && !isDirectory(value))
          diagnostics.warning(
            `${name} ${value} is not a directory on this machine`,
            origin,
            'the run fails on this source until it exists',
          );
        break;
      case 'user': {
        const known = users.get(value) ?? isLocalUser(value);
        users.set(value, known);
        if (!known)
          diagnostics.warning(
            `${name} ${value} is not a user of this machine`,
            origin,
            'the run fails on this source until it exists',
          );
        break;
      }
      case undefined:
        break;
    }
  });
}

function readable(file: string): boolean {
  try {
    accessSync(file, constants.R_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Through the name service, as sudo resolves it (not only /etc/passwd). */
function isLocalUser(user: string): boolean {
  const result = spawnSync('getent', ['passwd', user], { stdio: 'ignore' });
  return result.error !== undefined || result.status === 0;
}
