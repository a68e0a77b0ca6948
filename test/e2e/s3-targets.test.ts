import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { metadataUrlTests } from '../helpers/metadata-url-suite.js';
import { rcloneUpload } from '../helpers/rclone-upload.js';
import { type ServiceServer, serviceTargetTests } from '../helpers/service-suite.js';
import { REMOTE_DIR } from '../helpers/service-targets.js';
import { haveTools } from '../helpers/tools.js';
import { archiveTree } from '../helpers/tree.js';
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
  metadataUrlTests(() => service, 's3');
});
