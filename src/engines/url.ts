import { hasControlCharacters } from '../options/control-characters.js';
import { normalizePath } from '../options/option-value.js';

export type ParsedLocation =
  | { readonly kind: 'local'; readonly path: string }
  | { readonly kind: 'unsupported'; readonly scheme: string }
  | { readonly kind: 'invalid'; readonly expected: string };

/** `file:///abs/path` or a bare `/abs/path`. Other transports are recognised by scheme. */
export function parseLocation(url: string): ParsedLocation {
  if (url.startsWith('/')) return { kind: 'local', path: normalizePath(url) };
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'file') {
    const rest = url.slice('file://'.length);
    if (!url.startsWith('file://') || !rest.startsWith('/')) {
      return { kind: 'invalid', expected: 'file:///absolute/path (three slashes: no host part)' };
    }
    let path: string;
    try {
      path = decodeURIComponent(rest);
    } catch {
      return { kind: 'invalid', expected: 'a file:// URL with valid %-escapes' };
    }
    if (hasControlCharacters(path)) {
      return { kind: 'invalid', expected: 'a path without control characters (%-escaped or not)' };
    }
    return { kind: 'local', path: normalizePath(path) };
  }
  if (scheme !== undefined) return { kind: 'unsupported', scheme };
  return { kind: 'invalid', expected: 'file:///absolute/path or /absolute/path' };
}

/** True when `inner` is `outer` or below it. */
export function isWithin(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(outer === '/' ? '/' : `${outer}/`);
}

/** A directory reached through ssh: `ssh://[user[:password]@]host[:port]/path`. */
export interface SshLocation {
  readonly kind: 'ssh';
  /** A host name, an IPv4 address or a bracketed IPv6 address (`[::1]`), as rsync wants it. */
  readonly host: string;
  readonly user?: string;
  readonly port?: number;
  /** Absolute and normalized. */
  readonly path: string;
  /** The original ignored a password in ssh:// URLs; callers warn about it. */
  readonly hasPassword: boolean;
}

export type ParsedRemoteLocation = ParsedLocation | SshLocation;

/**
 * Like parseLocation, and also understands ssh:// (synchronize keeps using parseLocation, which
 * reports ssh:// as unsupported). Host and user must not look like options, because ssh receives
 * them as words of its own.
 */
export function parseRemoteLocation(url: string): ParsedRemoteLocation {
  const scpLike = /^([A-Za-z0-9._][A-Za-z0-9._-]*)@([^/:@]+|\[[0-9A-Fa-f:.]+\]):(.*)$/.exec(url);
  if (scpLike !== null) return parseScpLike(scpLike[1] ?? '', scpLike[2] ?? '', scpLike[3] ?? '');
  const local = parseLocation(url);
  if (local.kind !== 'unsupported' || local.scheme !== 'ssh') return local;
  const expected = 'ssh://[user@]host[:port]/absolute/path';
  const match =
    /^ssh:\/\/(?:([^@/]*)@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9._-]*)(?::(\d{1,5}))?(\/.*)$/.exec(url);
  if (match === null) return { kind: 'invalid', expected };
  const [, userInfo, host = '', portText, rawPath = ''] = match;
  const decoded = decodeUserAndPath(userInfo, rawPath);
  if (decoded === undefined) return { kind: 'invalid', expected: 'an ssh:// URL with valid %-escapes' };
  const { user, path } = decoded;
  if (user !== undefined && !/^[A-Za-z0-9._][A-Za-z0-9._-]*$/.test(user)) {
    return { kind: 'invalid', expected: `${expected}, with a user name of letters, digits, ".", "_" or "-"` };
  }
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && (port < 1 || port > 65535)) {
    return { kind: 'invalid', expected: `${expected}, with a port between 1 and 65535` };
  }
  if (hasControlCharacters(path)) {
    return { kind: 'invalid', expected: 'a path without control characters (%-escaped or not)' };
  }
  return {
    kind: 'ssh',
    host,
    ...(user === undefined || user === '' ? {} : { user }),
    ...(port === undefined ? {} : { port }),
    path: normalizePath(path),
    hasPassword: userInfo?.includes(':') ?? false,
  };
}

/**
 * scp's `user@host:/path`: the path is taken literally (no %-escapes) and must be absolute, as
 * every path polyarchiv records is.
 */
function parseScpLike(user: string, host: string, path: string): ParsedRemoteLocation {
  const expected = 'user@host:/absolute/path (or ssh://[user@]host[:port]/absolute/path)';
  if (!/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9._-]*)$/.test(host) || !path.startsWith('/')) {
    return { kind: 'invalid', expected };
  }
  if (hasControlCharacters(path)) {
    return { kind: 'invalid', expected: 'a path without control characters' };
  }
  return { kind: 'ssh', host, user, path: normalizePath(path), hasPassword: false };
}

/**
 * `scheme://user:password@...`, also after restic's `rest:`: the userinfo's password part, still
 * %-encoded. The userinfo ends at the authority's last `@` and the password starts at its first
 * `:`, as URL parsers read it: an unescaped `@` before the `:` belongs to the user name (an e-mail
 * address as login, `https://me@example.org:password@dav.example.org/`), one after it to the
 * password.
 */
const URL_PASSWORD = /^((?:rest:)?[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#:]*):([^/?#]*)@/;

/** The password of a URL's userinfo as the URL writes it (%-escapes kept); undefined when none. */
export function urlPasswordAsWritten(url: string): string | undefined {
  const encoded = URL_PASSWORD.exec(url)?.[2];
  return encoded === '' ? undefined : encoded;
}

/** The password of a URL's userinfo (`scheme://user:password@host/...`), %-decoded; undefined when none. */
export function urlPassword(url: string): string | undefined {
  const encoded = urlPasswordAsWritten(url);
  if (encoded === undefined) return undefined;
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}

/** A URL cut around its password: what comes before it (`scheme://user:`) and after it (`@host/...`). */
export function aroundPassword(url: string): { readonly before: string; readonly after: string } | undefined {
  const match = URL_PASSWORD.exec(url);
  if (match === null || match[2] === '') return undefined;
  return { before: `${match[1]}:`, after: url.slice(match[0].length - 1) };
}

/**
 * The URL without the password of its userinfo. The user name stays, its `@` %-escaped: git reads
 * the userinfo up to the first `@`, where other URL parsers read up to the last.
 */
export function withoutPassword(url: string): string {
  const match = URL_PASSWORD.exec(url);
  if (match === null) return url;
  const before = match[1] ?? '';
  const authority = before.indexOf('://') + 3;
  const user = before.slice(authority).replaceAll('@', '%40');
  return `${before.slice(0, authority)}${user}@${url.slice(match[0].length)}`;
}

/** A URL's user name (its user info before any `:password`) and path, %-escapes decoded; undefined when one is malformed. */
export function decodeUserAndPath(
  userInfo: string | undefined,
  rawPath: string,
): { readonly user: string | undefined; readonly path: string } | undefined {
  try {
    return {
      user: userInfo === undefined ? undefined : decodeURIComponent(userInfo.split(':')[0] ?? ''),
      path: decodeURIComponent(rawPath),
    };
  } catch {
    return undefined;
  }
}
