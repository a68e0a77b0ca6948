import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { ODD_FILES, writeTree } from '../helpers/odd-files.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';
import { haveKdc, type Kdc, startKdc } from '../servers/kdc.js';
import { haveSshd, type SshServer, startSshd } from '../servers/sshd.js';

const canRun = haveSshd() && haveKdc() && haveTools('flock', 'bash', 'sha256sum', 'tar', 'gzip', 'rsync');

const SITE =
  '[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "tree"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = tree\n';

/*
 * Backup points on another host whose sshd logs users in with Kerberos only (GSSAPI, no key, no
 * password), against the suite's KDC. The backup point's keytab holds root's key, the account it
 * logs in as. The user runs polyarchiv with a ticket of their own, of a principal sshd would not
 * let in as root: every transfer that succeeds ran with a ticket obtained from the keytab, and the
 * user's ticket cache must stay as it was.
 */
describe.runIf(canRun)('ssh targets that log in with a Kerberos keytab', { timeout: 600_000 }, () => {
  let kdc: Kdc;
  let sshd: SshServer;
  let keys: string;
  let box: Sandbox;
  /** The realm, and the user's own ticket in the cache KRB5CCNAME names. */
  let env: Record<string, string>;
  beforeAll(async () => {
    kdc = await startKdc();
    keys = mkdtempSync(join(tmpdir(), 'polyarchiv-keytabs-'));
    kdc.addPrincipal('host/127.0.0.1', join(keys, 'host.keytab'));
    kdc.addPrincipal('root', join(keys, 'backup.keytab'));
    kdc.addPrincipal('gone', join(keys, 'gone.keytab'));
    kdc.deletePrincipal('gone');
    kdc.addPrincipal('user', join(keys, 'user.keytab'));
    sshd = await startSshd({ env: kdc.env, hostKeytab: join(keys, 'host.keytab') });
  });
  afterAll(async () => {
    await sshd?.destroy();
    await kdc?.destroy();
    if (keys !== undefined) rmSync(keys, { recursive: true, force: true });
  });
  beforeEach(() => {
    box = makeSandbox('polyarchiv-ssh-keytab-');
    writeTree(box.path('data'), ODD_FILES);
    env = { ...kdc.env, KRB5CCNAME: `FILE:${box.path('user-ccache')}` };
    const kinit = spawnSync('kinit', ['-k', '-t', join(keys, 'user.keytab'), 'user'], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
    expect(kinit.status, kinit.stderr).toBe(0);
  });
  afterEach(() => box.remove());

  const userTicket = () =>
    createHash('sha256')
      .update(readFileSync(box.path('user-ccache')))
      .digest('hex');

  /** `backup` or `restore`, through apply or through the rendered script, as the user. */
  function run(how: 'apply' | 'script', command: 'backup' | 'restore', args: readonly string[]) {
    const yes = command === 'restore' ? ['--yes'] : [];
    if (how === 'apply') return runCli([command, ...yes, ...args], env);
    const plan = runCli(['plan', ...(command === 'restore' ? ['--restore'] : []), ...args], env);
    expect(plan.code, plan.stderr).toBe(0);
    writeFileSync(box.path(`${command}.sh`), plan.stdout);
    const result = spawnSync('bash', [box.path(`${command}.sh`), ...yes], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
    return { code: result.status ?? -1, stdout: result.stdout, stderr: `${plan.stderr}${result.stderr}` };
  }

  /** A backup point with `lines`, reaching sshd with the keytab `keytab` and no key. */
  function configure(lines: readonly string[], keytab = join(keys, 'backup.keytab')): string[] {
    box.write({
      'config/site.collect': SITE,
      'config/offsite.backup': [
        '[point]',
        ...lines,
        `keytab = ${keytab}`,
        `ssh_options = ${sshd.sshOptions} -p ${sshd.port}`,
        '',
      ].join('\n'),
    });
    return ['-C', box.path('config'), '--set', `root=${box.root}`];
  }

  const logins = () => sshd.log().match(/Accepted gssapi-with-mic for root/g)?.length ?? 0;

  for (const how of ['apply', 'script'] as const) {
    it(`synchronize mirrors and restores through ssh with the keytab's ticket, never the user's (${how})`, () => {
      const args = configure(['engine = synchronize', 'remote_url = root@127.0.0.1:{root}/mirror/{name}']);
      const before = userTicket();
      const loginsBefore = logins();
      const backup = run(how, 'backup', args);
      expect(backup.code, backup.stderr).toBe(0);
      expect(fileContents(box.path('mirror/site/tree'))).toEqual(fileContents(box.path('data')));
      expect(logins()).toBeGreaterThan(loginsBefore);
      expect(userTicket()).toBe(before);

      rmSync(box.path('collect/site/backups'), { recursive: true });
      const restore = run(how, 'restore', args);
      expect(restore.code, restore.stderr).toBe(0);
      expect(fileContents(box.path('collect/site/backups/tree'))).toEqual(fileContents(box.path('data')));
      expect(userTicket()).toBe(before);
    });

    it(`rolling_archive sends, deletes and fetches archives, and metadata_keytab mirrors the state, through Kerberos logins (${how})`, () => {
      const args = configure([
        'engine = rolling_archive',
        'remote_url = ssh://root@127.0.0.1{root}/store/{name}-{Y}-{m}-{d}.tar.gz',
        'keep_last = 1',
        'hourly_count = 0',
        'daily_count = 0',
        'weekly_count = 0',
        'monthly_count = 0',
        'yearly_count = 0',
        `metadata_url = root@127.0.0.1:{root}/meta/`,
        `metadata_keytab = ${join(keys, 'backup.keytab')}`,
        `metadata_ssh_options = ${sshd.sshOptions} -p ${sshd.port}`,
      ]);
      for (const day of ['01', '02']) {
        const ran = run(how, 'backup', [
          ...args,
          '--now',
          `2026-03-${day}T03:00:00+01:00`,
          '--allow-mass-delete',
        ]);
        expect(ran.code, ran.stderr).toBe(0);
      }
      // The first archive was deleted over ssh once the second was in place.
      expect(readdirSync(box.path('store'))).toEqual(['site-2026-03-02.tar.gz']);
      expect(readdirSync(box.path('meta'))).toEqual(['site.json']);
      const expected = fileContents(box.path('data'));

      // A rebuilt machine: the state is read back from metadata_url before the restore is planned.
      rmSync(box.path('collect'), { recursive: true, force: true });
      rmSync(box.path('data'), { recursive: true, force: true });
      const restore = run(how, 'restore', args);
      expect(restore.code, restore.stderr).toBe(0);
      expect(fileContents(box.path('data'))).toEqual(expected);
    });

    it(`remote_files pulls a directory and pushes it back through Kerberos logins, never the user's ticket (${how})`, () => {
      writeTree(box.path('remote-data'), ODD_FILES);
      box.write({
        'config/site.collect': [
          '[point]',
          'engine = files',
          'local_path = {root}/collect/{name}',
          '',
          '[source "far"]',
          'engine = remote_files',
          'source_url = ssh://root@127.0.0.1{root}/remote-data',
          'destination_path = far',
          `keytab = ${join(keys, 'backup.keytab')}`,
          `ssh_options = ${sshd.sshOptions} -p ${sshd.port}`,
          '',
        ].join('\n'),
      });
      const args = ['-C', box.path('config'), '--set', `root=${box.root}`];
      const before = userTicket();
      const backup = run(how, 'backup', args);
      expect(backup.code, backup.stderr).toBe(0);
      const expected = fileContents(box.path('remote-data'));
      expect(fileContents(box.path('collect/site/backups/far'))).toEqual(expected);

      rmSync(box.path('remote-data/plain.txt'));
      writeFileSync(box.path('remote-data/created later'), 'x');
      // The dry run lists the same changes, logged in with the keytab as the run is, and changes
      // nothing: the ticket cache it needs is removed with its private directory, and nothing is
      // written where it runs.
      const [tmp, here] = [box.path('tmp'), box.path('here')];
      mkdirSync(tmp);
      mkdirSync(here);
      const dry = runCli(['restore', '--dry', ...args], { ...env, TMPDIR: tmp }, here);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stderr).toMatch(/^\*deleting +created later$/m);
      expect(existsSync(box.path('remote-data/created later'))).toBe(true);
      expect(readdirSync(tmp)).toEqual([]);
      expect(readdirSync(here)).toEqual([]);
      const restore = run(how, 'restore', args);
      expect(restore.code, restore.stderr).toBe(0);
      expect(restore.stderr).toContain('created later');
      expect(fileContents(box.path('remote-data'))).toEqual(expected);
      expect(userTicket()).toBe(before);
    });

    it(`a keytab whose principal the KDC no longer knows fails the pair at the keytab's line, sending nothing (${how})`, () => {
      const args = configure(
        ['engine = synchronize', 'remote_url = root@127.0.0.1:{root}/mirror/{name}'],
        join(keys, 'gone.keytab'),
      );
      const backup = run(how, 'backup', args);
      expect(backup.code).not.toBe(0);
      expect(backup.stderr).toMatch(/get a Kerberos ticket from keytab .*gone\.keytab/);
      expect(backup.stderr).toContain('offsite.backup:4');
      expect(backup.stderr).toMatch(/k5start/);
      expect(backup.stderr).toMatch(/ok +collect:site/);
      expect(backup.stderr).toMatch(/failed +backup:offsite\/site/);
      expect(existsSync(box.path('mirror'))).toBe(false);
    });
  }
});
