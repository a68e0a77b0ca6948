import { describe, expect, it } from 'vitest';
import { parseGitRemote } from '../../src/engines/backup/git-remote.js';
import { secretValues } from '../../src/engines/secrets.js';
import { loadConfiguration } from '../../src/pipeline.js';
import { diagnose, errorsOf, PINNED_HOST, PINNED_NOW } from '../helpers/diagnose.js';
import { makeSandbox } from '../helpers/sandbox.js';

const GIT_CP = '[point]\nengine=git\nlocal_path=/srv/cp\n';
const git = (lines: string) => ({ 'site.collect': GIT_CP, 'm.backup': `[point]\nengine=git\n${lines}` });

describe('remote_url of a git backup point', () => {
  it('reads paths, file://, ssh://, scp-like, http(s):// and git:// remotes; a password never stays in the URL', () => {
    expect(parseGitRemote('/srv/git/site.git')).toEqual({
      kind: 'local',
      path: '/srv/git/site.git',
      url: '/srv/git/site.git',
    });
    expect(parseGitRemote('file:///srv/git/a%20b.git')).toEqual({
      kind: 'local',
      path: '/srv/git/a b.git',
      url: '/srv/git/a b.git',
    });
    expect(parseGitRemote('ssh://git@host.example:2222/srv/site.git')).toEqual({
      kind: 'ssh',
      url: 'ssh://git@host.example:2222/srv/site.git',
      hasPassword: false,
      port: 2222,
      user: 'git',
    });
    expect(parseGitRemote('ssh://git:pw@host/srv/site.git')).toEqual({
      kind: 'ssh',
      url: 'ssh://git@host/srv/site.git',
      hasPassword: true,
      user: 'git',
    });
    expect(parseGitRemote('git@host.example:backups/site.git')).toEqual({
      kind: 'ssh',
      url: 'git@host.example:backups/site.git',
      hasPassword: false,
      user: 'git',
    });
    expect(parseGitRemote('host:backups/site.git')).toMatchObject({ kind: 'ssh' });
    expect(parseGitRemote('https://bob:p%40ss%3Aword@git.example:8443/prefix/site.git')).toEqual({
      kind: 'http',
      url: 'https://bob@git.example:8443/prefix/site.git',
      password: 'p@ss:word',
    });
    // An unescaped @ belongs to the password, as URL parsers read it: none of it stays in the URL.
    expect(parseGitRemote('https://bob:p@ss@git.example/site.git')).toEqual({
      kind: 'http',
      url: 'https://bob@git.example/site.git',
      password: 'p@ss',
    });
    // An e-mail address as login: the @ before the first : belongs to the user name, which git,
    // reading the userinfo up to the first @, gets %-escaped.
    expect(parseGitRemote('https://me@example.org:s3cr3t@git.example/site.git')).toEqual({
      kind: 'http',
      url: 'https://me%40example.org@git.example/site.git',
      password: 's3cr3t',
    });
    expect(parseGitRemote('http://git.example/site.git')).toEqual({
      kind: 'http',
      url: 'http://git.example/site.git',
    });
    expect(parseGitRemote('git://git.example/site.git')).toEqual({
      kind: 'git',
      url: 'git://git.example/site.git',
    });
    expect(parseGitRemote('ftp://git.example/site.git')).toEqual({ kind: 'unsupported', scheme: 'ftp' });
    expect(parseGitRemote('host:-oProxyCommand=x')).toMatchObject({ kind: 'invalid' });
    expect(parseGitRemote('relative/path.git')).toMatchObject({ kind: 'invalid' });
    expect(parseGitRemote('https://:pw@git.example/site.git')).toMatchObject({ kind: 'invalid' });
  });

  it('refuses an unsupported scheme or a malformed URL at its line, with the password masked', () => {
    expect(errorsOf(git('remote_url=ftp://h/{name}.git\n'))).toEqual([
      "error: remote_url 'ftp://h/site.git': ftp:// is not available for git (use a local path, file://, ssh://, user@host:path, http(s):// or git://)\n  at m.backup:3 [point]",
    ]);
    expect(errorsOf(git('remote_url=https://bob:hunter2@h/?x\n'))).toEqual([
      "error: bad value for option 'remote_url': 'https://bob:***@h/?x' (expected http(s)://[user[:password]@]host[:port]/path, with a path and no ?query or #fragment)\n  at m.backup:3 [point]",
    ]);
  });

  it('refuses a branch name git would refuse or read as an option', () => {
    for (const branch of ['-f', 'a..b', 'a/', 'a.lock', 'a b', 'x@{{1}}']) {
      expect(errorsOf(git(`remote_url=/b/{name}.git\nremote_branch=${branch}\n`)), branch).toEqual([
        `error: bad value for option 'remote_branch': '${branch.replace('{{', '{').replace('}}', '}')}' (expected a branch name such as master or backups/{name}: letters, digits, ".", "_", "-" and "/")\n  at m.backup:4 [point]`,
      ]);
    }
    expect(errorsOf(git('remote_url=/b/all.git\nremote_branch=backups/{name}\n'))).toEqual([]);
  });

  it('warns that ssh options have no effect on a remote that is not reached through ssh', () => {
    expect(diagnose(git('remote_url=/b/{name}.git\nssh_options=-p 22\n'))).toEqual([
      "warning: option 'ssh_options' has no effect: remote_url is not an ssh remote\n  at m.backup:4 [point]",
    ]);
  });
});

describe('what a git backup point may be bound to', () => {
  it('refuses a collect point without history, at the backup point, naming both', () => {
    expect(
      errorsOf({
        'site.collect': '[point]\nengine=files\nlocal_path=/srv/cp\n',
        'm.backup': '[point]\nengine=git\nremote_url=/b/{name}.git\n',
      }),
    ).toEqual([
      'error: backup point "m" pushes the history of a git collect point, and collect point "site" (engine files) has none (set engine = git in site.collect, or keep "site" away from this backup point with included_collect_point_tags or excluded_collect_point_tags)\n  at m.backup:1 [point]',
    ]);
  });

  it('refuses a source of a git collect point that writes into .git', () => {
    for (const path of ['.git', './.git/hooks', '.git/objects/x']) {
      const files = {
        'site.collect': `${GIT_CP}[source "d"]\nengine=local_files\nsource_path=/srv/d\ndestination_path=${path}\n`,
      };
      const shown = path.replace(/^\.\//, '');
      expect(errorsOf(files), path).toEqual([
        `error: destination_path '${shown}' of source "d" is inside .git, which the git collect point keeps for itself (choose another sub-directory of the collect point)\n  at site.collect:7 [source "d"]`,
      ]);
    }
    expect(
      errorsOf({
        'site.collect': `${GIT_CP}[source "d"]\nengine=local_files\nsource_path=/srv/d\ndestination_path=.github\n`,
      }),
    ).toEqual([]);
  });

  it('refuses a source that writes the manifest of modes and owners, in git and subversion collect points', () => {
    const points = {
      git: GIT_CP,
      subversion: '[point]\nengine=subversion\nlocal_path=/srv/cp\nremote_url=file:///srv/repo\n',
    };
    for (const [engine, point] of Object.entries(points)) {
      // The line of destination_path, which the error names.
      const line = point.split('\n').length + 3;
      expect(
        errorsOf({
          'site.collect': `${point}[source "d"]\nengine=local_files\nsource_path=/srv/d\ndestination_path=.polyarchiv-modes\n`,
        }),
        engine,
      ).toEqual([
        `error: destination_path '.polyarchiv-modes' of source "d" is inside .polyarchiv-modes, which the ${engine} collect point keeps for itself (choose another sub-directory of the collect point)\n  at site.collect:${line} [source "d"]`,
      ]);
    }
  });
});

describe('collect points sharing one repository', () => {
  const two = (backup: string) => ({
    'a.collect': '[point]\nengine=git\nlocal_path=/srv/a\n',
    'b.collect': '[point]\nengine=git\nlocal_path=/srv/b\n',
    'up.backup': `[point]\nengine=git\n${backup}`,
  });

  it('accept one repository with a branch each', () => {
    expect(errorsOf(two('remote_url=/b/all.git\nremote_branch=backups/{name}\n'))).toEqual([]);
  });

  it('refuse one branch of one repository for two collect points, at remote_url', () => {
    expect(errorsOf(two('remote_url=/b/all.git\n'))).toEqual([
      "error: backup point up of b writes /b/all.git, branch master, as backup point up of a does: each run would replace the other's (put {name} in remote_url or in remote_branch so that each collect point gets its own)\n  at up.backup:3 [point]",
    ]);
  });

  it('refuse a repository inside a collect point', () => {
    expect(errorsOf(two('remote_url=/srv/a/{name}.git\n'))).toEqual([
      'error: remote_url of backup point up (/srv/a/a.git) overlaps collect point a (/srv/a) (a backup must live outside every collect point)\n  at up.backup:3 [point]',
      'error: remote_url of backup point up (/srv/a/b.git) overlaps collect point a (/srv/a) (a backup must live outside every collect point)\n  at up.backup:3 [point]',
    ]);
  });
});

describe('the password of an http(s) remote', () => {
  it('is a secret of the pair, named after the backup point, the collect point and the option', () => {
    const box = makeSandbox();
    try {
      box.write(git('remote_url=https://bob:s3cr%24t@git.example/{name}.git\n'));
      const { config, diagnostics } = loadConfiguration(box.root, PINNED_NOW, PINNED_HOST);
      expect(diagnostics.errors).toEqual([]);
      expect([...secretValues(config)]).toEqual([['POLYARCHIV_SECRET_M_SITE_REMOTE_URL_PASSWORD', 's3cr$t']]);
    } finally {
      box.remove();
    }
  });
});
