import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LARGE_CONFIGURATION_BYTES } from '../../src/cli/young-generation.js';

const MODULE = fileURLToPath(new URL('../../dist/cli/young-generation.js', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../examples', import.meta.url));

/**
 * The largest young generation V8 reaches, in bytes, in a node that was given a configuration of
 * `bytes` and then allocates many objects, a third of which survive (as a plan's do).
 */
function largestYoungGeneration(bytes: number): number {
  const probe = `
    import { getHeapSpaceStatistics } from 'node:v8';
    import { sizeYoungGeneration } from ${JSON.stringify(MODULE)};
    const text = 'x'.repeat(${bytes});
    sizeYoungGeneration({ dir: '/', files: [{ name: 'a.collect', kind: 'collect', text, sha256: '' }], unreadable: [] });
    const kept = [];
    let largest = 0;
    for (let i = 0; i < 3_000_000; i++) {
      const item = { i, name: 'v' + i };
      if (i % 3 === 0) kept.push(item);
      if (i % 50_000 === 0)
        largest = Math.max(largest, getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);
    }
    process.stdout.write(String(largest));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return Number(run.stdout);
}

describe('the young generation of a large configuration', () => {
  it('stays at its first size past the threshold, and grows below it as V8 decides', () => {
    const small = largestYoungGeneration(100);
    const large = largestYoungGeneration(LARGE_CONFIGURATION_BYTES + 1);
    expect(large).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(small).toBeGreaterThanOrEqual(4 * large);
  });

  it('is left to V8 for every shipped example, so the code cache the build records is made without it', () => {
    for (const example of readdirSync(EXAMPLES, { withFileTypes: true })) {
      if (!example.isDirectory()) continue;
      const dir = join(EXAMPLES, example.name);
      const bytes = readdirSync(dir)
        .filter((name) => /\.(global|collect|backup)$/.test(name))
        .reduce((sum, name) => sum + readFileSync(join(dir, name), 'utf8').length, 0);
      expect([example.name, bytes > 0 && bytes < LARGE_CONFIGURATION_BYTES]).toEqual([example.name, true]);
    }
  });
});
