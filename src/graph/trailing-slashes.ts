const SLASH = '/'.charCodeAt(0);

/**
 * The path without its trailing slashes. A plan of thousands of copies trims each of their paths
 * several times, mostly with nothing to trim: read from the end, where a regular expression anchored
 * there would scan the whole path.
 */
export function withoutTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === SLASH) end--;
  return end === path.length ? path : path.slice(0, end);
}
