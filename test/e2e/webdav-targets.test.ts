import { existsSync, rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { metadataUrlTests } from '../helpers/metadata-url-suite.js';
import { ODD_FILES, SERVED_FILES, writeTree } from '../helpers/odd-files.js';
import { rcloneUpload } from '../helpers/rclone-upload.js';
import { remoteFilesServiceTests } from '../helpers/remote-files-service-suite.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { remoteFilesLoginTests, serviceLoginTests } from '../helpers/service-login-suite.js';
import { filesOf, type ServiceServer } from '../helpers/service-server.js';
import { serviceTargetTests } from '../helpers/service-suite.js';
import { configureOffsite, REMOTE_DIR, remoteFilesSite, runAs } from '../helpers/service-targets.js';
import { unverifiedServerTests } from '../helpers/tls-suite.js';
import { haveTools } from '../helpers/tools.js';
import { archiveTree, fileContents, snapshotTree } from '../helpers/tree.js';
import { haveWebdav, startWebdav, type WebdavServer } from '../servers/webdav.js';

const canRun = haveWebdav() && haveTools('flock', 'bash', 'sha256sum', 'tar', 'gzip', 'zstd');

describe.runIf(canRun)('backup points on a WebDAV server (lighttpd mod_webdav, rclone, curl)', () => {
  let dav: WebdavServer;
  let service: ServiceServer;
  beforeAll(async () => {
    dav = await startWebdav();
    service = {
      password: dav.password,
      refused: /401 Unauthorized/,
      lines: [],
      url: (path) => `${dav.baseUrl}/${encodeURI(REMOTE_DIR)}/${path}`,
      plainLines: (path, secret = dav.password) => [
        `remote_url = http://${dav.user}@127.0.0.1:${dav.port}/${encodeURI(REMOTE_DIR)}/${path}`,
        `password = ${secret}`,
      ],
      ...filesOf(dav.root),
      upload: (path, bytes) =>
        rcloneUpload(
          `:webdav:/${REMOTE_DIR}/${path}`,
          { RCLONE_WEBDAV_URL: `http://127.0.0.1:${dav.port}`, RCLONE_WEBDAV_USER: dav.user },
          bytes,
          { variable: 'RCLONE_WEBDAV_PASS', value: dav.password },
        ),
      stop: () => dav.stop(),
      start: () => dav.start(),
    };
  });
  afterAll(async () => {
    await dav?.destroy();
  });
  serviceTargetTests(() => service, 'webdav');
  serviceLoginTests(() => service, 'webdav');
  remoteFilesLoginTests(() => service, 'webdav');
  metadataUrlTests(() => service, 'webdav');
  remoteFilesServiceTests(() => service, 'webdav');
});

describe.runIf(canRun)('backup points on a WebDAV server over https: ca_cert', () => {
  const the = useDavCase({ tls: true }, 'polyarchiv-webdav-tls-');
  afterEach(() => rmSync(`${the.dav.root}/tls`, { recursive: true, force: true }));

  const configure = (caCert: readonly string[]) =>
    configureOffsite(the.box, [
      'engine = archive',
      `remote_url = ${the.dav.baseUrl}/tls/{name}.tar.gz`,
      ...caCert,
    ]);

  for (const how of ['apply', 'script'] as const)
    it(`verifies the server with the CA bundle of ca_cert, and restores (${how})`, () => {
      const args = configure([`ca_cert = ${the.dav.certificate}`]);
      archiveRoundTrip(the.box, how, args, `${the.dav.root}/tls/site.tar.gz`);
    }, 120_000);

  for (const how of ['apply', 'script'] as const)
    it(`remote_files verifies an https source with ca_cert, and fetches nothing from an unverified one (${how})`, () => {
      writeTree(`${the.dav.root}/tls/origin`, SERVED_FILES);
      const args = ['-C', the.box.path('config'), '--set', `root=${the.box.root}`];
      const copy = the.box.path('collect/site/backups/web');
      const source = (caCert: readonly string[]) =>
        the.box.write({
          'config/site.collect': remoteFilesSite([`source_url = ${the.dav.baseUrl}/tls/origin`, ...caCert]),
        });
      source([`ca_cert = ${the.dav.certificate}`]);
      const verified = runAs(the.box, how, 'backup', args);
      expect(verified.code, verified.stderr).toBe(0);
      expect(fileContents(copy)).toEqual(fileContents(`${the.dav.root}/tls/origin`));
      source([]);
      const refused = runAs(the.box, how, 'backup', args);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/certificate signed by unknown authority/);
      expect(fileContents(copy)).toEqual(fileContents(`${the.dav.root}/tls/origin`));
    }, 120_000);

  unverifiedServerTests(
    () => ({
      url: (path) => `${the.dav.baseUrl}/tls/${path}`,
      stored: (path) => `${the.dav.root}/tls/${path}`,
      clear: () => rmSync(`${the.dav.root}/tls`, { recursive: true, force: true }),
    }),
    'webdav-tls',
  );
});

describe.runIf(canRun)('backup points on a WebDAV server whose login is an e-mail address', () => {
  const LOGIN = 'me@example.org';
  const the = useDavCase({ user: LOGIN }, 'polyarchiv-webdav-login-');

  for (const how of ['apply', 'script'] as const)
    it(`reads the user name up to the password, never shows the password, backs up and restores (${how})`, () => {
      const { dav, box } = the;
      // The user name as written, its @ unescaped; the password %-escaped, as it holds / and ?.
      const password = encodeURIComponent(dav.password);
      const url = `http://${LOGIN}:${password}@127.0.0.1:${dav.port}/login-${how}/{name}.tar.gz`;
      const args = configureOffsite(box, ['engine = archive', `remote_url = ${url}`]);
      const shown = runCli(['config', '--show', ...args]).stdout + runCli(['plan', ...args]).stdout;
      expect(shown).toContain(`http://${LOGIN}:***@127.0.0.1`);
      expect(shown).not.toContain(password);
      const output = archiveRoundTrip(box, how, args, `${dav.root}/login-${how}/site.tar.gz`);
      expect(output).not.toContain(password);
    }, 120_000);
});

/** A WebDAV server for the calling `describe`, and for each of its tests a sandbox holding the odd-name tree. */
function useDavCase(options: Parameters<typeof startWebdav>[0], prefix: string) {
  const the = {} as { dav: WebdavServer; box: Sandbox };
  beforeAll(async () => {
    the.dav = await startWebdav(options);
  });
  afterAll(async () => {
    await the.dav?.destroy();
  });
  beforeEach(() => {
    the.box = makeSandbox(prefix);
    writeTree(the.box.path('data'), ODD_FILES);
  });
  afterEach(() => the.box.remove());
  return the;
}

/**
 * A backup through `how` into the archive at `archive` (as the server stores it), then a restore of
 * it onto a collect point whose copy is gone: each must succeed and the trees match. Their output.
 */
function archiveRoundTrip(box: Sandbox, how: 'apply' | 'script', args: string[], archive: string): string {
  const backup = runAs(box, how, 'backup', args);
  expect(backup.code, backup.stderr).toBe(0);
  expect(archiveTree(archive)).toEqual(snapshotTree(box.path('collect/site/backups')));
  rmSync(box.path('collect/site/backups'), { recursive: true });
  const restore = runAs(box, how, 'restore', args);
  expect(restore.code, restore.stderr).toBe(0);
  expect(fileContents(box.path('collect/site/backups/tree'))).toEqual(fileContents(box.path('data')));
  return backup.stdout + backup.stderr + restore.stdout + restore.stderr;
}

describe('WebDAV, FTP and S3 targets: configuration errors at their line, exit 2, nothing written', () => {
  function plan(url: string, engine = 'archive', extra: readonly string[] = []) {
    const box = makeSandbox('polyarchiv-service-targets-config-');
    try {
      box.write({
        'config/site.collect': `[point]\nengine = files\nlocal_path = ${box.path('collect')}\n`,
        'config/offsite.backup': [`[point]`, `engine = ${engine}`, `remote_url = ${url}`, ...extra, ''].join(
          '\n',
        ),
      });
      const result = runCli(['backup', '-C', box.path('config')]);
      return { ...result, wrote: existsSync(box.path('collect')) };
    } finally {
      box.remove();
    }
  }

  it.each([
    ['http:///srv/a.tar.gz', /expected http:\/\/host\[:port\]\/path .*, with a host/],
    ['https://host:99999/a.tar.gz', /with a port between 1 and 65535/],
    ['https://:secret@host/a.tar.gz', /a user name before the password/],
    ['https://host/a.tar.gz?x=1', /with \? and # %-escaped/],
    ['https://host/srv/a.tar', /is not a \.tar\.gz, \.tar\.bz2, \.tar\.xz or \.tar\.zst file/],
    ['webdav://host/a.tar.gz', /webdav:\/\/ is not available/],
    ['ftp:///srv/a.tar.gz', /expected ftp:\/\/host\[:port\]\/path .*, with a host/],
    ['ftps://host:0/a.tar.gz', /with a port between 1 and 65535/],
    ['s3:///key.tar.gz', /expected s3:\/\/bucket\/key/],
    ['s3://Bad_Bucket/key.tar.gz', /expected s3:\/\/bucket\/key/],
  ])('refuses %s', (url, message) => {
    const result = plan(url);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('offsite.backup:3 [point]');
    expect(result.stderr).not.toContain('secret');
    expect(result.wrote).toBe(false);
  });

  it('refuses a WebDAV mirror of the server root directory', () => {
    const result = plan('https://host/', 'synchronize');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/is the root directory/);
  });

  it('refuses an S3 endpoint_url with credentials in it', () => {
    const result = plan('s3://bucket/a.tar.gz', 'archive', [
      'endpoint_url = https://me:secret@s3.example.net',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/bad value for option 'endpoint_url'/);
    expect(result.stderr).toContain('offsite.backup:4 [point]');
    expect(result.stderr).not.toContain('secret');
  });

  it('refuses a password given twice', () => {
    const result = plan('https://me:one@host/a.tar.gz', 'archive', ['password = two']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/remote_url holds a password and option password is set too/);
    expect(result.stderr).toContain('offsite.backup:4 [point]');
    expect(result.stderr).not.toMatch(/one|two/);
  });
});
