import { hasControlCharacters } from '../../options/control-characters.js';
import { parseLocation, parseRemoteLocation, urlPassword, withoutPassword } from '../url.js';

/**
 * A git remote as `remote_url` names it. `url` is what git is given: never a password, which
 * travels apart (see GitRemoteSpec).
 */
export type GitRemote =
  | { readonly kind: 'local'; readonly path: string; readonly url: string }
  | {
      readonly kind: 'ssh';
      readonly url: string;
      readonly hasPassword: boolean;
      /** The port and user the URL names, which git hands ssh. */
      readonly port?: number;
      readonly user?: string;
    }
  | { readonly kind: 'http'; readonly url: string; readonly password?: string }
  | { readonly kind: 'git'; readonly url: string };

export type ParsedGitRemote =
  | GitRemote
  | { readonly kind: 'unsupported'; readonly scheme: string }
  | { readonly kind: 'invalid'; readonly expected: string };

const EXPECTED =
  '/path, file:///path, ssh://[user@]host[:port]/path, user@host:path, http(s)://[user[:password]@]host[:port]/path or git://host/path';

/** scp-like `[user@]host:path`: a colon before any slash (git's own rule), host and user plain words. */
const SCP_LIKE = /^(?:([A-Za-z0-9._][A-Za-z0-9._-]*)@)?([A-Za-z0-9][A-Za-z0-9._-]*|\[[0-9A-Fa-f:.]+\]):(.+)$/;

export function parseGitRemote(url: string): ParsedGitRemote {
  if (hasControlCharacters(url)) return { kind: 'invalid', expected: 'a URL without control characters' };
  const location = parseLocation(url);
  if (location.kind === 'local') return { kind: 'local', path: location.path, url: location.path };
  if (location.kind === 'invalid') {
    // A word before a colon that parseLocation read as a scheme may be scp-like `host:path`.
    const scp = SCP_LIKE.exec(url);
    return scp === null ? { kind: 'invalid', expected: EXPECTED } : scpLike(url, scp[1], scp[3] ?? '');
  }
  switch (location.scheme) {
    case 'ssh': {
      const ssh = parseRemoteLocation(url);
      if (ssh.kind !== 'ssh') return ssh.kind === 'invalid' ? ssh : { kind: 'invalid', expected: EXPECTED };
      return {
        kind: 'ssh',
        url: withoutPassword(url),
        hasPassword: ssh.hasPassword,
        ...(ssh.port === undefined ? {} : { port: ssh.port }),
        ...(ssh.user === undefined ? {} : { user: ssh.user }),
      };
    }
    case 'http':
    case 'https':
      return httpRemote(url);
    case 'git':
      return /^git:\/\/[A-Za-z0-9[][^/]*\/./.test(url)
        ? { kind: 'git', url }
        : { kind: 'invalid', expected: 'git://host[:port]/path' };
    default: {
      const scp = SCP_LIKE.exec(url);
      if (scp !== null && !url.includes('://')) return scpLike(url, scp[1], scp[3] ?? '');
      return { kind: 'unsupported', scheme: location.scheme };
    }
  }
}

function scpLike(url: string, user: string | undefined, path: string): ParsedGitRemote {
  // git reads `host:-path` as it is, but ssh would read a leading dash of the host as an option.
  if (path.startsWith('-')) return { kind: 'invalid', expected: 'a path that does not start with "-"' };
  return { kind: 'ssh', url, hasPassword: false, ...(user === undefined ? {} : { user }) };
}

function httpRemote(url: string): ParsedGitRemote {
  const expected = 'http(s)://[user[:password]@]host[:port]/path';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { kind: 'invalid', expected };
  }
  if (parsed.hostname === '' || parsed.pathname === '/' || parsed.search !== '' || parsed.hash !== '')
    return { kind: 'invalid', expected: `${expected}, with a path and no ?query or #fragment` };
  const password = urlPassword(url);
  if (password !== undefined && parsed.username === '')
    return { kind: 'invalid', expected: 'a user name before the password (http://user:password@host/path)' };
  return { kind: 'http', url: withoutPassword(url), ...(password === undefined ? {} : { password }) };
}
