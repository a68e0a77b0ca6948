import { describe, expect, it } from 'vitest';
import type { Tags } from '../../src/engines/engine.js';
import { canAssociate, globMatch } from '../../src/planner/associate.js';

/** Tags with the original's defaults when absent. */
const cp = (t: Partial<Tags> = {}): Tags => ({ own: ['collect'], included: ['*'], excluded: [], ...t });
const bp = (t: Partial<Tags> = {}): Tags => ({ own: ['backup'], included: ['*'], excluded: [], ...t });

describe('canAssociate', () => {
  it('associates everything with the default tags', () => {
    expect(canAssociate(cp(), bp())).toBe(true);
  });

  it('does not associate a collect point excluded by the backup point', () => {
    expect(canAssociate(cp({ own: ['db'] }), bp({ excluded: ['db'] }))).toBe(false);
  });

  it('does not associate a backup point excluded by the collect point', () => {
    expect(canAssociate(cp({ excluded: ['offsite'] }), bp({ own: ['offsite'] }))).toBe(false);
  });

  it('lets an exclusion on either side win over inclusions on both sides', () => {
    expect(
      canAssociate(
        cp({ own: ['db'], included: ['offsite'] }),
        bp({ own: ['offsite'], included: ['db'], excluded: ['db'] }),
      ),
    ).toBe(false);
    expect(
      canAssociate(
        cp({ own: ['db'], included: ['offsite'], excluded: ['off*'] }),
        bp({ own: ['offsite'], included: ['db'] }),
      ),
    ).toBe(false);
  });

  it('excludes when any one tag matches any one pattern', () => {
    expect(canAssociate(cp({ own: ['web', 'db'] }), bp({ excluded: ['mail', 'db'] }))).toBe(false);
  });

  it('associates when only the collect point side includes (inclusion is an OR)', () => {
    expect(canAssociate(cp({ included: ['large'] }), bp({ own: ['large'], included: [] }))).toBe(true);
  });

  it('associates when only the backup point side includes (inclusion is an OR)', () => {
    expect(canAssociate(cp({ own: ['db'], included: [] }), bp({ included: ['db'] }))).toBe(true);
  });

  it('does not associate when neither side includes the other', () => {
    expect(
      canAssociate(cp({ own: ['db'], included: ['large'] }), bp({ own: ['small'], included: ['web'] })),
    ).toBe(false);
  });

  it('keeps the documented-but-wrong example associated: the backup point includes * by default', () => {
    expect(canAssociate(cp({ included: ['huge', 'large'] }), bp({ own: ['small-only'] }))).toBe(true);
  });

  it('associates a collect point with no tags through the backup point tags matching its inclusions', () => {
    expect(canAssociate(cp({ own: [] }), bp())).toBe(true);
  });

  it('cannot exclude a collect point with no tags from the backup point side', () => {
    expect(canAssociate(cp({ own: [] }), bp({ excluded: ['*'] }))).toBe(true);
  });

  it('cannot include a collect point with no tags from the backup point side alone', () => {
    expect(canAssociate(cp({ own: [], included: [] }), bp({ included: ['*'] }))).toBe(false);
  });

  it('associates nothing when both sides have empty tag lists', () => {
    expect(canAssociate(cp({ own: [] }), bp({ own: [] }))).toBe(false);
  });

  it('associates nothing when both inclusion lists are empty', () => {
    expect(canAssociate(cp({ included: [] }), bp({ included: [] }))).toBe(false);
  });
});

describe('globMatch (fnmatch.fnmatchcase)', () => {
  it.each<[string, string, boolean]>([
    ['collect', '*', true],
    ['', '*', true],
    ['web-1', 'web-*', true],
    ['web', 'web-*', false],
    ['db1', 'db?', true],
    ['db', 'db?', false],
    ['db12', 'db?', false],
    ['db1', 'db[0-9]', true],
    ['dbx', 'db[0-9]', false],
    ['dbx', 'db[!0-9]', true],
    ['db1', 'db[!0-9]', false],
    ['b', '[abc]', true],
    ['d', '[abc]', false],
    ['Web', 'web', false],
    ['web', 'WEB', false],
    ['a.b', 'a.b', true],
    ['axb', 'a.b', false],
    ['a+b', 'a+b', true],
    ['a(b)', 'a(b)', true],
    ['a$', 'a$', true],
    ['a|b', 'a|b', true],
    ['a', 'a|b', false],
    ['[x', '[x', true],
    ['a\\b', 'a\\b', true],
    ['x-y', '*-*', true],
    ['line\nbreak', 'line*', true],
    ['-', '[a-]', true],
  ])('matches %j against %j: %s', (text, pattern, expected) => {
    expect(globMatch(text, pattern)).toBe(expected);
  });

  // Known defects in src/planner/associate.ts globToRegExp, compared with Python's fnmatch:
  it('treats ^ at the start of a set as a literal, as fnmatch does', () => {
    // fnmatch: '[^a]' matches '^' or 'a'; here it becomes the regex negation [^a].
    expect(globMatch('b', '[^a]')).toBe(false);
  });

  it('reads ] right after [ or [! as a member of the set', () => {
    // fnmatch: '[]]' matches ']' and '[!]]' matches any single character but ']'.
    expect([globMatch(']', '[]]'), globMatch('x', '[!]]')]).toEqual([true, true]);
  });

  it('matches nothing with a reversed range instead of throwing', () => {
    // fnmatch (Python >= 3.9) drops the empty range; here new RegExp throws "Range out of order",
    // and canAssociate lets it escape as a stack trace from included_collect_point_tags=[z-a].
    expect(() => globMatch('a', '[z-a]')).not.toThrow();
  });
});
