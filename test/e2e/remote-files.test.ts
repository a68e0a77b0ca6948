import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backupThrough, runCli } from '../helpers/cli.js';
import { ODD_FILES, writeTree } from '../helpers/odd-files.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { serverPerSuite } from '../helpers/server-per-suite.js';
import { remoteFilesSite } from '../helpers/service-targets.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents, maskTimestamps, snapshotTree } from '../helpers/tree.js';
import { haveSshd, startSshd } from '../servers/sshd.js';

const canRun = haveSshd() && haveTools('flock', 'bash', 'sha256sum');

/** The remote directory itself has a hostile name: spaces, quotes, $, unicode, a leading dash. */
const REMOTE_DIR = `remote/-it's a "$HOME" dir ünï`;

/** snapshotTree, with each state file's text in place of its digest: it records {root}, which differs. */
function comparableTree(box: Sandbox, dir: string): Record<string, string> {
  const tree = snapshotTree(box.path(dir));
  for (const key of Object.keys(tree).filter((k) => k.endsWith('.json'))) {
    tree[key] = maskTimestamps(readFileSync(box.path(dir, key), 'utf8').replaceAll(box.root, '<root>'));
  }
  return tree;
}

describe.runIf(canRun)('remote_files against a real sshd', () => {
  const sshd = serverPerSuite(startSshd);
  let box: Sandbox;
  let args: string[];
  let remote: string;

  /** site pulls over ssh; other (a local_files point) shows that a failing point stops nothing else. */
  function configure(key = sshd().clientKey, more: readonly string[] = []): void {
    // {root} is the sandbox: the same configuration serves the parity twin.
    const url = `ssh://root@127.0.0.1:${sshd().port}{root}/${encodeURI(REMOTE_DIR)}`;
    box.write({
      'config/site.collect': remoteFilesSite([
        `source_url = ${url}`,
        `private_key = ${key}`,
        `ssh_options = ${sshd().sshOptions}`,
        ...more,
      ]),
      'config/other.collect':
        '[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "local"]\nengine = local_files\nsource_path = {root}/local\ndestination_path = local\n',
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = file://{root}/mirror/{name}\n',
      'local/a.txt': 'a\n',
    });
  }

  beforeEach(() => {
    box = makeSandbox('polyarchiv-remote-files-');
    remote = box.path(REMOTE_DIR);
    writeTree(remote, ODD_FILES);
    configure();
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
  });
  afterEach(() => box.remove());

  it('pulls a tree with odd names and pushes it back byte for byte after the remote is wiped', () => {
    const backup = runCli(['backup', ...args]);
    expect(backup.code, backup.stderr).toBe(0);
    const expected = fileContents(remote);
    expect(fileContents(box.path('collect/site/backups/web'))).toEqual(expected);

    rmSync(box.path('remote'), { recursive: true });
    const restore = runCli(['restore', '--yes', '--only-collect-points', 'site', ...args]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(fileContents(remote)).toEqual(expected);
  });

  it('says which entries of the remote tree it leaves out for their reserved name', () => {
    writeTree(remote, { 'deep/.~polyarchiv~/kept': 'k\n', '.~polyarchiv~': 'a file\n' });
    const backup = runCli(['backup', ...args]);
    expect(backup.code, backup.stderr).toBe(0);
    const warned = backup.stderr
      .split('\n')
      .filter((line) => line.includes('leaves out'))
      .sort();
    expect(warned).toEqual([
      'polyarchiv:   warning: the copy of source "web" leaves out directory deep/.~polyarchiv~: copies hold their updates in directories of that name; rename it to have it backed up, or delete it if an interrupted restore left it',
      'polyarchiv:   warning: the copy of source "web" leaves out file .~polyarchiv~: copies hold their updates in directories of that name; rename it to have it backed up, or delete it if an interrupted restore left it',
    ]);
    expect(existsSync(box.path('collect/site/backups/web/deep'))).toBe(true);
    expect(existsSync(box.path('collect/site/backups/web/deep/.~polyarchiv~'))).toBe(false);
  });

  it('deletes on restore the remote files that the copy does not hold', () => {
    expect(runCli(['backup', ...args]).code).toBe(0);
    writeFileSync(`${remote}/added after the backup.txt`, 'extra\n');
    const restore = runCli(['restore', '--yes', '--only-collect-points', 'site', ...args]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(existsSync(`${remote}/added after the backup.txt`)).toBe(false);
    expect(fileContents(remote)).toEqual(fileContents(box.path('collect/site/backups/web')));
  });

  it.each(['apply', 'script'] as const)(
    'keeps hard links with preserve_hard_links, on backup and on restore, through %s',
    async (how) => {
      writeTree(remote, { 'linked/one': 'shared\n' });
      linkSync(`${remote}/linked/one`, `${remote}/linked/two`);
      configure(sshd().clientKey, ['preserve_hard_links = yes']);
      const backup = await backupThrough(how, box.path('backup.sh'), [
        ...args,
        '--only-collect-points',
        'site',
      ]);
      expect(backup.code, backup.stderr).toBe(0);
      const copy = box.path('collect/site/backups/web/linked');
      expect(statSync(`${copy}/one`).ino).toBe(statSync(`${copy}/two`).ino);

      rmSync(box.path('remote'), { recursive: true });
      const restoreArgs = ['--only-collect-points', 'site', ...args];
      if (how === 'apply') {
        const restore = runCli(['restore', '--yes', ...restoreArgs]);
        expect(restore.code, restore.stderr).toBe(0);
      } else {
        const plan = runCli(['plan', '--restore', ...restoreArgs]);
        expect(plan.code, plan.stderr).toBe(0);
        writeFileSync(box.path('restore.sh'), plan.stdout);
        const ran = spawnSync('bash', [box.path('restore.sh'), '--yes'], { encoding: 'utf8' });
        expect(ran.status, ran.stderr).toBe(0);
      }
      expect(statSync(`${remote}/linked/one`).ino).toBe(statSync(`${remote}/linked/two`).ino);
    },
  );

  it('leaves the same trees and state with apply and with the rendered script', () => {
    const twin = makeSandbox('polyarchiv-remote-files-twin-');
    try {
      writeTree(twin.path(REMOTE_DIR), ODD_FILES);
      twin.write({ 'local/a.txt': 'a\n' });
      // The same pinned time on both sides: state files record the time variables.
      const now = ['--now', '2026-01-31T03:00:00+01:00'];
      const twinArgs = [...now, '-C', box.path('config'), '--set', `root=${twin.root}`];
      for (const mode of ['backup', 'restore'] as const) {
        const flags = mode === 'restore' ? ['--only-collect-points', 'site'] : [];
        if (mode === 'restore') {
          rmSync(box.path('remote'), { recursive: true });
          rmSync(twin.path('remote'), { recursive: true });
        }
        const applied = runCli([mode, ...(mode === 'restore' ? ['--yes'] : []), ...flags, ...now, ...args]);
        expect(applied.code, applied.stderr).toBe(0);
        const script = runCli(['plan', ...(mode === 'restore' ? ['--restore'] : []), ...flags, ...twinArgs]);
        expect(script.code, script.stderr).toBe(0);
        writeFileSync(twin.path('plan.sh'), script.stdout);
        const ran = spawnSync('bash', [twin.path('plan.sh'), '--yes'], { encoding: 'utf8' });
        expect(ran.status, ran.stderr).toBe(0);
        for (const dir of ['collect', 'mirror', 'remote']) {
          expect(comparableTree(twin, dir), `${mode}: ${dir}`).toEqual(comparableTree(box, dir));
        }
      }
    } finally {
      twin.remove();
    }
  }, 180_000);

  it('neither connects nor copies with --dry', () => {
    const before = sshd().log().length;
    const dry = runCli(['apply', '--dry', ...args]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain('-e "ssh -o BatchMode=yes');
    expect(existsSync(box.path('collect'))).toBe(false);
    expect(sshd().log().slice(before)).not.toContain('Connection from');
  });

  it('shows with --show-commands exactly the rsync command of the plan', () => {
    const text = runCli(['plan', '--format', 'text', '--only-collect-points', 'site', ...args]);
    const planned = text.stdout
      .split('\n')
      .find((line) => line.includes('rsync -a --modify-window=-1 -X -A -e'));
    expect(planned).toBeDefined();
    const run = runCli(['backup', '--show-commands', '--only-collect-points', 'site', ...args]);
    expect(run.code, run.stderr).toBe(0);
    // The text plan continues a helper call on lines ending in ` \`; a run shows it on one line.
    const command = (planned as string).trim().replace(/^\$ /, '').replace(/ \\$/, '');
    expect(run.stderr).toContain(command);
    // Each ssh word reaches ssh intact, quoted for rsync's own splitting of -e.
    expect(command).toContain(`-i '${sshd().dir}/client''s`);
  });

  describe('failures name the source and its config line, keep the good copy, and stop no other point', () => {
    function expectIsolatedFailure(expectedMessage: RegExp): void {
      const good = fileContents(box.path('collect/site/backups/web'));
      if (existsSync(remote)) writeFileSync(`${remote}/plain.txt`, 'changed after the good backup\n');
      writeFileSync(box.path('local/b.txt'), 'b\n');
      const failed = runCli(['backup', ...args]);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/site\.collect:7 \[source "web"\]/);
      expect(failed.stderr).toMatch(expectedMessage);
      expect(fileContents(box.path('collect/site/backups/web'))).toEqual(good);
      expect(readFileSync(box.path('collect/other/backups/local/b.txt'), 'utf8')).toBe('b\n');
      expect(failed.stderr).toContain('backup:mirror/site: skipped, collect:site did not succeed');
    }

    it('fails cleanly when sshd is down', async () => {
      expect(runCli(['backup', ...args]).code).toBe(0);
      await sshd().stop();
      try {
        expectIsolatedFailure(/Connection refused/);
      } finally {
        await sshd().start();
      }
    });

    it('fails, rather than waiting for ever, when sshd accepts connections but never answers', () => {
      expect(runCli(['backup', ...args]).code).toBe(0);
      // A stopped sshd: the kernel still accepts the connection, nothing answers on it.
      const pid = Number(readFileSync(`${sshd().dir}/sshd.pid`, 'utf8'));
      process.kill(pid, 'SIGSTOP');
      try {
        expectIsolatedFailure(/Connection timed out during banner exchange|Connection timed out/);
        // The script carries the same limits.
        const plan = runCli(['plan', '--only-collect-points', 'site', ...args]);
        expect(plan.code, plan.stderr).toBe(0);
        writeFileSync(box.path('backup.sh'), plan.stdout);
        const script = spawnSync('bash', [box.path('backup.sh')], { encoding: 'utf8' });
        expect(script.status).toBe(1);
        expect(script.stderr).toMatch(/Connection timed out/);
        expect(script.stderr).toMatch(/site\.collect:7 \[source "web"\]/);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
    }, 180_000);

    it('fails cleanly with a key that sshd does not accept', () => {
      expect(runCli(['backup', ...args]).code).toBe(0);
      configure(sshd().wrongKey);
      expectIsolatedFailure(/Permission denied/);
    });

    it('fails cleanly when the remote directory is missing', () => {
      expect(runCli(['backup', ...args]).code).toBe(0);
      rmSync(remote, { recursive: true });
      // Asked before rsync runs: said missing, not rsync's partial transfer (23).
      expectIsolatedFailure(
        /polyarchiv: {3}source "web": 127\.0\.0\.1:[^\n]+ is missing: the copy of source "web" was not changed\n/,
      );
    });
  });
});

describe('remote_files configuration checks', () => {
  function plan(sourceLines: string[]) {
    const box = makeSandbox('polyarchiv-remote-files-config-');
    try {
      box.write({
        'config/site.collect': [
          '[point]',
          'engine = files',
          `local_path = ${box.path('collect')}`,
          '',
          '[source "web"]',
          'engine = remote_files',
          'destination_path = web',
          ...sourceLines,
          '',
        ].join('\n'),
      });
      return runCli(['plan', '--format', 'text', '-C', box.path('config')]);
    } finally {
      box.remove();
    }
  }

  it('rejects a source_url of a scheme it cannot read, naming its config line and hiding its password', () => {
    const result = plan(['source_url = gopher://user:secret@files.example.org/files']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "source_url 'gopher://user:***@files.example.org/files': gopher:// is not available in this version",
    );
    expect(result.stderr).not.toContain('secret');
    expect(result.stderr).toContain('site.collect:8 [source "web"]');
  });

  it('rejects ssh URLs whose host or user could be read as an ssh option, and wildcard paths', () => {
    for (const url of [
      'ssh://-oProxyCommand=x/srv',
      'ssh://-l@host/srv',
      'ssh://host:99999/srv',
      'ssh://host/srv/*',
    ]) {
      const result = plan([`source_url = ${url}`]);
      expect(result.code, url).toBe(2);
      expect(result.stderr, url).toContain('site.collect:8 [source "web"]');
    }
  });

  it('warns that the ssh and server options have no effect beside a local path', () => {
    const result = plan([
      'source_url = /srv/www',
      'private_key = /root/.ssh/id_ed25519',
      'keytab = /etc/krb5.keytab',
      'ca_cert = any',
      'password = hunter2',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("option 'private_key' has no effect: source_url is a local path");
    expect(result.stderr).toContain("option 'keytab' has no effect: source_url is a local path");
    expect(result.stderr).toContain("option 'ca_cert' has no effect: source_url is a local path");
    expect(result.stderr).toContain("option 'password' has no effect: source_url is a local path");
    expect(result.stderr).not.toContain('hunter2');
  });

  it('warns that preserve_hard_links has no effect on a WebDAV, FTP or S3 source', () => {
    const result = plan(['source_url = https://dav.example.net/site', 'preserve_hard_links = yes']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      "option 'preserve_hard_links' has no effect: WebDAV, FTP and S3 sources have no hard links",
    );
  });
});
