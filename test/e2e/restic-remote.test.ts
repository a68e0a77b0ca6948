import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync } from '../helpers/cli.js';
import {
  configure,
  damageSnapshot,
  type OtherSecrets,
  PASSWORD,
  restic,
  run,
  STATE,
  secretForms,
  watchedBackup,
  watchProcesses,
} from '../helpers/restic-case.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';
import { type ResticRestServer, startResticRestServer } from '../servers/rclone-restic.js';
import { haveSshd, type SshServer, startSshd } from '../servers/sshd.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum', 'restic', 'rclone') && haveSshd();
const at = (day: number) => `2026-11-0${day}T03:00:00+01:00`;
/** The REST server's password, with characters a URL must escape; its variable holds it escaped. */
const REST_AUTH = { user: 'polyarchiv', password: 'rest pw/@:%?#$HOME' };
const REST_SECRETS: OtherSecrets = {
  POLYARCHIV_SECRET_VAULT_SITE_REMOTE_URL_PASSWORD: encodeURIComponent(REST_AUTH.password),
};

/**
 * Two runs on two days into a repository that does not exist yet (created by the first), then a
 * restore of the newest snapshot into a lost collect point and lost data, byte for byte; the
 * passwords never show in a command line, the script, the plan, the output or the state.
 */
async function roundTrip(
  box: Sandbox,
  how: 'apply' | 'script',
  repository: string,
  secrets: OtherSecrets = {},
): Promise<void> {
  const output: string[] = [];
  const hidden = [PASSWORD, ...secretForms(secrets)];
  for (const day of [1, 2]) {
    box.write({ 'data/index.html': `<p>day ${day}</p>\n` });
    const result = await watchedBackup(box, how, at(day), secrets);
    output.push(result.stdout, result.stderr);
  }
  expect(output.join('')).toMatch(/created restic repository/);
  const snapshots = JSON.parse(restic(repository, ['snapshots', '--json']).stdout) as { tags: string[] }[];
  expect(snapshots.map((s) => s.tags)).toEqual([['site'], ['site']]);
  const tree = fileContents(box.path('data'));
  box.write({ 'collect/site/backups/stray.txt': 'stray\n' });
  rmSync(box.path('data'), { recursive: true, force: true });
  const watch = watchProcesses(hidden, box.root);
  const restore = await run(box, how, 'restore', at(3), [], secrets);
  expect(watch.stop().leaks).toEqual([]);
  expect(restore.code, restore.stderr).toBe(0);
  output.push(restore.stdout, restore.stderr);
  expect(fileContents(box.path('data'))).toEqual(tree);
  expect(fileContents(box.path('collect/site/backups'))).not.toHaveProperty(['stray.txt']);
  const args = ['-C', box.path('config'), '--set', `root=${box.root}`];
  for (const format of ['text', 'json'])
    output.push((await runCliAsync(['plan', '--restore', '--format', format, ...args])).stdout);
  output.push(readFileSync(box.path(STATE), 'utf8'));
  if (how === 'script') output.push(readFileSync(box.path('run.sh'), 'utf8'));
  for (const text of output) for (const secret of hidden) expect(text).not.toContain(secret);
}

describe.runIf(canRun)('restic backup points on remote repositories', { timeout: 600_000 }, () => {
  let rest: ResticRestServer;
  let sshd: SshServer;
  let box: Sandbox | undefined;
  let count = 0;
  beforeAll(async () => {
    [rest, sshd] = await Promise.all([startResticRestServer(REST_AUTH), startSshd()]);
  });
  afterAll(async () => {
    await Promise.all([rest?.destroy(), sshd?.destroy()]);
  });
  afterEach(() => box?.remove());

  it.each(['apply', 'script'] as const)(
    'backs up to rest: (rclone serve restic, its password in the URL) and restores (%s)',
    async (how) => {
      count += 1;
      box = makeSandbox('polyarchiv-restic-rest-');
      const url = rest.url(`vault-${count}`);
      configure(box, url);
      await roundTrip(box, how, url, REST_SECRETS);
      // The server does ask for the password.
      const anonymous = restic(url.replace(/:[^:@/]*@/, '@'), ['cat', 'config']);
      expect(anonymous.status).not.toBe(0);
      expect(anonymous.stderr).toMatch(/401|Unauthorized/i);
    },
  );

  it.each(['apply', 'script'] as const)(
    'a snapshot the REST server holds damaged: could not be read, not no copy, no password shown (%s)',
    async (how) => {
      count += 1;
      box = makeSandbox('polyarchiv-restic-rest-');
      const url = rest.url(`vault-${count}`);
      configure(box, url);
      await watchedBackup(box, how, at(1), REST_SECRETS);
      const file = damageSnapshot(url, join(rest.dir, 'repos', `vault-${count}`));
      const watch = watchProcesses([PASSWORD, ...secretForms(REST_SECRETS)], box.root);
      const restore = await run(box, how, 'restore', at(2), [], REST_SECRETS);
      expect(watch.stop().leaks).toEqual([]);
      expect(restore.code, restore.stderr).toBe(1);
      expect(restore.stderr).toContain(`could not load snapshot ${file.slice(0, 8)}`);
      expect(restore.stderr).toMatch(
        /\npolyarchiv: {3}the copy of "site" at rest:http:\/\/\S+ \(backup point "vault"\) could not be read \(restic says why above\): collect point "site" and the live data were not changed; [^\n]+\npolyarchiv: {3}failed with exit code 6: step \d+ of \d+ at vault\.backup:3 \[point\]\n/,
      );
      expect(restore.stderr).not.toContain('holds no');
      for (const secret of [PASSWORD, ...secretForms(REST_SECRETS)])
        expect(restore.stderr).not.toContain(secret);
    },
  );

  it.each(['apply', 'script'] as const)(
    "backs up to sftp: through the suite's sshd and restores (%s)",
    async (how) => {
      box = makeSandbox('polyarchiv-restic-sftp-');
      // restic splits its ssh command itself, with no escape: a key path with a space is fine.
      const key = box.path('ssh key/id_ed25519');
      mkdirSync(box.path('ssh key'), { mode: 0o700 });
      copyFileSync(sshd.clientKey, key);
      configure(
        box,
        `sftp://root@127.0.0.1:${sshd.port}/{root}/sftp-repo`,
        `private_key = ${key}\nssh_options = ${sshd.sshOptions}\n`,
      );
      await roundTrip(box, how, box.path('sftp-repo'));
    },
  );

  it.each(['apply', 'script'] as const)(
    'names the line of a private_key that the ssh server refuses (%s)',
    async (how) => {
      box = makeSandbox('polyarchiv-restic-sftp-');
      const key = box.path('other_key');
      const made = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key], {
        encoding: 'utf8',
      });
      expect(made.status, made.stderr).toBe(0);
      configure(
        box,
        `sftp://root@127.0.0.1:${sshd.port}/{root}/sftp-repo`,
        `private_key = ${key}\nssh_options = ${sshd.sshOptions}\n`,
      );
      const result = await run(box, how, 'backup', at(1));
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/Permission denied \(publickey/);
      expect(result.stderr).toContain(
        "polyarchiv:   the ssh server refused the login with the key of option 'private_key' (vault.backup:10 [point]), or refused the user that remote_url names",
      );
    },
  );

  it('refuses, at its line, a private_key restic cannot hand to ssh', async () => {
    box = makeSandbox('polyarchiv-restic-sftp-');
    configure(
      box,
      `sftp://root@127.0.0.1:${sshd.port}/{root}/sftp-repo`,
      `private_key = ${sshd.clientKey}\n`,
    );
    const result = await run(box, 'apply', 'backup', at(1));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/private_key[\s\S]*vault\.backup:10/);
  });

  it('creates nothing and fails alone when the REST server is down', async () => {
    box = makeSandbox('polyarchiv-restic-rest-');
    configure(box, 'rest:http://127.0.0.1:9/vault');
    box.write({
      'config/other.backup': '[point]\nengine = restic\nremote_url = {root}/other\npassword = other\n',
    });
    const result = await run(box, 'apply', 'backup', at(1));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/connection refused/);
    expect(result.stderr).not.toMatch(/create repository/);
    expect(result.stderr).toMatch(/failed +backup:vault\/site/);
    expect(result.stderr).toMatch(/ok +backup:other\/site/);
  });
});
