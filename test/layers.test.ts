import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../src/', import.meta.url).pathname;

/** Every module a directory of src/ imports (type-only imports count: they tie layers too). */
function importsOf(dir: string): { file: string; target: string }[] {
  const found: { file: string; target: string }[] = [];
  const walk = (relative: string) => {
    for (const entry of readdirSync(join(SRC, relative), { withFileTypes: true })) {
      const path = join(relative, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const text = readFileSync(join(SRC, path), 'utf8');
        for (const match of text.matchAll(/from '(\.[^']+)'/g))
          found.push({
            file: path,
            target: join(relative, match[1] as string),
          });
      }
    }
  };
  walk(dir);
  return found;
}

const into = (dir: string, layer: string) =>
  importsOf(dir)
    .filter(({ file, target }) => target.startsWith(`${layer}/`) && !file.startsWith(`${layer}/`))
    .map(({ file, target }) => `${file} -> ${target}`);

describe('layers', () => {
  it('engines never import config', () => {
    expect(into('engines', 'config')).toEqual([]);
  });

  it('options import neither config nor engines', () => {
    expect([...into('options', 'config'), ...into('options', 'engines')]).toEqual([]);
  });

  it("the plan (graph, planner) never imports a backend: the helpers' contracts are the plan's", () => {
    expect([...into('graph', 'backends'), ...into('planner', 'backends')]).toEqual([]);
  });

  it('sees the imports it checks: config does import engines and options', () => {
    expect(into('config', 'engines').length).toBeGreaterThan(0);
    expect(into('config', 'options').length).toBeGreaterThan(0);
  });
});
