import type { Tags } from '../engines/engine.js';

/**
 * The original's association rule (reference §5), kept exactly: exclusions on either side win,
 * then inclusion on either side associates.
 */
export function canAssociate(cp: Tags, bp: Tags): boolean {
  if (anyMatch(cp.own, bp.excluded) || anyMatch(bp.own, cp.excluded)) return false;
  return anyMatch(cp.own, bp.included) || anyMatch(bp.own, cp.included);
}

function anyMatch(tags: readonly string[], patterns: readonly string[]): boolean {
  return tags.some((tag) => patterns.some((pattern) => globMatch(tag, pattern)));
}

/** Python's `fnmatch.fnmatchcase`: `*`, `?`, `[seq]`, `[!seq]`. */
export function globMatch(text: string, pattern: string): boolean {
  return globToRegExp(pattern).test(text);
}

export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) {
        source += '\\[';
        continue;
      }
      let set = pattern.slice(i + 1, end);
      if (set.startsWith('!')) set = `^${set.slice(1)}`;
      source += `[${set.replaceAll('\\', '\\\\')}]`;
      i = end;
    } else source += c.replace(/[.+^${}()|\\/\]]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}
