import { hasControlCharacters } from '../../options/control-characters.js';
import { parseLocation, urlPassword } from '../url.js';

/**
 * A Subversion repository as `remote_url` names it: `url` is what svn is given, without the
 * userinfo, whose user name and password travel apart (see SvnRepositorySpec).
 */
export interface SvnRemote {
  readonly url: string;
  readonly scheme: 'file' | 'svn' | 'http' | 'https';
  readonly username?: string;
  readonly password?: string;
}

export type ParsedSvnRemote =
  | ({ readonly kind: 'remote' } & SvnRemote)
  | { readonly kind: 'unsupported'; readonly scheme: string }
  | { readonly kind: 'invalid'; readonly expected: string };

const EXPECTED =
  'file:///path, /path, svn://host[:port]/path or http(s)://host[:port]/path (with user:password@ before the host when the server asks for one)';

/** `scheme://userinfo@`: the userinfo ends at the authority's last `@`, as URL parsers read it. */
const USERINFO = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^/?#]*)@/;

export function parseSvnRemote(url: string): ParsedSvnRemote {
  if (hasControlCharacters(url)) return { kind: 'invalid', expected: 'a URL without control characters' };
  const location = parseLocation(url);
  if (location.kind === 'local')
    return {
      kind: 'remote',
      scheme: 'file',
      url: url.startsWith('/') ? `file://${encodeURI(location.path)}` : url,
    };
  if (location.kind === 'invalid') return { kind: 'invalid', expected: EXPECTED };
  const scheme = location.scheme;
  if (scheme !== 'svn' && scheme !== 'http' && scheme !== 'https') return { kind: 'unsupported', scheme };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { kind: 'invalid', expected: EXPECTED };
  }
  if (parsed.hostname === '' || parsed.search !== '' || parsed.hash !== '')
    return { kind: 'invalid', expected: `${EXPECTED}, with a host and no ?query or #fragment` };
  const userinfo = USERINFO.exec(url)?.[2];
  const password = urlPassword(url);
  let username: string | undefined;
  try {
    username = userinfo === undefined ? undefined : decodeURIComponent(userinfo.split(':')[0] ?? '');
  } catch {
    return { kind: 'invalid', expected: 'a user name with valid %-escapes' };
  }
  if (password !== undefined && (username === undefined || username === ''))
    return {
      kind: 'invalid',
      expected: `a user name before the password (${scheme}://user:password@host/path)`,
    };
  return {
    kind: 'remote',
    scheme,
    url: url.replace(USERINFO, '$1'),
    ...(username === undefined || username === '' ? {} : { username }),
    ...(password === undefined ? {} : { password }),
  };
}
