import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { renderHelperFile } from '../../src/backends/bash/render.js';

// Each test file loads this module anew, and most ask for their files at their top level, before
// any test runs. The directory is made before the file's first test and removed after its last:
// a file none of whose tests run (a -t filter, a tool missing) runs neither hook, and makes none.
// A test worker outlives its files, and its exit was too late (or never came).
const dir = join(tmpdir(), `polyarchiv-partials-${randomBytes(6).toString('hex')}`);
let made = false;
/** The files asked for, by the helper files they join, and their text. */
const rendered = new Map<string, { readonly file: string; readonly text: string }>();

beforeAll(() => {
  mkdirSync(dir, { mode: 0o700 });
  made = true;
  for (const { file, text } of rendered.values()) writeFileSync(file, text);
});
afterAll(() => {
  if (made) rmSync(dir, { recursive: true, force: true });
  made = false;
  rendered.clear();
});

/**
 * The path of helpers files of templates/partials/ (`helpers.hbs`, `helpers-confirm.hbs`...),
 * rendered as a script renders them and joined in the order given, for bash to source as one
 * file. Rendered once per test file; written once its tests start.
 */
export function partialFile(...names: readonly [string, ...string[]]): string {
  const key = names.join(' ');
  const known = rendered.get(key);
  if (known !== undefined) return known.file;
  const file = join(dir, `${names.map((name) => name.replace(/\.hbs$/, '')).join('+')}.sh`);
  const text = names.map((name) => renderHelperFile(name)).join('\n');
  rendered.set(key, { file, text });
  if (made) writeFileSync(file, text);
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
