import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveTools } from '../helpers/tools.js';
import { restartable } from './restartable.js';
import { freePort, serverLog } from './server-process.js';

const SERVER = fileURLToPath(new URL('./s3-server.mjs', import.meta.url));

export function haveS3(): boolean {
  return haveTools('rclone');
}

/**
 * An S3-compatible server for the tests: the npm package s3rver, in its own process on a free
 * loopback port, keeping each object as a file (`KEY._S3rver_object`) below `directory/BUCKET`.
 * It knows one access key id, S3RVER; s3rver does not verify version 4 signatures, so a front in
 * the same process checks them with `secretAccessKey` and refuses a wrong one as S3 does.
 */
export interface S3Server {
  readonly port: number;
  readonly endpoint: string;
  readonly bucket: string;
  readonly directory: string;
  /** The one key id s3rver knows (it refuses others). */
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  log(): string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startS3(): Promise<S3Server> {
  const dir = mkdtempSync(join(tmpdir(), 'polyarchiv-s3-'));
  const port = await freePort();
  const directory = join(dir, 'data');
  mkdirSync(directory);
  const output = serverLog(dir, 's3rver.log');
  const bucket = 'backups';
  const secretAccessKey = `s3cr3t/key+$(id) 'q' "dq" ✓`;
  const server: S3Server = {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    directory,
    accessKeyId: 'S3RVER',
    secretAccessKey,
    log: output.read,
    ...restartable(dir, port, output.fd, output.read, () =>
      spawn(process.execPath, [SERVER, directory, String(port), bucket], {
        stdio: ['ignore', 'ignore', output.fd],
        env: { ...process.env, POLYARCHIV_TEST_S3_SECRET: secretAccessKey },
      }),
    ),
  };
  await server.start();
  return server;
}
