/**
 * Directories indexed by their ancestors, so that finding the ones that overlap a path (the same
 * directory, one above it or one below it) walks that path once instead of comparing every pair.
 * Overlap means what `isWithin` means in either direction.
 *
 * One map from each ancestor (`/a`, `/a/b`...) to what ends there and below: a node is a few
 * numbers, not a map of its own, because a plan of thousands of points builds many indexes.
 */
interface Node {
  /** Indexes of the paths that end here, in insertion order. */
  here?: number[];
  /** Indexes of the paths that end strictly below, in insertion order. */
  below?: number[];
  /** The smallest index that ends here or below. */
  first: number;
}

/**
 * The keys of a path's nodes, from the top: `/` is the root itself; any other path has one node
 * per component (`/a/b` -> '', '/a', '/a/b'; a trailing slash is one more, empty, component).
 */
function forEachNode(path: string, visit: (key: string, last: boolean) => boolean): void {
  if (path === '/') {
    visit('', true);
    return;
  }
  let slash = path.indexOf('/');
  while (slash >= 0) {
    if (!visit(path.slice(0, slash), false)) return;
    slash = path.indexOf('/', slash + 1);
  }
  visit(path, true);
}

export class PathIndex {
  private readonly nodes = new Map<string, Node>();

  /**
   * Adds `path` under `index`, and returns the smallest index of the paths added earlier that
   * overlap it. One walk does both, since the checks that report each overlap once ask the one
   * question of every path they add.
   */
  add(path: string, index: number): number | undefined {
    let best = Number.POSITIVE_INFINITY;
    forEachNode(path, (key, last) => {
      let node = this.nodes.get(key);
      if (node === undefined) {
        node = { first: index };
        this.nodes.set(key, node);
      } else {
        if (node.here !== undefined) best = Math.min(best, node.here[0] as number);
        if (last) best = Math.min(best, node.first);
        node.first = Math.min(node.first, index);
      }
      const list = last ? 'here' : 'below';
      const indexes = node[list];
      if (indexes === undefined) node[list] = [index];
      else indexes.push(index);
      return true;
    });
    return Number.isFinite(best) ? best : undefined;
  }

  /** The indexes of every path that overlaps `path`, in ascending order. */
  overlaps(path: string): number[] {
    const found: number[] = [];
    forEachNode(path, (key, last) => {
      const node = this.nodes.get(key);
      if (node === undefined) return false;
      if (node.here !== undefined) found.push(...node.here);
      if (last && node.below !== undefined) found.push(...node.below);
      return true;
    });
    return found.sort((a, b) => a - b);
  }
}

const SLASH = '/'.charCodeAt(0);

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
