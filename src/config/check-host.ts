import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import type { Diagnostics } from '../diag/diagnostic.js';
import { fsProblem } from '../diag/fs-problem.js';
import type { OptionValues } from '../options/schema.js';
import type { ResolvedConfig } from './resolve.js';

/**
 * What the configuration names on this machine: pattern files, source directories, local users,
 * keys and keytabs. Read here, at the command line's edge, and never by the passes that make a
 * plan, so that a plan (and its golden script) does not depend on the machine that made it. A
 * missing pattern file is an error (rsync would copy what it should have excluded); a missing
 * directory, user, key or keytab is a warning, as they may appear before the run, which then
 * fails on that unit alone.
 */
export function checkHost(
  config: ResolvedConfig,
  mode: 'backup' | 'restore',
  diagnostics: Diagnostics,
): void {
  const users = new Map<string, boolean>();
  const files = new Map<string, boolean>();
  const seen = { users, files };
  for (const cp of config.collectPoints) {
    for (const source of cp.sources) checkOptions(source.options, mode, seen, diagnostics);
  }
  // Each pair's options, rendered for its collect point: a key named after {name} differs by pair.
  for (const pair of config.pairs) checkOptions(pair.options, mode, seen, diagnostics);
  for (const options of config.globals ?? []) checkOptions(options, mode, seen, diagnostics);
  for (const options of config.refusedOptions ?? []) checkOptions(options, mode, seen, diagnostics);
}

function checkOptions(
  options: OptionValues,
  mode: 'backup' | 'restore',
  seen: { readonly users: Map<string, boolean>; readonly files: Map<string, boolean> },
  diagnostics: Diagnostics,
): void {
  const { users, files } = seen;
  options.forEach((option, name) => {
    const value = option.value;
    if (typeof value !== 'string' || value === '' || option.origin === undefined) return;
    const origin = option.origin;
    switch (option.spec.onHost) {
      case 'pattern-file':
        if (value.startsWith('@/') && !readable(value.slice(1)))
          diagnostics.error(`pattern file ${value.slice(1)} of option '${name}' cannot be read`, origin);
        break;
      case 'directory': {
        // A restore creates the directory it restores into.
        const problem = mode === 'backup' ? directoryProblem(value) : undefined;
        if (problem !== undefined)
          diagnostics.warning(
            `${name} ${value} ${problem}`,
            origin,
            problem === MISSING
              ? 'the run fails on this source until it exists'
              : 'the run fails on this source until it is a directory that it can read',
          );
        break;
      }
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
      case 'readable-file': {
        // A file, not a word such as ca_cert's `any`; a relative path is refused by its engine.
        if (!value.startsWith('/')) break;
        const known = files.get(value) ?? readable(value);
        files.set(value, known);
        if (!known)
          diagnostics.warning(
            `${name} ${value} cannot be read on this machine`,
            origin,
            'the runs that use it fail until it can be read',
          );
        break;
      }
      case 'executable':
        // A bare name is looked up in the PATH of the run, which may not be this command's (cron's).
        if (value.startsWith('/') && !executable(value))
          diagnostics.warning(
            `${name} ${value} is not an executable file on this machine`,
            origin,
            'the steps that run it fail until it is',
          );
        break;
      case undefined:
        break;
    }
  });
}

const MISSING = 'does not exist on this machine';

/**
 * Why `path` is not a directory to copy, if it is not: missing (an unmounted disk, a typo) is told
 * apart from a file or a path that cannot be read, which waiting will not mend.
 */
function directoryProblem(path: string): string | undefined {
  try {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat === undefined) return MISSING;
    return stat.isDirectory() ? undefined : 'is not a directory';
  } catch (error) {
    return `cannot be read on this machine (${fsProblem(error)})`;
  }
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
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
