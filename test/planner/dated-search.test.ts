import { describe, expect, it } from 'vitest';
import { newestOf } from '../../src/backends/execute/newest-file.js';
import { datedSearch } from '../../src/engines/backup/dated-search.js';
import type { BoundBackupPoint } from '../../src/engines/engine.js';

/** A pair whose remote_url is `template`, with the variables a pair fills it with. */
function pair(template: string, variables: Record<string, string> = { name: 'site' }): BoundBackupPoint {
  return {
    options: { template: (name: string) => (name === 'remote_url' ? template : undefined) },
    variables,
  } as unknown as BoundBackupPoint;
}

describe('the search of a dated series from its remote_url', () => {
  it('lists the directory before the first time variable, as deep as the names go', () => {
    expect(datedSearch(pair('/var/backups/{name}/{Y}/{m}/{name}-{d}_{H}{M}.tar.gz'), undefined)).toEqual({
      entries: 'files',
      orderBy: 'name',
      dir: '/var/backups/site',
      depth: 3,
      pattern: '^([0-9]{4})/([0-9]{2})/site-([0-9]{2})_([0-9]{2})([0-9]{2})\\.tar\\.gz$',
      pathGroup: 0,
      order: [1, 2, 3, 4, 5],
      notAfter: '',
      shown: '/var/backups/site/{Y}/{m}/site-{d}_{H}{M}.tar.gz',
    });
  });

  it('matches mirrors, which the listings print with a final slash, at their own depth', () => {
    const search = datedSearch(pair('/var/backups/{Y}-{m}-{d}/{name}/'), undefined, 'directories');
    expect(search).toEqual({
      entries: 'directories',
      orderBy: 'name',
      dir: '/var/backups',
      depth: 2,
      pattern: '^([0-9]{4})-([0-9]{2})-([0-9]{2})/site/$',
      pathGroup: 0,
      order: [1, 2, 3],
      notAfter: '',
      shown: '/var/backups/{Y}-{m}-{d}/site',
    });
    if (typeof search === 'string') throw new Error(search);
    const listing = ['2026-03-01/', '2026-03-01/site/', '2026-03-02/site/www/', '2026-03-02/other/', ''];
    expect(newestOf(listing.join('\n'), search)).toBe('2026-03-01/site/');
  });

  it('orders by year, month, day, then time, whatever order the name writes them in', () => {
    const search = datedSearch(pair('/b/{name}-{d}.{m}.{y}-{H}h.tar.zst'), new Date(2026, 2, 10, 12));
    expect(search).toMatchObject({ order: [3, 2, 1, 4], notAfter: '26031011' });
  });

  it('passes over the name of --at, coarser than it, unless --at is the last second that name stands for', () => {
    const within = datedSearch(pair('/b/{name}-{Y}{m}{d}.tar.gz'), new Date(2026, 2, 10, 12));
    expect(within).toMatchObject({ notAfter: '20260309', passedOver: '/b/site-20260310.tar.gz' });
    const last = datedSearch(pair('/b/{name}-{Y}{m}{d}.tar.gz'), new Date(2026, 2, 10, 23, 59, 59));
    expect(last).toMatchObject({ notAfter: '20260310' });
    expect(last).not.toHaveProperty('passedOver');
    const seconds = datedSearch(pair('/b/{name}-{Y}{m}{d}{H}{M}{S}.tar.gz'), new Date(2026, 2, 10, 12));
    expect(seconds).toMatchObject({ notAfter: '20260310120000' });
  });

  it('takes {Y} over {y}, and reads the other variables without ordering by them', () => {
    const search = datedSearch(pair('/b/{A}-{Y}-{y}-{m}-{d}-{z}-{Z}.tar.gz'), undefined);
    expect(search).toMatchObject({ orderBy: 'name', order: [2, 4, 5] });
  });

  it.each([
    '/b/{name}-{Y}-{b}-{d}.tar.gz',
    '/b/{name}-{Y}-W{W}.tar.gz',
    '/b/{name}-{Y}-{d}.tar.gz',
    '/b/{name}-{Y}-{m}-{d}_{I}{p}.tar.gz',
    '/b/{name}-{Y}-{A}.tar.gz',
    '/b/{name}-{Y}-{m}-{d}_{M}.tar.gz',
  ])('orders by modification time names whose text sorts otherwise than their time (%s)', (template) => {
    expect(datedSearch(pair(template), undefined)).toMatchObject({ orderBy: 'modification' });
  });

  it('keeps the characters of regular expressions literal, and the pair variables filled', () => {
    const search = datedSearch(
      pair('/b/{host} (a+b)/[{name}]*{Y}$^|?.tar.gz', { name: 'x.y', host: 'h' }),
      undefined,
    );
    if (typeof search === 'string') throw new Error(search);
    expect(search.dir).toBe('/b/h (a+b)');
    const match = (line: string) => newestOf(line, search);
    expect(match('[x.y]*2026$^|?.tar.gz')).toBe('[x.y]*2026$^|?.tar.gz');
    expect(match('[xzy]*2026$^|?.tar.gz')).toBeUndefined();
    expect(match('x.y2026.tar.gz')).toBeUndefined();
  });

  it('counts the slashes of {x} in the depth', () => {
    expect(datedSearch(pair('/b/{x}/{name}-{Y}.tar.gz'), undefined)).toMatchObject({ dir: '/b', depth: 4 });
  });

  it('reads the path of ssh, scp-like, WebDAV and S3 targets', () => {
    const dirOf = (url: string) => (datedSearch(pair(url), undefined) as { dir: string }).dir;
    expect(dirOf('ssh://backup@host:2222/srv/{name}/{name}-{Y}{m}{d}.tar.gz')).toBe('/srv/site');
    expect(dirOf('backup@host:/srv/{name}-{Y}{m}{d}.tar.gz')).toBe('/srv');
    expect(dirOf('https://dav.example.org/dav/{name}/{Y}{m}{d}.tar.gz')).toBe('/dav/site');
    expect(dirOf('s3://bucket/backups/{name}-{Y}{m}{d}.tar.gz')).toBe('/bucket/backups');
  });

  it.each([
    ['/b/{name}-{A}.tar.gz', 'site-Monday.tar.gz', 'site-Tuesday.tar.gz'],
    ['/b/{name}-{d}.tar.gz', 'site-31.tar.gz', 'site-01.tar.gz'],
    ['/b/{m}/{name}-{d}_{H}.tar.gz', '01/site-31_23.tar.gz', '02/site-01_01.tar.gz'],
  ])(
    'orders names without the year (%s), which rotate, by their modification time in UTC',
    (template, older, newer) => {
      const search = datedSearch(pair(template), new Date('2026-03-10T04:05:06+01:00'));
      if (typeof search === 'string') throw new Error(search);
      expect(search).toMatchObject({ orderBy: 'modification', pathGroup: 7, notAfter: '20260310030506' });
      // The later name of the two was written first: modification times order them, not names.
      const listing = `2026-03-10 03:05:07;${older}\n2026-03-09 23:00:00.5;${newer}\n2026-03-11 00:00:00;other-x.tar.gz\n`;
      expect(newestOf(listing, { ...search, notAfter: '' })).toBe(older);
      expect(newestOf(listing, search)).toBe(newer);
    },
  );

  it('says why a template cannot find the newest copy', () => {
    expect(datedSearch(pair('/b/{name}.tar.gz'), undefined)).toMatch(/has no date or time in its path/);
    expect(datedSearch(pair('/b/{name}-{A}'), undefined, 'directories')).toMatch(
      /names its mirrors by no date and time that orders them/,
    );
  });
});

describe('the newest of a listing', () => {
  const search = datedSearch(pair('/b/{name}-{Y}-{m}-{d}_{a}.tar.gz'), undefined);
  if (typeof search === 'string') throw new Error(search);
  const listing = [
    'site-2026-03-01_Sun.tar.gz',
    'site-2026-03-10_Tue.tar.gz',
    'site-2026-03-10_Mon.tar.gz',
    'site-2026-03-11_Wed.tar.gz.polyarchiv-partial',
    'site-2026-3-12_Thu.tar.gz',
    'other-2026-03-13_Fri.tar.gz',
    '',
  ].join('\n');

  it('takes the latest time, then the greatest name of that time', () => {
    expect(newestOf(listing, search)).toBe('site-2026-03-10_Tue.tar.gz');
  });

  it('takes none after notAfter, and none at all from names of another series', () => {
    expect(newestOf(listing, { ...search, notAfter: '20260309' })).toBe('site-2026-03-01_Sun.tar.gz');
    expect(newestOf(listing, { ...search, notAfter: '20260228' })).toBeUndefined();
    expect(newestOf('other-2026-03-13_Fri.tar.gz\n', search)).toBeUndefined();
  });
});
