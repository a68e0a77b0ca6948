import { describe, expect, it } from 'vitest';
import { loginSettings } from '../../src/engines/ssh-login-conflicts.js';
import { errorsOf } from '../helpers/diagnose.js';
import { CP, mirror, SITE } from './malformed-cases.js';

const HINT = (what: string) =>
  `(ssh would use only one of them: name the ${what} in one place, or give both the same value)`;
const rolling = (lines: string) => ({
  ...SITE,
  'm.backup': `[point]\nengine=rolling_archive\n${lines}`,
});
const files = (lines: string) => ({
  'site.collect': `${CP}[source "r"]\nengine=remote_files\ndestination_path=r\n${lines}`,
});
const vault = (lines: string) => ({
  ...SITE,
  'vault.backup': `[point]\nengine=restic\npassword=p\n${lines}`,
});
const git = (lines: string) => ({
  'site.collect': '[point]\nengine=git\nlocal_path=/srv/cp\n',
  'm.backup': `[point]\nengine=git\n${lines}`,
});
const gitlab = (lines: string) => ({
  'site.collect': '[point]\nengine=git\nlocal_path=/srv/cp\n',
  'm.backup': `[point]\nengine=gitlab\ngitlab_url=https://gitlab.example.org\nproject_name=b/{name}\napi_key=t\nprivate_key=/k\n${lines}`,
});

describe('a port or user in ssh_options beside a URL that names its own', () => {
  it("reads ssh's forms of port and user, as its getopt and its config parser do", () => {
    const words = [
      '-p',
      '1',
      '-p2',
      '-l',
      'a',
      '-lb',
      '-o',
      'Port=3',
      '-oport=4',
      '-o',
      'User c',
      '-CqoUSER = d',
    ];
    expect(loginSettings(words).map((s) => `${s.what}=${s.value} <${s.written}>`)).toEqual([
      'port=1 <-p 1>',
      'port=2 <-p2>',
      'user=a <-l a>',
      'user=b <-lb>',
      'port=3 <-o Port=3>',
      'port=4 <-oport=4>',
      'user=c <-o User c>',
      'user=d <-CqoUSER = d>',
    ]);
    // An argument is never read as an option: `-i -p` names a key file called "-p".
    expect(loginSettings(['-i', '-p', '-o', 'Compression=yes', '-v'])).toEqual([]);
  });

  it('refuses a contradiction in a mirror, naming both lines', () => {
    expect(
      errorsOf(mirror('remote_url=ssh://alice@host:2200/b/{name}\nssh_options=-p 2222 -l bob\n')),
    ).toEqual([
      `error: option 'ssh_options' sets port '2222' ('-p 2222'), but remote_url (mirror.backup:3 [point]) names port '2200' ${HINT('port')}\n  at mirror.backup:4 [point]`,
      `error: option 'ssh_options' sets user 'bob' ('-l bob'), but remote_url (mirror.backup:3 [point]) names user 'alice' ${HINT('user')}\n  at mirror.backup:4 [point]`,
    ]);
    expect(errorsOf(mirror('remote_url=alice@host:/b/{name}\nssh_options=-oUser=bob\n'))).toEqual([
      `error: option 'ssh_options' sets user 'bob' ('-oUser=bob'), but remote_url (mirror.backup:3 [point]) names user 'alice' ${HINT('user')}\n  at mirror.backup:4 [point]`,
    ]);
  });

  it('accepts the same value in both places, and a port or user the URL leaves out', () => {
    expect(
      errorsOf(mirror('remote_url=ssh://alice@host:2222/b/{name}\nssh_options=-p 02222 -o User=alice\n')),
    ).toEqual([]);
    expect(errorsOf(mirror('remote_url=ssh://host/b/{name}\nssh_options=-p 2222 -l bob\n'))).toEqual([]);
  });

  it('refuses it in archives, remote_files sources and metadata_url', () => {
    expect(
      errorsOf(rolling('remote_url=ssh://host:2200/b/{name}-{Y}.tar.gz\nssh_options=-o Port=22\n')),
    ).toEqual([
      `error: option 'ssh_options' sets port '22' ('-o Port=22'), but remote_url (m.backup:3 [point]) names port '2200' ${HINT('port')}\n  at m.backup:4 [point]`,
    ]);
    expect(errorsOf(files('source_url=alice@host:/srv/www\nssh_options=-l bob\n'))).toEqual([
      `error: option 'ssh_options' sets user 'bob' ('-l bob'), but source_url (site.collect:7 [source "r"]) names user 'alice' ${HINT('user')}\n  at site.collect:8 [source "r"]`,
    ]);
    expect(
      errorsOf(
        mirror('remote_url=/b/{name}\nmetadata_url=ssh://host:2200/m/{name}\nmetadata_ssh_options=-p 2201\n'),
      ),
    ).toEqual([
      `error: option 'metadata_ssh_options' sets port '2201' ('-p 2201'), but metadata_url (mirror.backup:4 [point]) names port '2200' ${HINT('port')}\n  at mirror.backup:5 [point]`,
    ]);
  });

  it('refuses it in restic sftp repositories, git and GitLab remotes', () => {
    expect(errorsOf(vault('remote_url=sftp://alice@host:2200//r/{name}\nssh_options=-p2201\n'))).toEqual([
      `error: option 'ssh_options' sets port '2201' ('-p2201'), but remote_url (vault.backup:4 [point]) names port '2200' ${HINT('port')}\n  at vault.backup:5 [point]`,
    ]);
    expect(errorsOf(vault('remote_url=sftp:alice@host:/r/{name}\nssh_options=-l alice\n'))).toEqual([]);
    expect(errorsOf(git('remote_url=git@host:b/{name}.git\nssh_options=-o "User bob"\n'))).toEqual([
      `error: option 'ssh_options' sets user 'bob' ('-o User bob'), but remote_url (m.backup:3 [point]) names user 'git' ${HINT('user')}\n  at m.backup:4 [point]`,
    ]);
    expect(errorsOf(git('remote_url=ssh://host:2200/b/{name}.git\nssh_options=-p 2201\n'))).toEqual([
      `error: option 'ssh_options' sets port '2201' ('-p 2201'), but remote_url (m.backup:3 [point]) names port '2200' ${HINT('port')}\n  at m.backup:4 [point]`,
    ]);
    expect(errorsOf(gitlab('ssh_options=-l bob\n'))).toEqual([
      `error: option 'ssh_options' sets user 'bob' ('-l bob'), but the ssh URL made from gitlab_url (m.backup:3 [point]) names user 'git' ${HINT('user')}\n  at m.backup:7 [point]`,
    ]);
    expect(errorsOf(gitlab('username=bob\nssh_options=-l bob -p 2222\n'))).toEqual([]);
  });
});
