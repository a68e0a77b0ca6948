import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { startRun, waitFor } from '../helpers/run-control.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { serverPerSuite } from '../helpers/server-per-suite.js';
import { runAs as run, writeScript } from '../helpers/service-targets.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';
import { haveSshd, startSshd } from '../servers/sshd.js';

/** A directory refused to the ssh user, who is root, is a read-only mount: that needs root. */
const isRoot = process.getuid?.() === 0;
if (!isRoot && process.env.CI === 'true') throw new Error('CI=true: the read-only target tests need root');
const canRun = isRoot && haveSshd() && haveTools('rsync', 'flock', 'bash', 'tar', 'gzip', 'mount', 'umount');

const SITE =
  '[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "tree"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = tree\n';

function sh(...argv: string[]): void {
  const done = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' });
  if (done.status !== 0) throw new Error(`${argv.join(' ')}: ${done.stderr}`);
}

/** An ssh session's processes may hold the mount a moment after the client ends. */
function unmount(target: string): void {
  for (let tries = 0; tries < 20; tries++) {
    if (spawnSync('umount', [target]).status === 0) return;
    spawnSync('sleep', ['0.5']);
  }
  sh('umount', '--lazy', target);
}

/**
 * What a unit writes for its own use (the archive packed to be sent, the archive fetched back and
 * its extracted copy) is removed when a later step of the unit fails or is interrupted: only the
 * state and the listing of the last archive sent stay in the pair's metadata directory. An upload
 * that fails removes its partial on the other host too.
 */
describe.runIf(canRun)('the scratch of a unit whose step after the pack or the extraction fails', () => {
  const sshd = serverPerSuite(startSshd);
  let box: Sandbox;
  let args: string[];
  const mounted: string[] = [];
  beforeEach(() => {
    box = makeSandbox('polyarchiv-scratch-failures-');
    box.write({
      'config/site.collect': SITE,
      'config/offsite.backup': [
        '[point]',
        'engine = archive',
        `remote_url = root@127.0.0.1:{root}/remote/{name}.tar.gz`,
        `private_key = ${sshd().clientKey}`,
        `ssh_options = ${sshd().sshOptions} -p ${sshd().port}`,
        '',
      ].join('\n'),
      ...Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`data/f${i}.txt`, `${i}\n`.repeat(100)])),
    });
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
  });
  afterEach(() => {
    for (const target of mounted.splice(0)) unmount(target);
    box.remove();
  });

  const pairDir = () => box.path('collect/site/metadata/remote-offsite/remote');
  const sent = () => readFileSync(box.path('remote/site.tar.gz'));

  /** The remote directory, read-only from now on (a bind mount of itself). */
  function readOnly(dir: string): void {
    sh('mount', '--bind', dir, dir);
    mounted.push(dir);
    sh('mount', '-o', 'remount,bind,ro', dir);
  }

  /** The remote directory, a small tmpfs filled by everything the previous backup left room for. */
  function fullDisk(dir: string): void {
    const held = readdirSync(dir).map((name) => [name, readFileSync(`${dir}/${name}`)] as const);
    sh('mount', '-t', 'tmpfs', '-o', 'size=2m', 'polyarchiv-test', dir);
    mounted.push(dir);
    for (const [name, bytes] of held) writeFileSync(`${dir}/${name}`, bytes);
    try {
      writeFileSync(`${dir}/filler`, Buffer.alloc(1_900_000));
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
  }

  for (const how of ['apply', 'script'] as const) {
    it(`removes the partial of an upload that filled the other host's disk (${how})`, () => {
      const first = run(box, how, 'backup', args);
      expect(first.code, first.stderr).toBe(0);
      const good = sent();
      // Random bytes: gzip cannot make them smaller than the room left.
      writeFileSync(box.path('data/f0.txt'), randomBytes(300_000).toString('base64'));
      fullDisk(box.path('remote'));

      const full = run(box, how, 'backup', args);
      expect(full.code).toBe(1);
      expect(full.stderr).toMatch(/No space left on device|failed with exit code 11:/);
      // The upload wrote its partial until the disk was full: the unit removed it by ssh.
      expect(readdirSync(box.path('remote')).sort()).toEqual(['filler', 'site.tar.gz']);
      expect(sent().equals(good)).toBe(true);
      expect(readdirSync(pairDir()).sort()).toEqual(['archive.listing', 'offsite.json']);
    }, 120_000);

    it(`removes the packed archive when SIGTERM interrupts its upload; the next upload replaces the partial (${how})`, async () => {
      const first = run(box, how, 'backup', args);
      expect(first.code, first.stderr).toBe(0);
      const good = sent();
      // Random bytes, sent at 100 KB/s: the upload runs for many seconds.
      writeFileSync(box.path('data/f0.txt'), randomBytes(1_500_000).toString('base64'));
      box.write({
        'config/tools.global': `[global]\nrsync_executable = ${box.path('slow-rsync')}\n`,
        'slow-rsync': `#!/bin/sh\ncase " $* " in *" --fsync "*) exec rsync --bwlimit=100 "$@" ;; esac\nexec rsync "$@"\n`,
      });
      chmodSync(box.path('slow-rsync'), 0o755);
      const partial = box.path('remote/.site.tar.gz.polyarchiv-partial');
      let started: ReturnType<typeof startRun>;
      if (how === 'apply') started = startRun(process.execPath, [CLI, 'backup', ...args]);
      else {
        writeScript(box.path('backup.sh'), 'backup', args);
        started = startRun('bash', [box.path('backup.sh')]);
      }
      await waitFor(
        () => existsSync(partial) && statSync(partial).size > 0,
        'the upload to write its partial',
      );
      started.child.kill('SIGTERM');
      const exit = await started.exited;
      expect(exit.code, exit.stderr).not.toBe(0);
      expect(exit.stderr).toContain('interrupted by SIGTERM');
      expect(sent().equals(good)).toBe(true);
      expect(readdirSync(pairDir()).sort()).toEqual(['archive.listing', 'offsite.json']);
      // No tool starts after a signal, a removal over ssh neither: the partial waits there for the
      // next upload, which writes it anew under the same name and renames it.
      expect(readdirSync(box.path('remote')).sort()).toEqual([
        '.site.tar.gz.polyarchiv-partial',
        'site.tar.gz',
      ]);
      rmSync(box.path('config/tools.global'));
      const next = run(box, how, 'backup', args);
      expect(next.code, next.stderr).toBe(0);
      expect(readdirSync(box.path('remote'))).toEqual(['site.tar.gz']);
      expect(readdirSync(pairDir()).sort()).toEqual(['archive.listing', 'offsite.json']);
    }, 120_000);

    it(`removes the packed archive when the ssh upload is refused (${how})`, () => {
      const first = run(box, how, 'backup', args);
      expect(first.code, first.stderr).toBe(0);
      const good = sent();
      writeFileSync(box.path('data/f0.txt'), 'changed\n');
      const data = fileContents(box.path('data'));
      readOnly(box.path('remote'));

      const refused = run(box, how, 'backup', args);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('Read-only file system');
      expect(refused.stderr).toMatch(/backup:offsite\/site.*offsite\.backup:3 \[point\]/s);
      // The pack succeeded: outgoing.tar.gz was there for the upload, and is gone with the unit.
      expect(readdirSync(pairDir()).sort()).toEqual(['archive.listing', 'offsite.json']);
      expect(sent().equals(good)).toBe(true);
      expect(readdirSync(box.path('remote'))).toEqual(['site.tar.gz']);
      expect(fileContents(box.path('data'))).toEqual(data);
    }, 120_000);

    it(`removes the fetched archive and its extracted copy when the copy from them is refused (${how})`, () => {
      const first = run(box, how, 'backup', args);
      expect(first.code, first.stderr).toBe(0);
      const good = sent();
      const data = fileContents(box.path('data'));
      // The collect point grew since: the archive's copy would remove most of its files.
      box.write(
        Object.fromEntries(
          Array.from({ length: 40 }, (_, i) => [
            `collect/site/backups/tree/new${i}.txt`,
            'new\n'.repeat(100),
          ]),
        ),
      );
      const collected = fileContents(box.path('collect/site/backups'));

      const refused = run(box, how, 'restore', args);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('would shrink by more than 50% (max_shrink_percent)');
      // Fetched, extracted, then refused: neither the archive nor its tree stays.
      expect(readdirSync(pairDir()).sort()).toEqual(['archive.listing', 'offsite.json']);
      expect(fileContents(box.path('collect/site/backups'))).toEqual(collected);
      expect(fileContents(box.path('data'))).toEqual(data);
      expect(sent().equals(good)).toBe(true);
    }, 120_000);
  }
});
