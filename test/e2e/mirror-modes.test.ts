import { chmodSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { sandboxesPerTest } from '../helpers/sandbox.js';
import { configureOffsite, REMOTE_DIR, runAs } from '../helpers/service-targets.js';
import { haveTools } from '../helpers/tools.js';
import { modesOf, shapeTree } from '../helpers/tree-modes.js';
import { type FtpServer, haveFtp, startFtp } from '../servers/ftp.js';
import { haveS3, type S3Server, startS3 } from '../servers/s3.js';
import { haveWebdav, startWebdav, type WebdavServer } from '../servers/webdav.js';

const tools = haveTools('rsync', 'flock', 'bash', 'sort', 'find', 'xargs');

/** A server of mirrors as these tests use it: the URL of a path there, the lines after remote_url. */
interface MirrorServer {
  url(path: string): string;
  readonly lines: readonly string[];
}

/**
 * A mirror on a server that keeps no modes, owners nor empty directories gives them back on a
 * restore, from the manifest it carries, through apply and through the script.
 */
function mirrorModesTests(server: () => MirrorServer, name: string): void {
  const sandbox = sandboxesPerTest();
  const prepare = (path: string) => {
    const box = sandbox(`polyarchiv-mirror-modes-${name}-`);
    box.write({ 'data/plain.txt': 'plain\n' });
    // No tab in a name: lighttpd refuses one.
    shapeTree(box.path('data'), false);
    // A directory of the server for each test (and each retry).
    const url = server().url(`${basename(box.root)}/${path}`);
    return {
      box,
      args: configureOffsite(box, ['engine = synchronize', `remote_url = ${url}`, ...server().lines]),
    };
  };

  for (const how of ['apply', 'script'] as const) {
    it(`modes, owners and empty directories come back, and the live empty directories stay (${how})`, () => {
      const { box, args } = prepare('{name}');
      const backup = runAs(box, how, 'backup', args);
      expect(backup.code, backup.stderr).toBe(0);
      // What the manifest was sorted from, and the manifest once sent, are gone with the unit.
      expect(
        (readdirSync(box.path('collect'), { recursive: true }) as string[]).filter((path) =>
          /(^|\/)modes(\.listing)?$/.test(path),
        ),
      ).toEqual([]);
      const saved = modesOf(box.path('data'));
      // A rebuilt collect point, and live data whose modes someone changed since.
      rmSync(box.path('collect'), { recursive: true });
      chmodSync(box.path('data/sub/secret.txt'), 0o666);
      chmodSync(box.path('data/sub'), 0o777);
      const restore = runAs(box, how, 'restore', [...args, '--from', 'offsite']);
      expect(restore.code, restore.stdout + restore.stderr).toBe(0);
      expect(modesOf(box.path('data'))).toEqual(saved);
      expect(modesOf(box.path('collect/site/backups/tree'))).toEqual(saved);
      // The manifest is the mirror's, not the collect point's.
      expect(existsSync(box.path('collect/site/backups/.polyarchiv-modes'))).toBe(false);
      // The next backup finds the mirror as it left it.
      const again = runAs(box, how, 'backup', args);
      expect(again.code, again.stderr).toBe(0);
    }, 120_000);

    it(`restore --at of a dated mirror gives the modes of that day (${how})`, () => {
      const { box, args } = prepare('{Y}-{m}-{d} [{name}]');
      const days: Record<string, string[]> = {};
      for (const day of ['01', '02']) {
        if (day === '02') {
          chmodSync(box.path('data/sub/secret.txt'), 0o600);
          chmodSync(box.path('data/sub/empty'), 0o700);
          rmSync(box.path('data/lone'), { recursive: true });
        }
        writeFileSync(box.path('data/day.txt'), `${day}\n`);
        const backup = runAs(box, how, 'backup', [...args, '--now', `2026-03-${day}T03:00:00+01:00`]);
        expect(backup.code, backup.stderr).toBe(0);
        days[day] = modesOf(box.path('data'));
      }
      rmSync(box.path('collect'), { recursive: true });
      rmSync(box.path('data'), { recursive: true });
      const restore = runAs(box, how, 'restore', [
        ...args,
        '--from',
        'offsite',
        '--at',
        '2026-03-01T23:59:59+01:00',
      ]);
      expect(restore.code, restore.stdout + restore.stderr).toBe(0);
      expect(modesOf(box.path('data'))).toEqual(days['01']);
    }, 120_000);
  }
}

describe('a mirror on WebDAV, FTP or S3 keeps .polyarchiv-modes at its top', () => {
  const sandbox = sandboxesPerTest();

  it('refuses a source that would write there, at its line, writing nothing', () => {
    const box = sandbox('polyarchiv-mirror-modes-config-');
    box.write({
      'config/site.collect': [
        '[point]',
        'engine = files',
        'local_path = {root}/collect',
        '',
        '[source "x"]',
        'engine = local_files',
        'source_path = {root}/data',
        'destination_path = .polyarchiv-modes',
        '',
      ].join('\n'),
      'config/offsite.backup': '[point]\nengine = synchronize\nremote_url = s3://bucket/{name}\n',
      'data/file.txt': 'file\n',
    });
    const run = runCli(['backup', '-C', box.path('config'), '--set', `root=${box.root}`]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `destination_path '.polyarchiv-modes' of source "x" is inside .polyarchiv-modes, which the mirror of backup point "offsite" keeps at its top`,
    );
    expect(run.stderr).toContain('at site.collect:8 [source "x"]');
    expect(run.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    expect(existsSync(box.path('collect'))).toBe(false);
  });
});

describe.runIf(tools && haveWebdav())('mirror modes on a WebDAV server (lighttpd mod_webdav)', () => {
  let dav: WebdavServer;
  beforeAll(async () => {
    dav = await startWebdav();
  });
  afterAll(async () => {
    await dav?.destroy();
  });
  mirrorModesTests(
    () => ({ url: (path) => `${dav.baseUrl}/${encodeURI(REMOTE_DIR)}/${path}`, lines: [] }),
    'webdav',
  );
});

describe.runIf(tools && haveFtp())('mirror modes on an FTP server (pyftpdlib)', () => {
  let ftp: FtpServer;
  beforeAll(async () => {
    ftp = await startFtp();
  });
  afterAll(async () => {
    await ftp?.destroy();
  });
  mirrorModesTests(
    () => ({ url: (path) => `${ftp.baseUrl}/${encodeURI(REMOTE_DIR)}/${path}`, lines: [] }),
    'ftp',
  );
});

describe.runIf(tools && haveS3())('mirror modes in an S3 bucket (s3rver)', () => {
  let s3: S3Server;
  beforeAll(async () => {
    s3 = await startS3();
  });
  afterAll(async () => {
    await s3?.destroy();
  });
  mirrorModesTests(
    () => ({
      url: (path) => `s3://${s3.bucket}/${encodeURI(REMOTE_DIR)}/${path}`,
      lines: [
        `endpoint_url = ${s3.endpoint}`,
        `access_key_id = ${s3.accessKeyId}`,
        `secret_access_key = ${s3.secretAccessKey}`,
      ],
    }),
    's3',
  );
});
