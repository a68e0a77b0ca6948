import { describe, expect, it } from 'vitest';
import { hideUrlPasswords, urlPasswordProblem } from '../../src/diag/hide-url-passwords.js';

describe('hideUrlPasswords', () => {
  it.each([
    ["remote_url 'http://alice:pw@host/dav': no", "remote_url 'http://alice:***@host/dav': no"],
    ['ftps://bob:p:w@host:21/x', 'ftps://bob:***@host:21/x'],
    ['https://carol:p@ss@host', 'https://carol:***@host'],
    ['ssh://:only-pw@host/x', 'ssh://:***@host/x'],
    ['s3://key:secret@bucket?x=1', 's3://key:***@bucket?x=1'],
    ['a http://u:1@h and b ftp://v:2@k/p', 'a http://u:***@h and b ftp://v:***@k/p'],
    // Whatever the password holds, from `scheme://user:` to the last `@`.
    ['https://bob:pass/word@dav.example.org/x', 'https://bob:***@dav.example.org/x'],
    ['https://bob:pa ss@dav.example.org/x', 'https://bob:***@dav.example.org/x'],
    ['https://bob:ab?cd@dav.example.org/x', 'https://bob:***@dav.example.org/x'],
    ['https://bob:ab#cd@dav.example.org/x', 'https://bob:***@dav.example.org/x'],
    [
      "'https://bob:it's@host/x' (= 'https://bob:it's@host/y')",
      "'https://bob:***@host/x' (= 'https://bob:***@host/y')",
    ],
    ['ftp://bob:a"b`c$d;e\\f@host/x', 'ftp://bob:***@host/x'],
    ['rest:https://bob:p@ss:w0rd/?#@host/repo', 'rest:https://bob:***@host/repo'],
    ['https://bob:%ZZ@host/x', 'https://bob:***@host/x'],
    ['https://bob:{Xk9mP2qL}@host/x', 'https://bob:***@host/x'],
    // An e-mail address as login.
    ['https://me@example.org:s3cr3t@dav.example.org/x', 'https://me@example.org:***@dav.example.org/x'],
    ['rest:https://me@example.org:p@ss@host/repo', 'rest:https://me@example.org:***@host/repo'],
    ["remote_url 'https://us er:s3cr3t@host/x' is", "remote_url 'https://us er:***@host/x' is"],
  ])('hides the password of %s', (text, hidden) => {
    expect(hideUrlPasswords(text)).toBe(hidden);
  });

  it.each([
    'http://alice@host/dav',
    'ssh://host:2222/srv',
    'user@host:/srv/path',
    '/var/backups/site',
    'file:///var/backups/a:b@c',
    'mailto:root@example.org',
    'https://me@example.org@host/x',
    'https://me@host:8443/files/',
    "remote_url 'https://host' (expected a URL: e.g. https://me@host/)",
    'expected https://host[:port]/path (a user name, and a password after it, may come before the host, ending with @)',
    'Get "https://127.0.0.1:8443/x": dial tcp: refused\nby root@host',
  ])('leaves %s alone: it holds no password', (text) => {
    expect(hideUrlPasswords(text)).toBe(text);
  });
});

describe('urlPasswordProblem', () => {
  it.each([
    'https://bob:pass/word@dav.example.org/x',
    'ftp://bob:ab?cd@host/x',
    'https://bob:ab#cd@host/x',
    'rest:https://bob:a/b@host/repo',
    'https://bob:p@ss/x@host/',
    'https://me@example.org:pass/word@host/x',
  ])('finds the password of %s cut short', (url) => {
    expect(urlPasswordProblem(url)).toBe('cut-short');
  });

  it.each([
    'https://bob:pa%2Fss@host/x',
    'https://bob:p@ss:w0rd@host/x',
    'https://bob:pa ss@host/x',
    // A port, then a path that holds an @: no password.
    'https://dav.example.org:8443/files/me@example.org/',
    'https://me@dav.example.org:8443/files/me@example.org/',
    'https://me@example.org:s3cr3t@host/x',
    'https://host/x?a=b:c@d',
    'ssh://host:2222/srv',
    '/var/backups',
  ])('finds nothing wrong with %s', (url) => {
    expect(urlPasswordProblem(url)).toBeUndefined();
  });
});
