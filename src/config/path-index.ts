/**
 * Directories indexed by path component, so that finding the ones that overlap a path (the same
 * directory, one above it or one below it) walks that path once instead of comparing every pair.
 * Overlap means what `isWithin` means in either direction.
 */
interface Node {
  readonly children: Map<string, Node>;
  /** Indexes of the paths that end here, in insertion order. */
  readonly here: number[];
  /** The smallest index that ends here or below. */
  first: number;
}

const newNode = (): Node => ({ children: new Map(), here: [], first: Number.POSITIVE_INFINITY });

/** `/` is the root itself; any other path is its components (`/a/b` -> '', 'a', 'b'). */
function componentsOf(path: string): string[] {
  return path === '/' ? [''] : path.split('/');
}

export class PathIndex {
  private readonly root = newNode();

  add(path: string, index: number): void {
    let node = this.root;
    node.first = Math.min(node.first, index);
    for (const component of componentsOf(path)) {
      let child = node.children.get(component);
      if (child === undefined) {
        child = newNode();
        node.children.set(component, child);
      }
      child.first = Math.min(child.first, index);
      node = child;
    }
    node.here.push(index);
  }

  /** The smallest index of a path that overlaps `path`, if any. */
  firstOverlap(path: string): number | undefined {
    let best = Number.POSITIVE_INFINITY;
    let node: Node | undefined = this.root;
    for (const component of componentsOf(path)) {
      node = node.children.get(component);
      if (node === undefined) break;
      if (node.here.length > 0) best = Math.min(best, node.here[0] as number);
    }
    if (node !== undefined) best = Math.min(best, node.first);
    return Number.isFinite(best) ? best : undefined;
  }

  /** The indexes of every path that overlaps `path`, in ascending order. */
  overlaps(path: string): number[] {
    const found: number[] = [];
    let node: Node | undefined = this.root;
    for (const component of componentsOf(path)) {
      node = node.children.get(component);
      if (node === undefined) break;
      found.push(...node.here);
    }
    if (node !== undefined) {
      const below = [...node.children.values()];
      for (let next = below.pop(); next !== undefined; next = below.pop()) {
        found.push(...next.here);
        below.push(...next.children.values());
      }
    }
    return found.sort((a, b) => a - b);
  }
}
