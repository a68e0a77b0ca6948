import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { ODD_FILES, writeTree } from '../helpers/odd-files.js';
import { killRun, sleep, startBackup } from '../helpers/run-control.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { serverPerSuite } from '../helpers/server-per-suite.js';
import { backupThreeDays, comparableStates, runAs as run } from '../helpers/service-targets.js';
import { haveTools } from '../helpers/tools.js';
import { archiveTree, fileContents, snapshotTree } from '../helpers/tree.js';
import { tool, treeMetadata } from '../helpers/tree-metadata.js';
import { haveSshd, startSshd } from '../servers/sshd.js';

const canRun = haveSshd() && haveTools('flock', 'bash', 'sha256sum', 'tar', 'gzip', 'zstd');

/** The remote directory has a hostile name: spaces, quotes, $, unicode, a leading dash. */
const REMOTE_DIR = `remote/-it's a "$HOME" dir ünï`;

const partials = (dir: string): string[] =>
  existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.polyarchiv-partial')) : [];

describe.runIf(canRun)('backup points on another host through ssh', () => {
  const sshd = serverPerSuite(startSshd);
  let box: Sandbox;
  beforeEach(() => {
    box = makeSandbox('polyarchiv-ssh-targets-');
    writeTree(box.path('data'), ODD_FILES);
  });
  afterEach(() => box.remove());

  const sshUrl = (path: string) =>
    `ssh://root@127.0.0.1:${sshd().port}{root}/${encodeURI(REMOTE_DIR)}/${path}`;
  const scpUrl = (path: string) => `root@127.0.0.1:{root}/${REMOTE_DIR}/${path}`;

  /**
   * One collect point of the odd-name tree, and `offsite`, a backup point with these lines. The
   * port goes in ssh_options too: scp-like URLs have no place for one.
   */
  function configure(lines: readonly string[], key = sshd().clientKey): string[] {
    box.write({
      'config/site.collect':
        '[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "tree"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = tree\n',
      'config/offsite.backup': [
        '[point]',
        ...lines,
        `private_key = ${key}`,
        `ssh_options = ${sshd().sshOptions} -p ${sshd().port}`,
        '',
      ].join('\n'),
    });
    return ['-C', box.path('config'), '--set', `root=${box.root}`];
  }

  const remote = (path = '') => box.path(REMOTE_DIR, path);

  for (const how of ['apply', 'script'] as const) {
    it(`synchronize mirrors the odd-name tree there and restores it byte for byte (${how})`, () => {
      const args = configure(['engine = synchronize', `remote_url = ${sshUrl('{name}')}`]);
      const backup = run(box, how, 'backup', args);
      expect(backup.code, backup.stderr).toBe(0);
      const expected = fileContents(box.path('data'));
      expect(fileContents(remote('site/tree'))).toEqual(expected);
      // Deletions reach the mirror, after the transfer.
      rmSync(box.path('data/plain.txt'));
      expect(run(box, how, 'backup', args).code).toBe(0);
      expect(existsSync(remote('site/tree/plain.txt'))).toBe(false);

      rmSync(box.path('collect/site/backups'), { recursive: true });
      const restore = run(box, how, 'restore', [...args]);
      expect(restore.code, restore.stderr).toBe(0);
      expect(fileContents(box.path('collect/site/backups/tree'))).toEqual(fileContents(remote('site/tree')));
    }, 120_000);

    it(`archive sends the tarball through a hidden partial and restores it byte for byte (${how})`, () => {
      const args = configure(['engine = archive', `remote_url = ${scpUrl('{name}.tar.gz')}`]);
      const backup = run(box, how, 'backup', args);
      expect(backup.code, backup.stderr).toBe(0);
      const sent = archiveTree(remote('site.tar.gz'));
      expect(sent).toEqual(snapshotTree(box.path('collect/site/backups')));
      expect(partials(remote())).toEqual([]);
      // Nothing of the archive stays on this host but the listing the next run's guard reads.
      expect(readdirSync(box.path('collect/site/metadata/remote-offsite/remote')).sort()).toEqual([
        'archive.listing',
        'offsite.json',
      ]);

      rmSync(box.path('collect/site/backups'), { recursive: true });
      const restore = run(box, how, 'restore', [...args]);
      expect(restore.code, restore.stderr).toBe(0);
      expect(fileContents(box.path('collect/site/backups/tree'))).toEqual(fileContents(box.path('data')));
      expect(readdirSync(box.path('collect/site/metadata/remote-offsite/remote')).sort()).toEqual([
        'archive.listing',
        'offsite.json',
      ]);
    }, 120_000);

    it(`rolling_archive keeps its calendar history there, deleting over ssh (${how})`, async () => {
      const args = configure([
        'engine = rolling_archive',
        `remote_url = ${sshUrl('{name}-{Y}-{m}-{d}.tar.zst')}`,
        'keep_last = 2',
        'hourly_count = 0',
        'daily_count = 0',
        'weekly_count = 0',
        'monthly_count = 0',
        'yearly_count = 0',
      ]);
      await backupThreeDays(box, (more) => run(box, how, 'backup', [...args, ...more]), [
        '--allow-mass-delete',
      ]);
      expect(readdirSync(remote()).sort()).toEqual(['site-2026-03-02.tar.zst', 'site-2026-03-03.tar.zst']);
      rmSync(box.path('collect/site/backups'), { recursive: true });
      const restore = run(box, how, 'restore', [...args]);
      expect(restore.code, restore.stderr).toBe(0);
      expect(fileContents(box.path('collect/site/backups/tree'))).toEqual(fileContents(box.path('data')));

      // A rebuilt machine: no state records the series, so the restore lists the host for it.
      rmSync(box.path('collect'), { recursive: true });
      const rebuilt = run(box, how, 'restore', [
        ...args,
        '--from',
        'offsite',
        '--at',
        // The last second of the day: a name of the day of --at is passed over before it.
        '2026-03-02T23:59:59+01:00',
      ]);
      expect(rebuilt.code, rebuilt.stderr).toBe(0);
      expect(rebuilt.stderr).toContain(`the newest there: 127.0.0.1:${remote('site-2026-03-02.tar.zst')}`);
      expect(readFileSync(box.path('collect/site/backups/tree/day.txt'), 'utf8')).toBe('02\n');
      expect(readFileSync(box.path('data/day.txt'), 'utf8')).toBe('02\n');
      expect(readdirSync(box.path('collect/site/metadata/remote-offsite/remote'))).toEqual([]);
    }, 120_000);
  }

  for (const how of ['apply', 'script'] as const)
    it(`synchronize finds the newest dated mirror there on a rebuilt machine, with its metadata (${how})`, async () => {
      const args = configure(['engine = synchronize', `remote_url = ${scpUrl('{Y}-{m}-{d}/{name}')}`]);
      tool(['setfattr', '-n', 'user.origin', '-v', 'kept', box.path('data/plain.txt')]);
      tool(['setfacl', '-m', 'u:nobody:r', box.path('data/plain.txt')]);
      await backupThreeDays(box, (more) => run(box, how, 'backup', [...args, ...more]));
      const metadata = treeMetadata(box.path('data'));
      rmSync(box.path('collect'), { recursive: true });
      rmSync(box.path('data'), { recursive: true });
      const rebuilt = run(box, how, 'restore', [
        ...args,
        '--from',
        'offsite',
        '--at',
        // The last second of the day: a name of the day of --at is passed over before it.
        '2026-03-02T23:59:59+01:00',
      ]);
      expect(rebuilt.code, rebuilt.stderr).toBe(0);
      expect(rebuilt.stderr).toContain(`the newest there: 127.0.0.1:${remote('2026-03-02/site')}/`);
      expect(readFileSync(box.path('data/day.txt'), 'utf8')).toBe('02\n');
      expect(fileContents(box.path('data'))).toEqual(fileContents(remote('2026-03-02/site/tree')));
      expect(treeMetadata(box.path('data'))).toEqual(metadata);
      expect(readdirSync(remote()).sort()).toEqual(['2026-03-01', '2026-03-02', '2026-03-03']);
      // What was fetched aside is gone; only the state of this restore's fetch stays.
      expect(readdirSync(box.path('collect/site/metadata/remote-offsite/remote'))).toEqual([]);
    }, 120_000);

  for (const how of ['apply', 'script'] as const)
    it(`archive named by the weekday is found by its modification time on a rebuilt machine (${how})`, async () => {
      const args = configure(['engine = archive', `remote_url = ${sshUrl('{name}-{A}.tar.gz')}`]);
      const between = await backupThreeDays(
        box,
        (more) => run(box, how, 'backup', [...args, ...more]),
        [],
        true,
      );
      rmSync(box.path('collect'), { recursive: true });
      const rebuilt = run(box, how, 'restore', [...args, '--from', 'offsite', '--at', between]);
      expect(rebuilt.code, rebuilt.stderr).toBe(0);
      expect(rebuilt.stderr).toContain(`the newest there: 127.0.0.1:${remote('site-Monday.tar.gz')}`);
      expect(readFileSync(box.path('data/day.txt'), 'utf8')).toBe('02\n');
      expect(readdirSync(remote()).sort()).toEqual([
        'site-Monday.tar.gz',
        'site-Sunday.tar.gz',
        'site-Tuesday.tar.gz',
      ]);
    }, 120_000);

  it('leaves the same remote trees and states with apply and with the rendered script', () => {
    const twin = makeSandbox('polyarchiv-ssh-targets-twin-');
    try {
      writeTree(twin.path('data'), ODD_FILES);
      const now = ['--now', '2026-01-31T03:00:00+01:00'];
      box.write({
        'config/mirror.backup': `[point]\nengine = synchronize\nremote_url = ${sshUrl('mirror/{name}')}\nprivate_key = ${sshd().clientKey}\nssh_options = ${sshd().sshOptions}\n`,
        'config/dated.backup': `[point]\nengine = rolling_archive\nremote_url = ${scpUrl('dated/{name}-{Y}{m}{d}.tar.gz')}\nprivate_key = ${sshd().clientKey}\nssh_options = ${sshd().sshOptions} -p ${sshd().port}\n`,
      });
      const args = [...now, ...configure(['engine = archive', `remote_url = ${sshUrl('{name}.tar.gz')}`])];
      const twinArgs = [...now, '-C', box.path('config'), '--set', `root=${twin.root}`];
      const applied = run(box, 'apply', 'backup', args);
      expect(applied.code, applied.stderr).toBe(0);
      const script = runCli(['plan', ...twinArgs]);
      expect(script.code, script.stderr).toBe(0);
      writeFileSync(twin.path('backup.sh'), script.stdout);
      const ran = spawnSync('bash', [twin.path('backup.sh')], { encoding: 'utf8' });
      expect(ran.status, ran.stderr).toBe(0);
      expect(snapshotTree(twin.path(REMOTE_DIR))).toEqual(snapshotTree(remote()));
      expect(comparableStates(twin)).toEqual(comparableStates(box));
    } finally {
      twin.remove();
    }
  }, 120_000);

  it('fails a point whose key sshd refuses or whose server is down, naming its line, losing nothing', async () => {
    const args = configure(['engine = archive', `remote_url = ${sshUrl('{name}.tar.gz')}`]);
    expect(runCli(['backup', ...args]).code).toBe(0);
    const good = readFileSync(remote('site.tar.gz'));
    writeFileSync(box.path('data/plain.txt'), 'changed\n');
    configure(['engine = archive', `remote_url = ${sshUrl('{name}.tar.gz')}`], sshd().wrongKey);
    const refused = runCli(['backup', ...args]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/offsite\.backup:3 \[point\]/);
    expect(refused.stderr).toMatch(/Permission denied/);
    expect(readFileSync(remote('site.tar.gz'))).toEqual(good);
    configure(['engine = archive', `remote_url = ${sshUrl('{name}.tar.gz')}`]);
    await sshd().stop();
    try {
      const down = runCli(['backup', ...args]);
      expect(down.code).toBe(1);
      expect(down.stderr).toMatch(/Connection refused/);
      expect(down.stderr).toMatch(/offsite\.backup:3 \[point\]/);
    } finally {
      await sshd().start();
    }
    expect(readFileSync(remote('site.tar.gz'))).toEqual(good);
    expect(runCli(['backup', ...args]).code).toBe(0);
    expect(partials(remote())).toEqual([]);
  }, 120_000);

  it('fails at run time with a key file that cannot be read, naming the point', () => {
    const args = configure(
      ['engine = synchronize', `remote_url = ${sshUrl('{name}')}`],
      box.path('no such key'),
    );
    const failed = runCli(['backup', ...args]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/offsite\.backup:3 \[point\]/);
    expect(existsSync(remote('site'))).toBe(false);
  });

  for (const how of ['apply', 'script'] as const) {
    it(`keeps the previous archive whole when an upload is killed, and the next run removes the partial (${how})`, async () => {
      const args = configure(['engine = archive', `remote_url = ${sshUrl('{name}.tar.gz')}`]);
      const version = (name: string) => {
        rmSync(box.path('data'), { recursive: true, force: true });
        mkdirSync(box.path('data'));
        for (let i = 0; i < 6; i++)
          writeFileSync(box.path(`data/${name}-${i}.bin`), randomBytes(4 * 1024 * 1024));
      };
      version('old');
      const began = Date.now();
      expect(runCli(['backup', ...args]).code).toBe(0);
      const fullRun = Date.now() - began;
      const old = archiveTree(remote('site.tar.gz'));
      version('new');
      expect(runCli(['backup', '--skip-backup', ...args]).code).toBe(0);
      const fresh = snapshotTree(box.path('collect/site/backups'));
      writeFileSync(box.path('backup.sh'), runCli(['plan', ...args]).stdout);
      let killedWithPartial = 0;
      for (let round = 0; round < 4; round++) {
        const child = startBackup(box, how, args);
        await sleep(Math.random() * fullRun * 1.2);
        await killRun(child, box.root);
        if (partials(remote()).length > 0) killedWithPartial++;
        expect([old, fresh]).toContainEqual(archiveTree(remote('site.tar.gz')));
      }
      const next = runCli(['backup', ...args]);
      expect(next.code, next.stderr).toBe(0);
      expect(archiveTree(remote('site.tar.gz'))).toEqual(fresh);
      expect(partials(remote())).toEqual([]);
      // Not an assertion on timing: how many kills landed while the archive was on its way.
      console.info(`${how}: ${killedWithPartial} of 4 kills left a partial upload`);
    }, 240_000);
  }
});

describe('ssh targets: configuration errors at their line, exit 2, nothing written', () => {
  function plan(url: string, engine = 'archive') {
    const box = makeSandbox('polyarchiv-ssh-targets-config-');
    try {
      box.write({
        'config/site.collect': `[point]\nengine = files\nlocal_path = ${box.path('collect')}\n`,
        'config/offsite.backup': `[point]\nengine = ${engine}\nremote_url = ${url}\n`,
      });
      const result = runCli(['backup', '-C', box.path('config')]);
      return { ...result, wrote: existsSync(box.path('collect')) };
    } finally {
      box.remove();
    }
  }

  it.each([
    ['gopher://host/a.tar.gz', /gopher:\/\/ is not available/],
    ['ssh:///srv/a.tar.gz', /expected ssh:\/\/\[user@\]host/],
    ['backup@host:relative/a.tar.gz', /expected user@host:\/absolute\/path/],
    [
      'backup.example.org:/srv/a.tar.gz',
      /is not a URL \(no \/\/ after 'backup\.example\.org:'\), nor an ssh target .*write USER@backup\.example\.org:\/srv\/a\.tar\.gz or ssh:\/\/backup\.example\.org\/ABSOLUTE\/PATH/,
    ],
    ['backup@:/srv/a.tar.gz', /expected \/path, file:\/\/\/path, ssh:\/\/.*user@host:\/path/],
    ['srv/a.tar.gz', /expected \/path, file:\/\/\/path, ssh:\/\/.*s3:\/\/bucket\/key/],
    ['file:relative/a.tar.gz', /expected file:\/\/\/absolute\/path \(three slashes/],
    ['ssh://host/srv/a.tar', /is not a \.tar\.gz, \.tar\.bz2, \.tar\.xz or \.tar\.zst file/],
    ['ssh://host/srv/*.tar.gz', /wildcard character/],
  ])('refuses %s', (url, message) => {
    const result = plan(url);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('offsite.backup:3 [point]');
    expect(result.wrote).toBe(false);
  });

  it('refuses an ssh mirror of the remote root directory', () => {
    const result = plan('ssh://host/', 'synchronize');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/is the root directory/);
  });
});
