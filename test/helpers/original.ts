import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CliResult } from './cli.js';

/** The original PolyArchiv vendored in test/original, started by its launcher. */
const LAUNCHER = fileURLToPath(new URL('../original/run-original.py', import.meta.url));
/** Debian's Python: the original needs its python3-requests and its `pipes` module (3.12 at most). */
const PYTHON = '/usr/bin/python3';

/**
 * Whether the original can run here. Under CI=true its absence is an error, not a skip:
 * scripts/system-deps.sh installs Debian's python3 and python3-requests.
 */
export function haveOriginal(): boolean {
  const probe = spawnSync(PYTHON, ['-c', 'import pipes, requests'], { encoding: 'utf8' });
  if (probe.status !== 0 && process.env.CI === 'true') {
    throw new Error(`CI=true and the original cannot run: ${PYTHON}: ${probe.stderr || probe.error}`);
  }
  return probe.status === 0;
}

export function runOriginal(args: readonly string[]): CliResult {
  const result = spawnSync(PYTHON, [LAUNCHER, ...args], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'Europe/Paris', ANSI_COLORS_DISABLED: '1', PYTHONDONTWRITEBYTECODE: '1' },
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
