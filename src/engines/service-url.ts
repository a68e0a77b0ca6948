import { hasControlCharacters } from '../options/control-characters.js';
import { normalizePath } from '../options/option-value.js';
import { decodeUserAndPath, urlPassword } from './url.js';

/** The schemes of servers reached by rclone: WebDAV, FTP and S3. */
export const SERVICE_SCHEMES = ['http', 'https', 'ftp', 'ftps', 's3'] as const;
export type ServiceScheme = (typeof SERVICE_SCHEMES)[number];

/**
 * A WebDAV or FTP directory (`scheme://[user[:password]@]host[:port]/path`) or an S3 object
 * (`s3://bucket/key`, path `/bucket/key`). The password stays out: it is a secret, read from the
 * URL by `urlPassword` where the secrets are gathered.
 */
export type ServiceLocation =
  | {
      readonly kind: 'webdav' | 'ftp';
      readonly scheme: Exclude<ServiceScheme, 's3'>;
      /** A host name, an IPv4 address or a bracketed IPv6 address. */
      readonly host: string;
      readonly port?: number;
      readonly user?: string;
      readonly hasPassword: boolean;
      /** Absolute, normalized, %-escapes decoded. */
      readonly path: string;
    }
  | { readonly kind: 's3'; readonly scheme: 's3'; readonly bucket: string; readonly path: string };

export type ParsedServiceLocation = ServiceLocation | { readonly kind: 'invalid'; readonly expected: string };

export function isServiceScheme(scheme: string): scheme is ServiceScheme {
  return (SERVICE_SCHEMES as readonly string[]).includes(scheme);
}

const SERVER =
  /^([a-z]+):\/\/(?:([^/]*)@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9._-]*)?(?::(\d{1,5}))?(\/.*)?$/;

/** A URL of one of SERVICE_SCHEMES (lower case), or what was expected instead. */
export function parseServiceLocation(url: string, scheme: ServiceScheme): ParsedServiceLocation {
  if (scheme === 's3') return parseS3(url);
  const expected = `${scheme}://host[:port]/path (a user name, and a password after it, may come before the host, ending with @)`;
  const match = SERVER.exec(`${scheme}${url.slice(scheme.length)}`);
  if (match === null || match[3] === undefined)
    return { kind: 'invalid', expected: `${expected}, with a host` };
  const [, , userInfo, host = '', portText, rawPath = '/'] = match;
  if (/[?#]/.test(rawPath)) return { kind: 'invalid', expected: `${expected}, with ? and # %-escaped` };
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && (port < 1 || port > 65535))
    return { kind: 'invalid', expected: `${expected}, with a port between 1 and 65535` };
  const decoded = decodeUserAndPath(userInfo, rawPath);
  if (decoded === undefined) return { kind: 'invalid', expected: `${expected}, with valid %-escapes` };
  const { user, path } = decoded;
  if (hasControlCharacters(path) || (user !== undefined && hasControlCharacters(user)))
    return { kind: 'invalid', expected: 'a URL without control characters (%-escaped or not)' };
  const hasPassword = urlPassword(url) !== undefined;
  if (hasPassword && (user === undefined || user === ''))
    return { kind: 'invalid', expected: 'a user name before the password' };
  return {
    kind: scheme === 'ftp' || scheme === 'ftps' ? 'ftp' : 'webdav',
    scheme,
    host,
    ...(port === undefined ? {} : { port }),
    ...(user === undefined || user === '' ? {} : { user }),
    hasPassword,
    path: normalizePath(path),
  };
}

/** `s3://bucket/key`: a bucket name as S3 allows it, then a key (%-escapes decoded). */
function parseS3(url: string): ParsedServiceLocation {
  const expected = 's3://bucket/key (a bucket name of 3 to 63 lower-case letters, digits, "." and "-")';
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(\/.*)?$/i.exec(url);
  if (match === null) return { kind: 'invalid', expected };
  const bucket = match[1] ?? '';
  if (bucket !== bucket.toLowerCase()) return { kind: 'invalid', expected };
  let key: string;
  try {
    key = decodeURIComponent(match[2] ?? '/');
  } catch {
    return { kind: 'invalid', expected: 'an s3:// URL with valid %-escapes' };
  }
  if (hasControlCharacters(key)) return { kind: 'invalid', expected: 'a key without control characters' };
  return { kind: 's3', scheme: 's3', bucket, path: normalizePath(`/${bucket}${key}`) };
}
