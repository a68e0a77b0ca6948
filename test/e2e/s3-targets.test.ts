import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { asMetadataLines, metadataUrlTests } from '../helpers/metadata-url-suite.js';
import { ODD_FILES, writeTree } from '../helpers/odd-files.js';
import { rcloneUpload } from '../helpers/rclone-upload.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { remoteFilesLoginTests, serviceLoginTests } from '../helpers/service-login-suite.js';
import type { ServiceServer } from '../helpers/service-server.js';
import { serviceTargetTests } from '../helpers/service-suite.js';
import { configureOffsite, REMOTE_DIR, remoteFilesSite, runAs } from '../helpers/service-targets.js';
import { haveTools } from '../helpers/tools.js';
import { archiveTree, fileContents, snapshotTree } from '../helpers/tree.js';
import { haveS3, type S3Server, startS3 } from '../servers/s3.js';

const canRun = haveS3() && haveTools('flock', 'bash', 'sha256sum', 'tar', 'gzip', 'zstd');

/** s3rver keeps each object as KEY._S3rver_object, beside its checksum and metadata files. */
const OBJECT = '._S3rver_object';

/** The objects below `dir` by key, each as its digest (an archive: what it holds). */
function objects(dir: string, prefix = ''): Record<string, string> {
  const found: Record<string, string> = {};
  if (!existsSync(dir)) return found;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) Object.assign(found, objects(path, `${prefix}${name}/`));
    else if (name.endsWith(OBJECT)) {
      const key = `${prefix}${name.slice(0, -OBJECT.length)}`;
      found[key] = /\.tar\.(gz|zst)$/.test(key)
        ? JSON.stringify(archiveTree(path))
        : createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  }
  return found;
}

// The server checks each request's signature with its secret key (see startS3): a wrong
// secret_access_key is refused as S3 refuses it.
describe.runIf(canRun)('backup points in an S3 bucket (s3rver, rclone)', () => {
  let s3: S3Server;
  let service: ServiceServer;
  beforeAll(async () => {
    s3 = await startS3();
    const stored = (path = '') =>
      `${s3.directory}/${s3.bucket}/${REMOTE_DIR}${path === '' ? '' : `/${path}${OBJECT}`}`;
    const credentials = (secret: string) => [
      `endpoint_url = ${s3.endpoint}`,
      `access_key_id = ${s3.accessKeyId}`,
      `secret_access_key = ${secret}`,
    ];
    service = {
      password: s3.secretAccessKey,
      refused: /SignatureDoesNotMatch/,
      lines: credentials(s3.secretAccessKey),
      url: (path) => `s3://${s3.bucket}/${encodeURI(REMOTE_DIR)}/${path}`,
      plainLines: (path, secret = s3.secretAccessKey) => [
        `remote_url = s3://${s3.bucket}/${encodeURI(REMOTE_DIR)}/${path}`,
        ...credentials(secret),
      ],
      stored,
      read: (path) => readFileSync(stored(path)),
      upload: (path, bytes) =>
        rcloneUpload(
          `:s3:${s3.bucket}/${REMOTE_DIR}/${path}`,
          {
            RCLONE_S3_PROVIDER: 'Other',
            RCLONE_S3_ENDPOINT: s3.endpoint,
            RCLONE_S3_ACCESS_KEY_ID: s3.accessKeyId,
            RCLONE_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
            // As for polyarchiv's own rclone: the AWS SDK inside fails on a CA bundle from the environment.
            AWS_CA_BUNDLE: '',
          },
          bytes,
        ),
      exists: (path) => existsSync(stored(path)),
      list: () =>
        existsSync(stored())
          ? readdirSync(stored())
              .filter((name) => name.endsWith(OBJECT))
              .map((name) => name.slice(0, -OBJECT.length))
              .sort()
          : [],
      tree: (prefix) => objects(`${stored()}/${prefix}`),
      clear: () => rmSync(stored(), { recursive: true, force: true }),
      stop: () => s3.stop(),
      start: () => s3.start(),
    };
  });
  afterAll(async () => {
    await s3?.destroy();
  });
  serviceTargetTests(() => service, 's3');
  serviceLoginTests(() => service, 's3');
  remoteFilesLoginTests(() => service, 's3');
  metadataUrlTests(() => service, 's3');

  describe('without keys of its own', () => {
    let box: Sandbox;
    beforeEach(() => {
      box = makeSandbox('polyarchiv-s3-env-');
      writeTree(box.path('data'), ODD_FILES);
    });
    afterEach(() => {
      box.remove();
      service.clear();
    });
    const lines = () => [
      'engine = archive',
      `remote_url = s3://${s3.bucket}/${encodeURI(REMOTE_DIR)}/{name}.tar.gz`,
      `endpoint_url = ${s3.endpoint}`,
    ];
    /** A run with the AWS variables in its environment, as the aws command reads them. */
    const withAws = (how: 'apply' | 'script', args: readonly string[], secret: string) => {
      const saved = { ...process.env };
      Object.assign(process.env, { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: secret });
      try {
        return runAs(box, how, 'backup', args);
      } finally {
        for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'])
          if (saved[name] === undefined) delete process.env[name];
          else process.env[name] = saved[name];
      }
    };

    for (const how of ['apply', 'script'] as const)
      it(`signs with the AWS credentials of the environment (${how})`, () => {
        const args = configureOffsite(box, lines());
        const refused = withAws(how, args, 'not the secret');
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(/SignatureDoesNotMatch/);
        const ran = withAws(how, args, s3.secretAccessKey);
        expect(ran.code, ran.stderr).toBe(0);
        expect(archiveTree(service.stored('site.tar.gz'))).toEqual(
          snapshotTree(box.path('collect/site/backups')),
        );
      }, 120_000);

    /** A run whose environment gives the AWS SDK no credentials: no variables, files or instance role. */
    const withoutAws = (how: 'apply' | 'script', args: readonly string[]) => {
      const saved = { ...process.env };
      for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'])
        delete process.env[name];
      Object.assign(process.env, {
        AWS_SHARED_CREDENTIALS_FILE: box.path('no-credentials'),
        AWS_CONFIG_FILE: box.path('no-config'),
        AWS_EC2_METADATA_DISABLED: 'true',
      });
      try {
        return runAs(box, how, 'backup', args);
      } finally {
        for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
        Object.assign(process.env, saved);
      }
    };

    for (const how of ['apply', 'script'] as const)
      it(`without credentials anywhere, names the options to set in the point's section (${how})`, () => {
        const run = withoutAws(how, configureOffsite(box, lines()));
        expect(run.code, run.stderr).toBe(1);
        expect(run.stderr).toMatch(/NoCredentialProviders/);
        expect(run.stderr).toContain(
          "no S3 credentials: the environment gives none (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ~/.aws/credentials, an instance role); set options 'access_key_id' and 'secret_access_key' in the section at offsite.backup:1 [point]",
        );
      }, 120_000);

    it('refuses a key id without its secret key, or the reverse, at its line', () => {
      for (const [line, message] of [
        ['access_key_id = S3RVER', "option 'access_key_id' is set without 'secret_access_key'"],
        ['secret_access_key = s3cr3t', "option 'secret_access_key' is set without 'access_key_id'"],
      ] as const) {
        const args = configureOffsite(box, [...lines(), line]);
        const result = runCli(['plan', ...args]);
        expect(result.code).toBe(2);
        expect(result.stderr).toContain(message);
        expect(result.stderr).toContain('offsite.backup:5 [point]');
        expect(result.stderr).toContain('the AWS credentials of the environment');
      }
    });
  });

  // A bucket is not a directory that the first upload creates: a name that no bucket has (a
  // misspelt one, one removed) is said as such, never read as "nothing was ever sent there".
  describe('a bucket that does not exist', () => {
    let box: Sandbox;
    beforeEach(() => {
      box = makeSandbox('polyarchiv-s3-bucket-');
      writeTree(box.path('data'), ODD_FILES);
    });
    afterEach(() => box.remove());

    const inBucket = (bucket: string, lines: readonly string[]) =>
      lines.map((line) => line.replace(`s3://${s3.bucket}/`, `s3://${bucket}/`));

    for (const how of ['apply', 'script'] as const)
      it(`fails a restore at the fetch, naming the bucket, changing nothing (${how})`, () => {
        const args = configureOffsite(box, ['engine = archive', ...service.plainLines('{name}.tar.gz')]);
        const backup = runAs(box, how, 'backup', args);
        expect(backup.code, backup.stderr).toBe(0);
        const before = snapshotTree(box.path('collect/site/backups'));
        const kept = `${s3.directory}/${s3.bucket}.kept`;
        renameSync(`${s3.directory}/${s3.bucket}`, kept);
        try {
          const restore = runAs(box, how, 'restore', args);
          expect(restore.code).toBe(1);
          expect(restore.stderr).toContain(`the bucket ${s3.bucket} does not exist`);
          expect(restore.stderr).not.toContain('the server holds no file');
          expect(restore.stderr).toMatch(/offsite\.backup:\d+ \[point\]/);
        } finally {
          renameSync(kept, `${s3.directory}/${s3.bucket}`);
        }
        expect(snapshotTree(box.path('collect/site/backups'))).toEqual(before);
        service.clear();
      }, 120_000);

    it('warns at metadata_url on a rebuilt machine, and the restore says why it finds nothing', () => {
      const args = configureOffsite(box, [
        'engine = rolling_archive',
        'remote_url = {root}/store/{name}-{Y}{m}{d}.tar.gz',
        ...asMetadataLines(inBucket('no-such-bucket', service.plainLines('meta/'))),
      ]);
      const warning =
        /metadata_url cannot be used: cannot read .*no-such-bucket.*: the bucket no-such-bucket does not exist/;
      const plan = runCli(['plan', '--restore', ...args]);
      expect(plan.stderr).toMatch(warning);
      expect(plan.stderr).toMatch(/offsite\.backup:4 \[point\]/);
      const restore = runCli(['restore', '--yes', ...args]);
      expect(restore.code).toBe(1);
      expect(restore.stderr).toMatch(warning);
      expect(restore.stderr).toContain(
        'no state file records a successful backup of site on any of its backup points',
      );
      // The backup is made; the run fails at the state it could not mirror, naming why.
      const backup = runCli(['backup', ...args, '--now', '2026-03-01T03:00:00+01:00']);
      expect(backup.code).toBe(1);
      expect(backup.stderr).toMatch(warning);
      expect(backup.stderr).toMatch(/ok\s+backup:offsite\/site/);
      expect(backup.stderr).toMatch(
        /cannot run: state of backup point offsite of site, mirrored to .*no-such-bucket/,
      );
      expect(existsSync(box.path('store/site-20260301.tar.gz'))).toBe(true);
      expect(existsSync(`${s3.directory}/no-such-bucket`)).toBe(false);
    }, 120_000);
  });

  // An S3 server stores objects, not files: the tests put and read them as a client does.
  describe('a remote_files source in the bucket', () => {
    let box: Sandbox;
    beforeEach(() => {
      box = makeSandbox('polyarchiv-s3-source-');
    });
    afterEach(() => {
      box.remove();
      service.clear();
    });
    const put = (key: string, text: string) => service.upload(`origin/${key}`, Buffer.from(text));
    const copied = () => fileContents(box.path('collect/site/backups/web'));
    const encoded = (files: Record<string, string>) =>
      Object.fromEntries(
        Object.entries(files).map(([key, text]) => [key, Buffer.from(text).toString('base64')]),
      );
    const configure = () => {
      box.write({
        'config/site.collect': remoteFilesSite(
          service.plainLines('origin').map((line) => line.replace(/^remote_url/, 'source_url')),
        ),
      });
      return ['-C', box.path('config'), '--set', `root=${box.root}`];
    };

    for (const how of ['apply', 'script'] as const)
      it(`fetches the prefix, then what changed, and a restore puts the copy back (${how})`, () => {
        const files = {
          'index.html': '<p>home</p>\n',
          'with space.txt': 'spaced\n',
          'sub/dir/deep.txt': 'deep\n',
        };
        for (const [key, text] of Object.entries(files)) put(key, text);
        const args = configure();
        const plan = runCli(['plan', ...args]);
        expect(plan.stdout).not.toContain(s3.secretAccessKey);
        const first = runAs(box, how, 'backup', args);
        expect(first.code, first.stderr).toBe(0);
        expect(copied()).toEqual(encoded(files));

        put('index.html', '<p>changed</p>\n');
        const second = runAs(box, how, 'backup', args);
        expect(second.code, second.stderr).toBe(0);
        expect(copied()).toEqual(encoded({ ...files, 'index.html': '<p>changed</p>\n' }));
        expect(`${second.stdout}${second.stderr}`).not.toContain(s3.secretAccessKey);

        // Objects changed and added since the backup: the restore makes the prefix the copy again.
        put('index.html', '<p>defaced</p>\n');
        put('added.txt', 'not in the backup\n');
        const restore = runAs(box, how, 'restore', args);
        expect(restore.code, restore.stderr).toBe(0);
        expect(service.read('origin/index.html').toString()).toBe('<p>changed</p>\n');
        expect(service.read('origin/sub/dir/deep.txt').toString()).toBe('deep\n');
        expect(service.exists('origin/added.txt')).toBe(false);
      }, 120_000);

    // The guard's figures of what the server holds (`rclone size`) reach the objects below a prefix
    // that holds only prefixes, which s3rver's per-directory listing skips (the sync lists with
    // --fast-list for that reason): a restore that would delete most of them is refused.
    for (const how of ['apply', 'script'] as const)
      it(`judges a restore by every object below the prefix, nested ones too (${how})`, () => {
        put('sub/dir/kept.txt', 'kept\n');
        const args = configure();
        const first = runAs(box, how, 'backup', args);
        expect(first.code, first.stderr).toBe(0);

        // Objects added since the backup: the restore would delete three of the four.
        for (const n of [1, 2, 3]) put(`sub/dir/added${n}.txt`, `added ${n}\n`);
        const refused = runAs(box, how, 'restore', args);
        expect(refused.code).toBe(1);
        expect(`${refused.stdout}${refused.stderr}`).toMatch(
          /would shrink by more than 50% \(max_shrink_percent\): files: 4 now, 1 incoming; bytes: \d+ now, \d+ incoming/,
        );
        expect(service.exists('origin/sub/dir/added1.txt')).toBe(true);

        const allowed = runAs(box, how, 'restore', [...args, '--allow-shrink']);
        expect(allowed.code, allowed.stderr).toBe(0);
        expect(service.tree('origin')).toEqual({ 'sub/dir/kept.txt': expect.any(String) });
      }, 120_000);
  });
});
