import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderHelperFile } from '../../src/backends/bash/render.js';

let dir: string | undefined;
const rendered = new Map<string, string>();

/**
 * The path of a helpers file of templates/partials/ (`helpers.hbs`, `helpers-confirm.hbs`...)
 * rendered as a script renders it, for bash to source. Rendered once per test file.
 */
export function partialFile(name: string): string {
  const known = rendered.get(name);
  if (known !== undefined) return known;
  if (dir === undefined) {
    const made = mkdtempSync(join(tmpdir(), 'polyarchiv-partials-'));
    process.on('exit', () => rmSync(made, { recursive: true, force: true }));
    dir = made;
  }
  const file = join(dir, name.replace(/\.hbs$/, '.sh'));
  writeFileSync(file, renderHelperFile(name));
  rendered.set(name, file);
  return file;
}
