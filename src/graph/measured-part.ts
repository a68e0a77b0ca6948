/**
 * A collect point's size (`total_size`) is `du -s -b` of what it holds, less the trees its guarded
 * copies wrote in the same unit, whose bytes the copies' own figures already counted: a second
 * walk of every copied file, after the copy and the guard walked them, cost as much as the guard's
 * walk (20 ms for 10,000 files, seconds for millions). `du` leaves such a tree out with
 * `--exclude=PATTERN`, which it matches against the path it walks (the directory given, a slash,
 * the names below it), and against each ending of that path after a slash: an absolute pattern can
 * only match the whole path.
 */

/**
 * The `du --exclude` pattern that leaves `target` out of the walk of `measured`, or undefined
 * when du would not spell the path as `target` does (a target outside `measured` or equal to it,
 * `.`, `..` or an empty name on the way: du would then count the tree, and the copy's figures
 * must not count it a second time).
 */
export function measuredPartPattern(measured: string, target: string): string | undefined {
  if (measured === '' || measured.endsWith('/') || !target.startsWith(`${measured}/`)) return undefined;
  const below = target.slice(measured.length + 1).split('/');
  if (below.some((name) => name === '' || name === '.' || name === '..')) return undefined;
  return fnmatchLiteral(target);
}

/** A path as an fnmatch pattern that matches it alone: its wildcards and backslashes escaped. */
const fnmatchLiteral = (path: string): string => path.replace(/[\\*?[]/g, '\\$&');

/** `du`'s options for the parts the copies counted, in the order the copies ran. */
export function duExcludes(patterns: readonly string[]): string[] {
  return patterns.map((pattern) => `--exclude=${pattern}`);
}
