/**
 * Directories indexed so that finding the ones that overlap a path (the same directory, one above
 * it or one below it) looks at that path's own ancestors and its neighbours in sorted order instead
 * of comparing every pair. Overlap means what `isWithin` means in either direction.
 *
 * Built once from every path: the paths sorted, each distinct one with the indexes it was given.
 * Those below a path follow it in that order (they start with it and a slash), and its ancestors
 * are looked up whole, at the lengths some indexed path has: a plan of thousands of points builds
 * a few such indexes, without a string or an entry for each ancestor of each path.
 */
const SLASH = '/'.charCodeAt(0);

export class PathIndex {
  /** The indexes given to each distinct path, ascending. */
  private readonly indexes = new Map<string, number[]>();
  /** The lengths of the indexed paths: a path's ancestors of other lengths are not looked up. */
  private readonly lengths = new Set<number>();
  /** The distinct paths, sorted by their UTF-16 code units. */
  private readonly sorted: string[];

  constructor(paths: readonly string[]) {
    paths.forEach((path, i) => {
      const given = this.indexes.get(path);
      if (given === undefined) this.indexes.set(path, [i]);
      else given.push(i);
      this.lengths.add(path.length);
    });
    this.sorted = [...this.indexes.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** The indexes of every path that overlaps `path`, in ascending order. */
  overlaps(path: string): readonly number[] {
    // Most paths overlap none: they share one empty list, and no callback is made per query.
    const found = this.fold<number[] | undefined>(path, undefined, gathered);
    if (found === undefined) return NONE;
    return found.length > 1 ? found.sort(ascending) : found;
  }

  /** The smallest index below `i` whose path overlaps the path of index `i`, given as `path`. */
  firstBefore(path: string, i: number): number | undefined {
    const first = this.fold(path, i, smallest);
    return first < i ? first : undefined;
  }

  /** `step` folded over the index lists of the distinct paths that overlap `path`, each once. */
  private fold<T>(path: string, start: T, step: (acc: T, given: readonly number[]) => T): T {
    let acc = start;
    // Above: the path up to each of its slashes, and `/` above every absolute path.
    for (let slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
      if (!this.lengths.has(slash)) continue;
      const given = this.indexes.get(path.slice(0, slash));
      if (given !== undefined) acc = step(acc, given);
    }
    // `/` is above an absolute path whose second character is not a slash (else the loop saw it).
    if (path.length > 1 && path.charCodeAt(0) === SLASH && path.charCodeAt(1) !== SLASH) {
      const root = this.lengths.has(1) ? this.indexes.get('/') : undefined;
      if (root !== undefined) acc = step(acc, root);
    }
    // The same path and those below it: they start with it, then (unless `/` itself) a slash.
    // Paths that go on with a character below the slash (`-`, `.`) sort among them, and are passed.
    const sorted = this.sorted;
    for (let at = this.firstNotBefore(path); at < sorted.length; at++) {
      const other = sorted[at] as string;
      if (!other.startsWith(path)) break;
      if (path === '/' || other.length === path.length) {
        acc = step(acc, this.indexes.get(other) as number[]);
        continue;
      }
      const next = other.charCodeAt(path.length);
      if (next > SLASH) break;
      if (next === SLASH) acc = step(acc, this.indexes.get(other) as number[]);
    }
    return acc;
  }

  /** Where `path` is, or would be, in the sorted paths. */
  private firstNotBefore(path: string): number {
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.sorted[middle] as string) < path) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

const NONE: readonly number[] = Object.freeze([]);

function gathered(found: number[] | undefined, given: readonly number[]): number[] {
  const into = found ?? [];
  for (const i of given) into.push(i);
  return into;
}

const smallest = (first: number, given: readonly number[]): number => Math.min(first, given[0] as number);

const ascending = (a: number, b: number): number => a - b;

/** `inner` is `outer` or below it (`isWithin` in engines/url.ts), without making a string. */
function within(inner: string, outer: string): boolean {
  if (inner === outer) return true;
  if (outer === '/') return inner.charCodeAt(0) === SLASH;
  return inner.length > outer.length && inner.charCodeAt(outer.length) === SLASH && inner.startsWith(outer);
}

/** Whether two paths overlap, as the index tells: one is the other or lies below it. */
export function overlapping(a: string, b: string): boolean {
  return within(a, b) || within(b, a);
}
