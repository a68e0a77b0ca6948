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
    const index = new PathIndex(paths);
    paths.forEach((path, i) => {
      const expected = paths.slice(0, i).findIndex((earlier) => overlap(path, earlier));
      const first = expected < 0 ? undefined : expected;
      expect([path, index.firstBefore(path, i)]).toEqual([path, first]);
    });
  });

  it('lists every overlapping path in index order, as comparing every pair does', () => {
    const index = new PathIndex(paths);
    for (const path of [...paths, '/a/b/c', '/ab/', '//', '/a.b/a', '.a', 'a']) {
      const expected = paths.flatMap((other, i) => (overlap(path, other) ? [i] : []));
      expect([path, index.overlaps(path)]).toEqual([path, expected]);
    }
  });

  it('compares two paths as comparing them with isWithin does', () => {
    for (const a of paths)
      for (const b of paths) expect([a, b, overlapping(a, b)]).toEqual([a, b, overlap(a, b)]);
  });

  it('answers for ten thousand sibling places and their common parents', () => {
    const paths = Array.from({ length: 10_000 }, (_, i) => `/srv/mirror/cp${i}`);
    const index = new PathIndex(paths);
    paths.forEach((path, i) => {
      expect(index.firstBefore(path, i)).toBeUndefined();
    });
    expect(index.overlaps('/srv/mirror/cp42/inner')).toEqual([42]);
    expect(index.overlaps('/srv/mirror')[0]).toBe(0);
    expect(index.overlaps('/srv')).toHaveLength(10_000);
  });
});

describe('PathIndex with the same path given many times', () => {
  it('finds the first of them for each later one, and lists them all', () => {
    const paths = [...Array.from({ length: 1000 }, () => '/srv/mirror'), '/srv', '/srv/mirror/a'];
    const index = new PathIndex(paths);
    expect(index.firstBefore('/srv/mirror', 0)).toBeUndefined();
    expect(index.firstBefore('/srv/mirror', 999)).toBe(0);
    expect(index.firstBefore('/srv', 1000)).toBe(0);
    expect(index.overlaps('/srv/mirror/a/b')).toEqual([...paths.keys()]);
  });
});
