import type { Tags } from '../engines/engine.js';

/**
 * The original's association rule, kept exactly: exclusions on either side win,
 * then inclusion on either side associates.
 */
export function canAssociate(cp: Tags, bp: Tags): boolean {
  if (anyMatch(cp.own, bp.excluded) || anyMatch(bp.own, cp.excluded)) return false;
  return anyMatch(cp.own, bp.included) || anyMatch(bp.own, cp.included);
}

/** Loops rather than callbacks: every collect point is tried against every backup point. */
function anyMatch(tags: readonly string[], patterns: readonly string[]): boolean {
  for (const tag of tags) for (const pattern of patterns) if (globMatch(tag, pattern)) return true;
  return false;
}

/**
 * Each pattern compiled once: association compares every collect point's tags with every backup
 * point's patterns, which are a handful of texts (`*` for most) met thousands of times.
 */
const compiled = new Map<string, RegExp>();

/** Python's `fnmatch.fnmatchcase`: `*`, `?`, `[seq]`, `[!seq]`. */
export function globMatch(text: string, pattern: string): boolean {
  let regExp = compiled.get(pattern);
  if (regExp === undefined) {
    regExp = globToRegExp(pattern);
    compiled.set(pattern, regExp);
  }
  return regExp.test(text);
}

export function globToRegExp(pattern: string): RegExp {
  let source = '';
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    i++;
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '[') {
      const set = readSet(pattern, i);
      if (set === undefined) source += '\\[';
      else {
        source += set.regex;
        i = set.next;
      }
    } else source += escapeRegExp(c);
  }
  return new RegExp(`^${source}$`, 'su');
}

/**
 * A `[...]` set as fnmatch reads it: `!` negates, a `]` right after `[` or `[!` is a member, `^` is
 * literal, and a reversed range (`z-a`) matches nothing instead of being an error.
 */
function readSet(pattern: string, start: number): { regex: string; next: number } | undefined {
  let j = start;
  const negate = pattern[j] === '!';
  if (negate) j++;
  if (pattern[j] === ']') j++;
  const close = pattern.indexOf(']', j);
  if (close < 0) return undefined;
  const body = pattern.slice(negate ? start + 1 : start, close);
  const members: string[] = [];
  const chars = [...body];
  for (let k = 0; k < chars.length; k++) {
    const from = chars[k] as string;
    if (chars[k + 1] === '-' && k + 2 < chars.length) {
      const to = chars[k + 2] as string;
      if (from <= to) members.push(`${escapeSetMember(from)}-${escapeSetMember(to)}`);
      k += 2;
    } else members.push(escapeSetMember(from));
  }
  const next = close + 1;
  if (members.length === 0) return { regex: negate ? '.' : '(?!)', next };
  return { regex: `[${negate ? '^' : ''}${members.join('')}]`, next };
}

function escapeRegExp(c: string): string {
  return c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

function escapeSetMember(c: string): string {
  return c.replace(/[\\\][^-]/g, '\\$&');
}
