import { describe, expect, it } from 'vitest';
import { overlapping, PathIndex } from '../../src/config/path-index.js';
import { isWithin } from '../../src/engines/url.js';

const overlap = (a: string, b: string) => isWithin(a, b) || isWithin(b, a);

/** Every path built from a few components, with the odd spellings the checks may meet. */
function samplePaths(): string[] {
  const parts = ['a', 'b', 'ab', 'a.b', ''];
  const paths = new Set<string>(['/', '']);
  for (const x of parts)
    for (const y of parts) {
      paths.add(`/${x}`);
      paths.add(`/${x}/${y}`);
      paths.add(`/${x}/${y}/`);
      paths.add(`${x}/${y}`);
    }
  return [...paths];
}

describe('PathIndex', () => {
  const paths = samplePaths();

  it('finds the first earlier path that overlaps, as comparing every pair does', () => {
    const index = new PathIndex();
    paths.forEach((path, i) => {
      const expected = paths.slice(0, i).findIndex((earlier) => overlap(path, earlier));
      const first = expected < 0 ? undefined : expected;
      expect([path, index.add(path, i)]).toEqual([path, first]);
    });
  });

  it('lists every overlapping path in index order, as comparing every pair does', () => {
    const index = new PathIndex();
    paths.forEach((path, i) => {
      index.add(path, i);
    });
    for (const path of paths) {
      const expected = paths.flatMap((other, i) => (overlap(path, other) ? [i] : []));
      expect([path, index.overlaps(path)]).toEqual([path, expected]);
    }
  });

  it('compares two paths as comparing them with isWithin does', () => {
    for (const a of paths)
      for (const b of paths) expect([a, b, overlapping(a, b)]).toEqual([a, b, overlap(a, b)]);
  });

  it('answers for ten thousand sibling places and their common parents', () => {
    const index = new PathIndex();
    for (let i = 0; i < 10_000; i++) {
      expect(index.add(`/srv/mirror/cp${i}`, i)).toBeUndefined();
    }
    expect(index.overlaps('/srv/mirror/cp42/inner')).toEqual([42]);
    expect(index.overlaps('/srv/mirror')[0]).toBe(0);
    expect(index.overlaps('/srv')).toHaveLength(10_000);
  });
});
