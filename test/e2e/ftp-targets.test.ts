import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ftpService, haveFtpTools } from '../helpers/ftp-service.js';
import { metadataUrlTests } from '../helpers/metadata-url-suite.js';
import { writeTree } from '../helpers/odd-files.js';
import { remoteFilesServiceTests } from '../helpers/remote-files-service-suite.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { remoteFilesLoginTests, serviceLoginTests } from '../helpers/service-login-suite.js';
import type { ServiceServer } from '../helpers/service-server.js';
import { serviceTargetTests } from '../helpers/service-suite.js';
import { configureOffsite, runAs } from '../helpers/service-targets.js';
import { type FtpServer, haveFtp, startFtp } from '../servers/ftp.js';

const tools = haveFtpTools();

describe.runIf(haveFtp() && tools)('backup points on an FTP server (pyftpdlib, rclone)', () => {
  let ftp: FtpServer;
  let service: ServiceServer;
  beforeAll(async () => {
    ftp = await startFtp();
    service = ftpService(ftp, []);
  });
  afterAll(async () => {
    await ftp?.destroy();
  });
  serviceTargetTests(() => service, 'ftp');
  serviceLoginTests(() => service, 'ftp');

  describe('without a password', () => {
    let box: Sandbox;
    beforeEach(() => {
      box = makeSandbox('polyarchiv-ftp-no-password-');
      writeTree(box.path('data'), { 'notes.txt': 'n\n' });
    });
    afterEach(() => box.remove());

    for (const how of ['apply', 'script'] as const)
      it(`reaches the server, whose refusal names the option to set in the section (${how})`, () => {
        const [url] = service.plainLines('{name}.tar.gz');
        const args = configureOffsite(box, ['engine = archive', url as string]);
        const run = runAs(box, how, 'backup', args);
        expect(run.code, run.stderr).toBe(1);
        expect(run.stderr).toContain('530 Authentication failed');
        expect(run.stderr).toContain(
          "without a password: option 'password' is not set in the section at offsite.backup:1 [point]",
        );
      }, 120_000);
  });

  // rclone names a file that failed first on its ERROR line (`ERROR : tree/a: 530 b: Failed to
  // copy: ...`): only the server's 530 answer to the login, after the address rclone dialled, is one.
  describe('a failure that is not a refused login', () => {
    let box: Sandbox;
    beforeEach(() => {
      box = makeSandbox('polyarchiv-ftp-not-login-');
      writeTree(box.path('data'), { '530 notes': 'n\n', 'a: 530 b': 'b\n' });
    });
    afterEach(() => {
      box.remove();
      service.clear();
    });

    for (const how of ['apply', 'script'] as const)
      it(`is not said as one, whatever the names of the files (${how})`, () => {
        // Directories where the files go: the server refuses each upload (550 Is a directory).
        for (const name of ['530 notes', 'a: 530 b'])
          mkdirSync(service.stored(`site/tree/${name}/kept`), { recursive: true });
        const args = configureOffsite(box, ['engine = synchronize', ...service.plainLines('{name}')]);
        const run = runAs(box, how, 'backup', args);
        expect(run.code, run.stderr).toBe(1);
        expect(run.stderr).toContain('ERROR : tree/a: 530 b: Failed to copy');
        expect(run.stderr).toContain('550 Is a directory');
        expect(run.stderr).not.toMatch(/refused/);
      }, 120_000);
  });
  remoteFilesLoginTests(() => service, 'ftp');
  metadataUrlTests(() => service, 'ftp');
  remoteFilesServiceTests(() => service, 'ftp');
});

// A URL without a user logs in as anonymous, without a password: rclone, given none, would fail
// before it reached the server ("input too short"), so it is given the empty one.
describe.runIf(haveFtp() && tools)('an anonymous FTP server (pyftpdlib, rclone)', () => {
  let ftp: FtpServer;
  let box: Sandbox;
  beforeAll(async () => {
    ftp = await startFtp({ anonymous: true });
  });
  afterAll(async () => {
    await ftp?.destroy();
  });
  beforeEach(() => {
    box = makeSandbox('polyarchiv-ftp-anonymous-');
    writeTree(box.path('data'), { 'notes.txt': 'n\n', 'sub/more.txt': 'm\n' });
  });
  afterEach(() => {
    box.remove();
    rmSync(join(ftp.anonymousRoot, 'public'), { recursive: true, force: true });
  });

  for (const how of ['apply', 'script'] as const)
    it(`takes an archive and a mirror without a user or a password, and a restore reads them back (${how})`, () => {
      const url = (path: string) => `remote_url = ftp://127.0.0.1:${ftp.port}/public/${path}`;
      const args = configureOffsite(box, ['engine = archive', url('{name}.tar.gz')]);
      box.write({
        'config/mirror.backup': ['[point]', 'engine = synchronize', url('mirror/{name}'), ''].join('\n'),
      });
      const run = runAs(box, how, 'backup', args);
      expect(run.code, run.stderr).toBe(0);
      expect(readdirSync(join(ftp.anonymousRoot, 'public')).sort()).toEqual(['mirror', 'site.tar.gz']);
      expect(readFileSync(join(ftp.anonymousRoot, 'public/mirror/site/tree/sub/more.txt'), 'utf8')).toBe(
        'm\n',
      );
      rmSync(box.path('data'), { recursive: true });
      const restored = runAs(box, how, 'restore', args);
      expect(restored.code, restored.stderr).toBe(0);
      expect(readFileSync(box.path('data/notes.txt'), 'utf8')).toBe('n\n');
      expect(readFileSync(box.path('data/sub/more.txt'), 'utf8')).toBe('m\n');
    }, 120_000);
});
