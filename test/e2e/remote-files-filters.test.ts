import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { ODD_FILES, writeTree } from '../helpers/odd-files.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { serverPerSuite } from '../helpers/server-per-suite.js';
import { remoteFilesSite } from '../helpers/service-targets.js';
import { haveTools } from '../helpers/tools.js';
import { snapshotTree } from '../helpers/tree.js';
import { haveSshd, type SshServer, startSshd } from '../servers/sshd.js';

const canRun =
  haveSshd() && haveTools('flock', 'bash', 'gpg', 'gpgconf', 'sha256sum', 'awk') && process.geteuid?.() === 0;
const PASSPHRASE = 'a long passphrase, never in argv';

/**
 * A remote directory pulled over ssh, whose collect point encrypts its tree and then indexes the
 * encrypted files, and whose mirror indexes what it ships: the chain a restore walks back through
 * three trees, each index left where it was written.
 */
function configure(box: Sandbox, sshd: SshServer): void {
  box.write({
    'config/site.collect': [
      remoteFilesSite([
        `source_url = ssh://root@127.0.0.1:${sshd.port}{root}/remote`,
        `private_key = ${sshd.clientKey}`,
        `ssh_options = ${sshd.sshOptions}`,
      ]),
      '[filter "secret"]',
      'engine = encrypt',
      `password = ${PASSPHRASE}`,
      '',
      '[filter "sums"]',
      'engine = hashes',
      'method = sha256',
      'filename = SHA256SUMS',
      '',
    ].join('\n'),
    'config/mirror.backup': [
      '[point]',
      'engine = synchronize',
      'remote_url = {root}/mirror/{name}',
      '',
      '[filter "index"]',
      'engine = hashes',
      '',
    ].join('\n'),
  });
}

/** The odd-name tree, with a set-user-ID program owned by another user and links out of the tree. */
function writeRemote(box: Sandbox): void {
  const remote = box.path('remote');
  writeTree(remote, ODD_FILES);
  writeTree(remote, { 'bin/tool': '#!/bin/sh\n', 'shared/x': 'x\n' });
  chownSync(`${remote}/bin/tool`, 1234, 5678);
  chmodSync(`${remote}/bin/tool`, 0o4755);
  chmodSync(`${remote}/shared`, 0o2775);
  symlinkSync('/etc/passwd', `${remote}/outside`);
  symlinkSync('../../elsewhere', `${remote}/bin/up`);
}

describe.runIf(canRun)('remote_files through the encrypt and hashes filters', { timeout: 300_000 }, () => {
  const sshd = serverPerSuite(startSshd);
  let box: Sandbox;
  let args: string[];
  let env: Record<string, string>;
  beforeEach(() => {
    box = makeSandbox('polyarchiv-remote-filters-');
    configure(box, sshd());
    mkdirSync(box.path('gnupg'), { mode: 0o700 });
    env = { GNUPGHOME: box.path('gnupg') };
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
  });
  afterEach(() => {
    spawnSync('gpgconf', ['--kill', 'gpg-agent'], { env: { ...process.env, ...env } });
    box.remove();
  });

  /** `backup` or `restore --yes` through apply, or through the script that `plan` renders. */
  function run(backend: 'apply' | 'script', mode: 'backup' | 'restore') {
    if (backend === 'apply')
      return runCli(mode === 'backup' ? ['backup', ...args] : ['restore', '--yes', ...args], env);
    const plan = runCli(['plan', ...(mode === 'restore' ? ['--restore'] : []), ...args]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).not.toContain(PASSPHRASE);
    writeFileSync(box.path(`${mode}.sh`), plan.stdout);
    const ran = spawnSync('bash', [box.path(`${mode}.sh`), ...(mode === 'restore' ? ['--yes'] : [])], {
      encoding: 'utf8',
      env: { ...process.env, ...env, POLYARCHIV_SECRET_SITE_SECRET_PASSWORD: PASSPHRASE },
    });
    return { code: ran.status ?? -1, stdout: ran.stdout, stderr: ran.stderr };
  }

  for (const backend of ['apply', 'script'] as const) {
    it(`restores a rebuilt remote and a rebuilt collect point byte for byte, modes and set-user-ID bits kept, through ${backend}`, () => {
      writeRemote(box);
      const expected = snapshotTree(box.path('remote'));
      const backup = run(backend, 'backup');
      expect(backup.code, backup.stderr).toBe(0);
      expect(backup.stdout + backup.stderr).not.toContain(PASSPHRASE);

      // A new machine and a rebuilt remote: only the mirror is left.
      rmSync(box.path('remote'), { recursive: true });
      rmSync(box.path('collect'), { recursive: true });
      const restore = run(backend, 'restore');
      expect(restore.code, restore.stderr).toBe(0);
      const restored = snapshotTree(box.path('remote'));
      expect(restored).toEqual(expected);
      expect(restored['bin/tool']).toMatch(/^file 4755 /);
      expect(restored.shared).toBe('dir 2775');
      // No index of the chain travels back into the trees before it.
      expect(Object.keys(restored).filter((name) => /SHA256SUMS|hashes\.txt/.test(name))).toEqual([]);
    });

    it(`refuses, through ${backend}, a restore from a mirror holding a file that its index does not list`, () => {
      writeRemote(box);
      expect(run(backend, 'backup').code).toBe(0);
      const live = snapshotTree(box.path('remote'));
      // The mirror's index is sha1sum's; the file added to the mirror's tree, it never saw.
      writeFileSync(box.path('mirror/site/added\nlater.txt'), 'not in any index\n');
      rmSync(box.path('collect'), { recursive: true });
      writeFileSync(box.path('remote/plain.txt'), 'changed since the backup\n');
      const changed = snapshotTree(box.path('remote'));

      const restore = run(backend, 'restore');
      expect(restore.code).toBe(1);
      const output = restore.stdout + restore.stderr;
      expect(output).toContain('added\\nlater.txt: not in the index');
      expect(output).toContain('1 file(s) of the tree not in hashes.txt');
      expect(output).toMatch(
        /failed with exit code 1: step \d+ of \d+ at mirror\.backup:5 \[filter "index"\]/,
      );
      expect(snapshotTree(box.path('remote'))).toEqual(changed);
      expect(changed).not.toEqual(live);
    });
  }
});
