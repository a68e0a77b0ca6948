import { describe, expect, it } from 'vitest';
import { hideUrlPasswords } from '../../src/diag/hide-url-passwords.js';

describe('hideUrlPasswords', () => {
  it.each([
    ["remote_url 'http://alice:pw@host/dav': no", "remote_url 'http://alice:***@host/dav': no"],
    ['ftps://bob:p:w@host:21/x', 'ftps://bob:***@host:21/x'],
    ['https://carol:p@ss@host', 'https://carol:***@host'],
    ['ssh://:only-pw@host/x', 'ssh://:***@host/x'],
    ['s3://key:secret@bucket?x=1', 's3://key:***@bucket?x=1'],
    ['a http://u:1@h and b ftp://v:2@k/p', 'a http://u:***@h and b ftp://v:***@k/p'],
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
  ])('leaves %s alone: it holds no password', (text) => {
    expect(hideUrlPasswords(text)).toBe(text);
  });
});
