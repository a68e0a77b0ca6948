import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { serverPerSuite } from '../helpers/server-per-suite.js';
import { runAs } from '../helpers/service-targets.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';
import { TREE_SITE } from '../helpers/tree-site.js';
import { haveFtp, startFtp } from '../servers/ftp.js';
import { haveS3, startS3 } from '../servers/s3.js';
import { haveSshd, startSshd } from '../servers/sshd.js';

const HOWS = ['apply', 'script'] as const;

/**
 * A restore whose backup point, on another host or a server, holds no copy of the collect point
 * (the archive or the mirror removed there): the fetch fails with the backup point's words at the
 * line of remote_url, before the collect point is touched.
 */
function expectNoCopy(
  box: Sandbox,
  how: (typeof HOWS)[number],
  args: readonly string[],
  detail: string,
): void {
  const copy = fileContents(box.path('collect/site/backups'));
  const live = fileContents(box.path('data'));
  const restore = runAs(box, how, 'restore', args);
  expect(restore.code, restore.stderr).toBe(1);
  expect(restore.stderr).toContain(`backup point "bp" holds no copy of collect point "site": ${detail}\n`);
  expect(restore.stderr).toMatch(/failed with exit code \d+: step \d+ of \d+ at bp\.backup:3 \[point\]/);
  expect(restore.stderr).toMatch(/skipped +restore:site/);
  // Nothing is fetched, and what the tool found there is said in these words only: the message
  // follows the step that asked.
  expect(restore.stderr).not.toMatch(/rsync error|No such file or directory|ERROR :|Failed to /);
  expect(restore.stderr).toMatch(
    /\d+\/\d+ check that .* holds a copy of "site"\npolyarchiv: {3}backup point "bp" holds no copy/,
  );
  expect(fileContents(box.path('collect/site/backups'))).toEqual(copy);
  expect(fileContents(box.path('data'))).toEqual(live);
}

describe.runIf(haveTools('rsync', 'flock', 'bash', 'tar', 'gzip') && haveSshd())(
  'a fetch over ssh from a backup point that holds no copy',
  () => {
    const sshd = serverPerSuite(startSshd);
    let box: Sandbox;
    beforeEach(() => {
      box = makeSandbox('polyarchiv-no-copy-ssh-');
      box.write({ 'data/page.txt': 'page\n', 'config/site.collect': TREE_SITE });
    });
    afterEach(() => box.remove());

    const configure = (engine: string, path: string): string[] => {
      box.write({
        'config/bp.backup': [
          '[point]',
          `engine = ${engine}`,
          `remote_url = ssh://root@127.0.0.1:${sshd().port}{root}/${path}`,
          `private_key = ${sshd().clientKey}`,
          `ssh_options = ${sshd().sshOptions} -p ${sshd().port}`,
          '',
        ].join('\n'),
      });
      return ['-C', box.path('config'), '--set', `root=${box.root}`];
    };

    for (const how of HOWS) {
      it(`archive: an archive that is gone (${how})`, () => {
        const args = configure('archive', "it's archived/{name}.tar.gz");
        expect(runAs(box, how, 'backup', args).code).toBe(0);
        rmSync(box.path("it's archived/site.tar.gz"));
        expectNoCopy(box, how, args, `127.0.0.1:${box.path("it's archived/site.tar.gz")} is missing`);
      }, 60_000);

      it(`rolling_archive: the recorded archive is gone (${how})`, () => {
        const args = configure('rolling_archive', 'rolled/{name}-{Y}{m}{d}{H}{M}{S}.tar.gz');
        expect(runAs(box, how, 'backup', args).code).toBe(0);
        const [name = ''] = readdirSync(box.path('rolled'));
        rmSync(box.path('rolled', name));
        expectNoCopy(box, how, args, `127.0.0.1:${box.path('rolled', name)} is missing`);
      }, 60_000);

      it(`rolling_archive: a series whose directory is not there, with no state here (${how})`, () => {
        const args = configure('rolling_archive', 'never written/{name}-{Y}{m}{d}{H}{M}{S}.tar.gz');
        expect(runAs(box, how, 'backup', args).code).toBe(0);
        // As on a rebuilt machine pointed at a backup point that was never written to.
        rmSync(box.path('never written'), { recursive: true });
        rmSync(box.path('collect/site/metadata/remote-bp/remote/bp.json'));
        expectNoCopy(
          box,
          how,
          [...args, '--from', 'bp'],
          `127.0.0.1:${box.path('never written')} is missing`,
        );
      }, 60_000);
    }
  },
);

describe.runIf(haveTools('flock', 'bash', 'tar', 'gzip') && haveFtp())(
  'a fetch from an FTP server that holds no copy',
  () => {
    const ftp = serverPerSuite(startFtp);
    let box: Sandbox;
    beforeEach(() => {
      box = makeSandbox('polyarchiv-no-copy-ftp-');
      box.write({ 'data/page.txt': 'page\n', 'config/site.collect': TREE_SITE });
    });
    afterEach(() => box.remove());

    const configure = (engine: string, path: string): string[] => {
      box.write({
        'config/bp.backup': [
          '[point]',
          `engine = ${engine}`,
          `remote_url = ftp://${ftp().user}@127.0.0.1:${ftp().port}/${path}`,
          `password = ${ftp().password}`,
          '',
        ].join('\n'),
      });
      return ['-C', box.path('config'), '--set', `root=${box.root}`];
    };
    const shown = (path: string) => `ftp://127.0.0.1:${ftp().port}/${path}`;

    for (const how of HOWS) {
      it(`rolling_archive: a series whose directory is not there, with no state here (${how})`, () => {
        const args = configure('rolling_archive', 'never/{name}-{Y}{m}{d}{H}{M}{S}.tar.gz');
        expect(runAs(box, how, 'backup', args).code).toBe(0);
        rmSync(`${ftp().root}/never`, { recursive: true });
        rmSync(box.path('collect/site/metadata/remote-bp/remote/bp.json'));
        expectNoCopy(box, how, [...args, '--from', 'bp'], `${shown('never')} is missing`);
      }, 60_000);

      it(`archive: an archive that is gone, a server that is down (${how})`, async () => {
        const args = configure('archive', 'archived/{name}.tar.gz');
        expect(runAs(box, how, 'backup', args).code).toBe(0);
        rmSync(`${ftp().root}/archived/site.tar.gz`);
        expectNoCopy(box, how, args, `${shown('archived/site.tar.gz')} is missing`);
        // A server that cannot be reached is not taken for a missing copy.
        await ftp().stop();
        try {
          const unreachable = runAs(box, how, 'restore', args);
          expect(unreachable.code).toBe(1);
          expect(unreachable.stderr).not.toContain('holds no copy');
          expect(unreachable.stderr).toMatch(/connection refused/);
        } finally {
          await ftp().start();
        }
      }, 60_000);

      it(`synchronize: a mirror directory that is gone (${how})`, () => {
        const args = configure('synchronize', 'mirrored/{name}');
        expect(runAs(box, how, 'backup', args).code).toBe(0);
        rmSync(`${ftp().root}/mirrored/site`, { recursive: true });
        expectNoCopy(box, how, args, `${shown('mirrored/site')} is missing`);
      }, 60_000);

      it(`synchronize: an emptied mirror (${how})`, () => {
        const args = configure('synchronize', 'mirrored/{name}');
        expect(runAs(box, how, 'backup', args).code).toBe(0);
        rmSync(`${ftp().root}/mirrored/site`, { recursive: true });
        mkdirSync(`${ftp().root}/mirrored/site`);
        expectNoCopy(box, how, args, `the mirror at ${shown('mirrored/site')} holds nothing`);
      }, 60_000);
    }
  },
);

describe.runIf(haveTools('flock', 'bash', 'tar', 'gzip') && haveS3())(
  'a fetch from an S3 bucket that holds no copy',
  () => {
    const s3 = serverPerSuite(startS3);
    let box: Sandbox;
    beforeEach(() => {
      box = makeSandbox('polyarchiv-no-copy-s3-');
      box.write({ 'data/page.txt': 'page\n', 'config/site.collect': TREE_SITE });
    });
    afterEach(() => box.remove());

    const configure = (engine: string, path: string): string[] => {
      box.write({
        'config/bp.backup': [
          '[point]',
          `engine = ${engine}`,
          `remote_url = s3://${s3().bucket}/${path}`,
          `endpoint_url = ${s3().endpoint}`,
          `access_key_id = ${s3().accessKeyId}`,
          `secret_access_key = ${s3().secretAccessKey}`,
          '',
        ].join('\n'),
      });
      return ['-C', box.path('config'), '--set', `root=${box.root}`];
    };
    /** Where the objects below `prefix` of the bucket are kept. */
    const stored = (prefix: string) => `${s3().directory}/${s3().bucket}/${prefix}`;

    for (const how of HOWS) {
      it(`synchronize: a mirror that is gone is found so before anything is fetched (${how})`, () => {
        const path = `${basename(box.root)}/mirrored/{name}`;
        const args = configure('synchronize', path);
        expect(runAs(box, how, 'backup', args).code).toBe(0);
        rmSync(stored(`${basename(box.root)}/mirrored/site`), { recursive: true });
        expectNoCopy(box, how, args, `s3://${s3().bucket}/${basename(box.root)}/mirrored/site is missing`);
        // The check came first: nothing was made aside for the fetch.
        expect(existsSync(box.path('collect/site/metadata/remote-bp/remote/extracted'))).toBe(false);
      }, 60_000);
    }
  },
);
