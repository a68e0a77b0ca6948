import { describe, expect, it } from 'vitest';
import type { Origin } from '../../src/diag/origin.js';
import {
  archiveEntry,
  archivesAt,
  parseEntry,
  type RecordedArchive,
  recordedArchives,
  retainSeries,
} from '../../src/engines/backup/archive-series.js';
import { timeMarked } from '../../src/engines/backup/dated-search.js';
import {
  recordedAt,
  type SeriesTarget,
  seriesTargetOf as targetOfMarked,
} from '../../src/engines/backup/series-target.js';
import type { Variables } from '../../src/options/variables.js';
import type { Policy } from '../../src/retention/retention.js';

/** The target of a `remote_url` template, as a pair with `{name}` = site fills it. */
const seriesTargetOf = (template: string, endpoint?: string) =>
  targetOfMarked(timeMarked(template, { name: 'site' }) as string, endpoint);

const ORIGIN: Origin = { file: 'roll.backup', line: 3, section: 'point', key: 'remote_url' };
const KEEP_LAST_2: Policy = { last: 2, hourly: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0 };

const DAV = seriesTargetOf('http://alice:secret@127.0.0.1:8080/roll/site-{Y}.tar.gz') as SeriesTarget;
const FTP = seriesTargetOf('ftp://bob@127.0.0.1:2121/roll/site-{Y}.tar.gz') as SeriesTarget;
const LOCAL = seriesTargetOf('/var/backups/roll/site-{Y}.tar.gz') as SeriesTarget;

/** The recorded variables of a run at `iso` (`YYYY-MM-DDTHH:MM:SS+01:00`), as its wall clock read. */
function runAt(iso: string): Variables {
  const [Y, m, d, H, M, S] = iso.split(/[-T:+]/) as [string, string, string, string, string, string];
  return {
    fqdn: 'web1.example.org',
    hostname: 'web1',
    username: 'backup',
    Y,
    m,
    d,
    H,
    M,
    S,
    z: '+0100',
    Z: 'CET',
  };
}

/** The entry a run at `iso` records for `path` at `target` (none: an entry of an earlier version). */
function entry(iso: string, path: string, target?: SeriesTarget): Variables {
  return archiveEntry(path, runAt(iso), target?.id);
}

const name = (iso: string) => `/roll/site-${iso.slice(0, 10)}.tar.gz`;

function retain(recorded: unknown[], now: string, target: SeriesTarget, policy = KEEP_LAST_2) {
  const current = parseEntry(entry(now, name(now), target)) as RecordedArchive;
  return retainSeries(recordedArchives(recorded), current, policy, {
    allowMassDelete: true,
    origin: ORIGIN,
    what: 'backup point davroll of site',
    target,
  });
}

describe('the target of a rolling series', () => {
  it('names the scheme, user, host, port and the directory before the first time variable, never a password', () => {
    expect(DAV).toEqual({ id: 'http://alice@127.0.0.1:8080/roll', kind: 'rclone', dir: '/roll' });
    expect(FTP.id).toBe('ftp://bob@127.0.0.1:2121/roll');
    expect(LOCAL).toEqual({ id: 'file:///var/backups/roll', kind: 'local', dir: '/var/backups/roll' });
    expect(seriesTargetOf('ssh://backup@NAS:22/srv/{Y}/{m}/site-{d}.tar.gz')?.id).toBe(
      'ssh://backup@nas/srv',
    );
    expect(seriesTargetOf('backup@nas:/srv/site-{Y}.tar.gz')?.id).toBe('ssh://backup@nas/srv');
    expect(seriesTargetOf('ssh://nas:2222/srv/site-{Y}.tar.gz')?.id).toBe('ssh://nas:2222/srv');
    expect(seriesTargetOf('https://dav.example.net:443/a/b/site-{Y}.tar.gz')?.id).toBe(
      'https://dav.example.net/a/b',
    );
    expect(seriesTargetOf('s3://bucket/roll/site-{Y}.tar.gz')?.id).toBe('s3://bucket/roll');
    expect(seriesTargetOf('s3://bucket/roll/site-{Y}.tar.gz', 'https://key:pw@minio:9000/')?.id).toBe(
      's3://bucket/roll at https://minio:9000',
    );
    expect(seriesTargetOf('/var/backups/{name}/{name}-{Y}.tar.gz')?.dir).toBe('/var/backups/site');
  });

  it('places an entry without a target on this host only, below the directory', () => {
    expect(recordedAt(undefined, '/var/backups/roll/site-2026.tar.gz', LOCAL)).toBe(true);
    expect(recordedAt(undefined, '/var/backups/other/site-2026.tar.gz', LOCAL)).toBe(false);
    expect(recordedAt(undefined, '/roll/site-2026.tar.gz', DAV)).toBe(false);
    expect(recordedAt(FTP.id, '/roll/site-2026.tar.gz', DAV)).toBe(false);
    expect(recordedAt(DAV.id, '/roll/site-2026.tar.gz', DAV)).toBe(true);
  });
});

describe('retention of a series whose remote_url moved to another server', () => {
  // davroll wrote three archives on the WebDAV server; remote_url now names the FTP server.
  const onDav = ['2026-12-01', '2026-12-02', '2026-12-03'].map((day) =>
    entry(`${day}T22:00:00+01:00`, name(day), DAV),
  );

  it('deletes nothing at the new server, keeps the old archives listed, with a note each and one warning', () => {
    const run = retain(onDav, '2026-12-04T22:00:00+01:00', FTP);
    expect(run.deletions).toEqual([]);
    expect((run.recorded as Variables[]).map((e) => [e.archive, e.target])).toEqual([
      ['/roll/site-2026-12-01.tar.gz', DAV.id],
      ['/roll/site-2026-12-02.tar.gz', DAV.id],
      ['/roll/site-2026-12-03.tar.gz', DAV.id],
      ['/roll/site-2026-12-04.tar.gz', FTP.id],
    ]);
    expect(run.notes).toContain(
      `leave /roll/site-2026-12-01.tar.gz: recorded at ${DAV.id}, not at ${FTP.id}: never deleted from here`,
    );
    expect(run.warnings).toEqual([
      {
        origin: ORIGIN,
        message: `backup point davroll of site: 3 archives recorded at ${DAV.id} are left where they were written: retention deletes only archives recorded at ${FTP.id}, which remote_url names; delete them there by hand if unwanted (the state keeps listing them)`,
      },
    ]);
  });

  it('applies retention to the archives of the new server alone', () => {
    const onFtp = ['2026-12-04', '2026-12-05'].map((day) => entry(`${day}T22:00:00+01:00`, name(day), FTP));
    const run = retain([...onDav, ...onFtp], '2026-12-06T22:00:00+01:00', FTP);
    expect(run.deletions.map((d) => (d as { archive: string }).archive)).toEqual([
      '/roll/site-2026-12-04.tar.gz',
    ]);
    expect((run.recorded as Variables[]).map((e) => `${e.target} ${e.archive}`)).toEqual([
      `${DAV.id} /roll/site-2026-12-01.tar.gz`,
      `${DAV.id} /roll/site-2026-12-02.tar.gz`,
      `${DAV.id} /roll/site-2026-12-03.tar.gz`,
      `${FTP.id} /roll/site-2026-12-05.tar.gz`,
      `${FTP.id} /roll/site-2026-12-06.tar.gz`,
    ]);
  });

  it('tells the same path on two servers apart: the one of the other server is never the one deleted', () => {
    // Both points wrote /roll/site-2026-12-04 at the same plan time, each on its server.
    const same = '2026-12-04T22:22:56+01:00';
    const recorded = [entry(same, name(same), DAV)];
    const moved = retain(recorded, '2026-12-05T22:00:00+01:00', FTP, { ...KEEP_LAST_2, last: 1 });
    expect(moved.deletions).toEqual([]);
    // Back on its own server, the same entry is the series' again, and retention may delete it there.
    const back = retain(recorded, '2026-12-05T22:00:00+01:00', DAV, { ...KEEP_LAST_2, last: 1 });
    expect(back.deletions).toMatchObject([{ kind: 'delete-archive', archive: name(same) }]);
  });
});

describe('entries recorded without a target', () => {
  const untargeted = (day: string, path = `/var/backups/roll/site-${day}.tar.gz`) =>
    entry(`${day}T03:00:00+01:00`, path);

  it('on a local target, below its directory: the series, deleted by retention as before', () => {
    const recorded = ['2026-01-01', '2026-01-02', '2026-01-03'].map((day) => untargeted(day));
    const current = parseEntry(
      entry('2026-01-04T03:00:00+01:00', '/var/backups/roll/site-2026-01-04.tar.gz', LOCAL),
    ) as RecordedArchive;
    const run = retainSeries(recordedArchives(recorded), current, KEEP_LAST_2, {
      allowMassDelete: true,
      origin: ORIGIN,
      what: 'w',
      target: LOCAL,
    });
    expect(run.deletions.map((d) => (d as { archive: string }).archive)).toEqual([
      '/var/backups/roll/site-2026-01-02.tar.gz',
      '/var/backups/roll/site-2026-01-01.tar.gz',
    ]);
    expect(run.warnings).toEqual([]);
    // The kept one is written back as it was recorded (no target added to it).
    expect((run.recorded as Variables[]).map((e) => e.target)).toEqual([undefined, LOCAL.id]);
  });

  it('on a local target, elsewhere on this host: left, with a note and the warning', () => {
    const recorded = [untargeted('2026-01-01', '/srv/old/site-2026-01-01.tar.gz'), untargeted('2026-01-02')];
    const current = parseEntry(
      entry('2026-01-03T03:00:00+01:00', '/var/backups/roll/site-2026-01-03.tar.gz', LOCAL),
    ) as RecordedArchive;
    const run = retainSeries(
      recordedArchives(recorded),
      current,
      { ...KEEP_LAST_2, last: 1 },
      {
        allowMassDelete: true,
        origin: ORIGIN,
        what: 'w',
        target: LOCAL,
      },
    );
    expect(run.deletions.map((d) => (d as { archive: string }).archive)).toEqual([
      '/var/backups/roll/site-2026-01-02.tar.gz',
    ]);
    expect(run.notes).toContain(
      `leave /srv/old/site-2026-01-01.tar.gz: recorded without its target (by an earlier version), so it may be on another server than ${LOCAL.id}: never deleted from here`,
    );
    expect(run.warnings).toMatchObject([
      {
        message: expect.stringContaining(
          'w: 1 archive recorded without its target is left where it was written',
        ),
      },
    ]);
    expect((run.recorded as Variables[]).map((e) => e.archive)).toEqual([
      '/srv/old/site-2026-01-01.tar.gz',
      '/var/backups/roll/site-2026-01-03.tar.gz',
    ]);
  });

  it('on a remote target: never deleted, whatever their path', () => {
    const recorded = ['2026-12-01', '2026-12-02', '2026-12-03'].map((day) =>
      entry(`${day}T22:00:00+01:00`, name(day)),
    );
    const run = retain(recorded, '2026-12-04T22:00:00+01:00', FTP, { ...KEEP_LAST_2, last: 1 });
    expect(run.deletions).toEqual([]);
    expect(run.recorded).toHaveLength(4);
    expect(run.warnings).toMatchObject([
      {
        message: expect.stringContaining(
          '3 archives recorded without their target are left where they were written: retention deletes only archives recorded at ftp://bob@127.0.0.1:2121/roll',
        ),
      },
    ]);
  });

  it('reads the original PolyArchiv entries (its variables alone, naive times): their path from remote_url', () => {
    // As the original wrote them: time and host variables, `z` and `Z` empty, no path.
    const original = (day: string): Variables => {
      const { z: _z, Z: _Z, ...rest } = runAt(`${day}T03:00:00+01:00`);
      return { ...rest, z: '', Z: '' };
    };
    const recorded = [original('2016-05-01'), original('2016-05-02'), { garbage: true }, 'text'];
    const pathOf = (v: Variables) => `/var/backups/roll/site-${v.Y}-${v.m}-${v.d}.tar.gz`;
    const parsed = recordedArchives(recorded, (e) => parseEntry(e, pathOf));
    expect(parsed.map((a) => [a.id, a.target])).toEqual([
      ['/var/backups/roll/site-2016-05-01.tar.gz', undefined],
      ['/var/backups/roll/site-2016-05-02.tar.gz', undefined],
    ]);
    // Read as this machine's time, as the original's state timestamps.
    expect(parsed[0]?.instant).toBe(new Date(2016, 4, 1, 3, 0, 0).getTime());
    // Without remote_url to name them, not read at all.
    expect(recordedArchives(recorded)).toEqual([]);

    expect(archivesAt(parsed, LOCAL).here).toHaveLength(2);
    expect(archivesAt(parsed, DAV)).toMatchObject({ here: [], elsewhere: [{}, {}] });
    const current = parseEntry(
      entry('2016-05-03T03:00:00+01:00', '/var/backups/roll/site-2016-05-03.tar.gz', LOCAL),
    ) as RecordedArchive;
    const run = retainSeries(parsed, current, KEEP_LAST_2, {
      allowMassDelete: true,
      origin: ORIGIN,
      what: 'w',
      target: LOCAL,
    });
    expect(run.deletions.map((d) => (d as { archive: string }).archive)).toEqual([
      '/var/backups/roll/site-2016-05-01.tar.gz',
    ]);
    // The original's entry is written back as the original wrote it: the original still reads it.
    expect(run.recorded[0]).toEqual(original('2016-05-02'));
  });
});
