import { spawnSync } from 'node:child_process';

/**
 * Whether the tools a test needs are installed. Under CI=true a missing tool is an error, not a
 * skip: CI installs everything the suite needs, so a skip there would hide a broken set-up.
 */
export function haveTools(...tools: string[]): boolean {
  const missing = tools.filter((tool) => spawnSync('sh', ['-c', `command -v "$1"`, 'sh', tool]).status !== 0);
  if (missing.length > 0 && process.env.CI === 'true') {
    throw new Error(
      `CI=true and required tools are missing: ${missing.join(', ')} (scripts/system-deps.sh installs them)`,
    );
  }
  return missing.length === 0;
}
