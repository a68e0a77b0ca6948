import { describe, expect, it } from 'vitest';
import { knownMissing, readableFirst } from '../../src/graph/readable-check.js';

describe('the check that a copy on this host can be read', () => {
  it('knows a path missing only below a directory that can be searched, at every level', () => {
    expect(knownMissing('/srv/mirror')).toEqual([
      ['-d', '/', '-a', '-x', '/', '-a', '!', '-e', '/srv'],
      ['-d', '/srv', '-a', '-x', '/srv', '-a', '!', '-e', '/srv/mirror'],
    ]);
  });

  it('asks a directory to be listed and searched, a file (or a directory) given as a path to be read', () => {
    const spec = { path: '/m', missing: 'missing', unreadable: 'unreadable' };
    expect(readableFirst({ ...spec, expect: 'entries' })[0]?.argv).toEqual([
      'test',
      '-r',
      '/m',
      '-a',
      '-x',
      '/m',
      '-o',
      '-d',
      '/',
      '-a',
      '-x',
      '/',
      '-a',
      '!',
      '-e',
      '/m',
    ]);
    expect(readableFirst({ ...spec, expect: 'path' })[0]?.argv.slice(0, 12)).toEqual([
      'test',
      '-r',
      '/m',
      '-a',
      '(',
      '-x',
      '/m',
      '-o',
      '!',
      '-d',
      '/m',
      ')',
    ]);
  });

  it('asks nothing of a copy elsewhere, or without words for it', () => {
    expect(readableFirst({ path: '/m', missing: 'missing', expect: 'entries' })).toEqual([]);
    expect(readableFirst({ path: '/m', missing: 'm', unreadable: 'u', expect: 'directory' })).toEqual([]);
  });
});
