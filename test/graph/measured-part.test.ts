import { describe, expect, it } from 'vitest';
import { duExcludes, measuredPartPattern } from '../../src/graph/measured-part.js';

describe('the part of a measured directory a copy counted', () => {
  it.each([
    ['/c/backups', '/c/backups/www', '/c/backups/www'],
    ['/c/backups', '/c/backups/a/b', '/c/backups/a/b'],
    // fnmatch's wildcards and its escape character, each escaped.
    ['/c/backups', '/c/backups/x[1]*?\\y', '/c/backups/x\\[1]\\*\\?\\\\y'],
  ])('%s holds %s: du leaves out %s', (measured, target, pattern) => {
    expect(measuredPartPattern(measured, target)).toBe(pattern);
  });

  it.each([
    ['outside it', '/c/backups', '/c/other/www'],
    ['a sibling with the same beginning', '/c/backups', '/c/backups2/www'],
    ['the directory itself', '/c/backups', '/c/backups'],
    ['an empty name on the way', '/c/backups', '/c/backups//www'],
    ['a dot on the way', '/c/backups', '/c/backups/./www'],
    ['a dot-dot on the way', '/c/backups', '/c/backups/a/../www'],
    ['a measured directory spelled with a trailing slash', '/c/backups/', '/c/backups/www'],
  ])('a target %s is walked by du, not counted by its copy', (_, measured, target) => {
    expect(measuredPartPattern(measured, target)).toBeUndefined();
  });

  it('gives du one option per part', () => {
    expect(duExcludes(['/c/backups/a', '/c/backups/b\\*'])).toEqual([
      '--exclude=/c/backups/a',
      '--exclude=/c/backups/b\\*',
    ]);
  });
});
