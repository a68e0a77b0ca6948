import type { BoundBackupPoint } from '../engine.js';
import { isServiceScheme, parseServiceLocation } from '../service-url.js';
import { setString } from '../toolkit.js';
import { isWithin, parseRemoteLocation } from '../url.js';
import { firstTimeMarker, timeMarkedUrl } from './dated-search.js';

/**
 * Where a series of dated archives is written, as each of its archives records it (`target` in
 * its entry): how the place is reached (the scheme, the user, the host and the port of
 * `remote_url`; an S3 bucket's `endpoint_url`) and the series' directory (the directory of
 * `remote_url` before its first time variable). Never a password. Retention deletes, and a
 * restore takes, only archives recorded at the target `remote_url` names now: a recorded path
 * names a file on the server it was written to, not on whichever server `remote_url` names later.
 */
export interface SeriesTarget {
  /**
   * `file:///var/backups/site`, `ssh://backup@nas:2222/srv/roll`, `https://alice@dav.example.net/roll`,
   * `s3://bucket/roll`, `s3://bucket/roll at https://s3.example.net:9000` (default ports left out).
   */
  readonly id: string;
  /** A path on this host, on a host reached through ssh, or on a server reached through rclone. */
  readonly kind: 'local' | 'ssh' | 'rclone';
  /** The series' directory, absolute (for S3, `/bucket/...`). */
  readonly dir: string;
}

/** The target of a rolling series: `remote_url` as every run of the pair fills it. */
export function seriesTarget(bp: BoundBackupPoint): SeriesTarget {
  const url = timeMarkedUrl(bp) ?? bp.options.string('remote_url');
  const target = seriesTargetOf(url, setString(bp.options, 'endpoint_url'));
  if (target === undefined) throw new Error('remote_url was not validated');
  return target;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { ssh: 22, http: 80, https: 443, ftp: 21, ftps: 21 };

/** The series' directory: the path before its first time variable's directory, else its directory. */
function seriesDir(path: string): string {
  const first = firstTimeMarker(path);
  const slash = path.lastIndexOf('/', first < 0 ? path.length : first);
  return slash <= 0 ? '/' : path.slice(0, slash);
}

const authority = (scheme: string, host: string, port: number | undefined, user: string | undefined) =>
  `${scheme}://${user === undefined ? '' : `${encodeURIComponent(user)}@`}${host.toLowerCase()}${
    port === undefined || port === DEFAULT_PORTS[scheme] ? '' : `:${port}`
  }`;

/**
 * The target of a `remote_url` whose time variables are left as markers (timeMarked), with the
 * `endpoint_url` of an S3 one; undefined when the URL names none.
 */
export function seriesTargetOf(url: string, endpoint?: string): SeriesTarget | undefined {
  const location = parseRemoteLocation(url);
  switch (location.kind) {
    case 'local': {
      const dir = seriesDir(location.path);
      return { id: `file://${dir}`, kind: 'local', dir };
    }
    case 'ssh': {
      const dir = seriesDir(location.path);
      return {
        id: `${authority('ssh', location.host, location.port, location.user)}${dir}`,
        kind: 'ssh',
        dir,
      };
    }
    case 'unsupported': {
      if (!isServiceScheme(location.scheme)) return undefined;
      const service = parseServiceLocation(url, location.scheme);
      if (service.kind === 'invalid') return undefined;
      const dir = seriesDir(service.path);
      if (service.kind === 's3') {
        const at = endpoint === undefined ? '' : ` at ${withoutUserInfo(endpoint).replace(/\/+$/, '')}`;
        return { id: `s3:/${dir}${at}`, kind: 'rclone', dir };
      }
      return {
        id: `${authority(service.scheme, service.host, service.port, service.user)}${dir}`,
        kind: 'rclone',
        dir,
      };
    }
    case 'invalid':
      return undefined;
  }
}

/** A URL without what may come before its host (a user, a password). */
const withoutUserInfo = (url: string): string => url.replace(/^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)[^/@]*@/, '$1');

/**
 * Whether an archive recorded at `recorded` (its entry's `target`; undefined: recorded without
 * one, by an earlier version or by the original PolyArchiv) at `path` is one of the series at
 * `target`. An entry without a target is read as its bare path says: a path on this host, so it
 * belongs only to a local target, and only below the series' directory.
 */
export function recordedAt(recorded: string | undefined, path: string, target: SeriesTarget): boolean {
  if (recorded !== undefined) return recorded === target.id;
  return target.kind === 'local' && path !== target.dir && isWithin(path, target.dir);
}
