import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { LARGE_CONFIGURATION_BYTES } from '../../src/cli/large-plan-heap.js';

const MODULE = fileURLToPath(new URL('../../dist/cli/large-plan-heap.js', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../examples', import.meta.url));

/**
 * The largest young generation and the largest heap V8 reaches, in bytes, in a node that was
 * given a configuration of `bytes` and then allocates many objects, a third of which survive (as
 * a plan's do).
 */
function largestHeap(bytes: number): { readonly young: number; readonly heap: number } {
  const probe = `
    import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
    import { sizeHeapForLargePlans } from ${JSON.stringify(MODULE)};
    const text = 'x'.repeat(${bytes});
    sizeHeapForLargePlans({ dir: '/', files: [{ name: 'a.collect', kind: 'collect', text, sha256: '' }], unreadable: [] });
    const kept = [];
    let young = 0;
    let heap = 0;
    for (let i = 0; i < 3_000_000; i++) {
      const item = { i, name: 'v' + i };
      if (i % 3 === 0) kept.push(item);
      if (i % 50_000 === 0) {
        young = Math.max(young, getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);
        heap = Math.max(heap, getHeapStatistics().total_heap_size);
      }
    }
    process.stdout.write(JSON.stringify({ young, heap }));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout);
}

describe('the heap of a large configuration', () => {
  let small: ReturnType<typeof largestHeap>;
  let large: ReturnType<typeof largestHeap>;
  beforeAll(() => {
    small = largestHeap(100);
    large = largestHeap(LARGE_CONFIGURATION_BYTES + 1);
  });

  it('keeps its young generation at its first size past the threshold, which grows below it as V8 decides', () => {
    expect(large.young).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(small.young).toBeGreaterThanOrEqual(4 * large.young);
  });

  it('grows its old generation by a fifth at a time past the threshold, where V8 lets it grow more', () => {
    // What survives here is some 80 MiB: V8's own choice reached 110 MiB, a fifth at a time 83.
    expect(large.heap).toBeLessThan(0.85 * small.heap);
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
