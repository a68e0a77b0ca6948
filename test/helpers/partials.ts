import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { renderHelperFile } from '../../src/backends/bash/render.js';

let dir: string | undefined;
const rendered = new Map<string, string>();

// Each test file loads this module anew: the hook removes that file's directory once its tests
// ended. A test worker outlives its files, and its exit was too late (or never came).
afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
  rendered.clear();
});

/**
 * The path of helpers files of templates/partials/ (`helpers.hbs`, `helpers-confirm.hbs`...),
 * rendered as a script renders them and joined in the order given, for bash to source as one
 * file. Rendered once per test file.
 */
export function partialFile(...names: readonly [string, ...string[]]): string {
  const key = names.join(' ');
  const known = rendered.get(key);
  if (known !== undefined) return known;
  if (dir === undefined) {
    dir = mkdtempSync(join(tmpdir(), 'polyarchiv-partials-'));
  }
  const file = join(dir, `${names.map((name) => name.replace(/\.hbs$/, '')).join('+')}.sh`);
  writeFileSync(file, names.map((name) => renderHelperFile(name)).join('\n'));
  rendered.set(key, file);
  return file;
}

/**
 * Shell that gives the sourced helpers the test's own work directory in place of the one
 * helpers.hbs makes with mktemp when it is sourced, which is removed first: none is left in TMPDIR.
 */
export const useWorkDir = (dir: string): string => `polyarchiv_cleanup; polyarchiv_work=${dir}`;

/**
 * A command's line run as the script runs it, in bash with helpers.hbs and the partial `partial`
 * sourced: its exit status, and the lines it said (`polyarchiv: ` taken off).
 */
export function runHelper(
  partial: string,
  line: string,
  env: NodeJS.ProcessEnv = process.env,
): { code: number; said: string[] } {
  const run = spawnSync(
    'bash',
    [
      '-c',
      `set -Eeuo pipefail; source "$1"; source "$2"; ${line}`,
      'bash',
      partialFile('helpers.hbs'),
      partialFile(partial),
    ],
    { encoding: 'utf8', env },
  );
  return { code: run.status ?? -1, said: saidLines(run.stderr) };
}

/** What the helpers said on standard error, without their `polyarchiv: ` prefix. */
export const saidLines = (stderr: string): string[] =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('polyarchiv: '))
    .map((l) => l.slice('polyarchiv: '.length));
