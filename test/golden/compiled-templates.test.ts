import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url);

// The script renderer loads the templates compiled at build time: they must be templates/ as it is.
describe('compiled templates', () => {
  it('are templates/ compiled now', () => {
    const fresh = spawnSync(process.execPath, ['scripts/compile-templates.mjs', '--print'], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    expect(fresh.status, fresh.stderr).toBe(0);
    const committed = readFileSync(new URL('src/backends/bash/compiled-templates.ts', ROOT), 'utf8');
    expect(committed === fresh.stdout, 'templates/ changed since the last build: run npm run build').toBe(
      true,
    );
    expect(fresh.stdout).toContain("  'helpers-copy': {");
  });
});
