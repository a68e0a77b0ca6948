import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyServer, freePort, serverLog, stopChild, waitForPort } from './server-process.js';

/**
 * restic's REST protocol served by `rclone serve restic` from a temporary directory, on a free
 * loopback port: what `rest:http://127.0.0.1:PORT/NAME` repositories use. With `auth`, the server
 * asks for that user and password (basic authentication, from an htpasswd file: never on its own
 * command line, which the tests scan for passwords).
 */
export interface ResticRestServer {
  readonly dir: string;
  readonly port: number;
  /** `rest:` location of a repository named `name` (created by restic init), with the credentials. */
  url(name: string): string;
  log(): string;
  stop(): Promise<void>;
  /** Stops the server and removes its directory. */
  destroy(): Promise<void>;
}

export async function startResticRestServer(auth?: {
  readonly user: string;
  readonly password: string;
}): Promise<ResticRestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'polyarchiv-rclone-restic-'));
  const port = await freePort();
  const output = serverLog(dir, 'rclone.log');
  const htpasswd = join(dir, 'htpasswd');
  if (auth !== undefined)
    writeFileSync(
      htpasswd,
      `${auth.user}:{SHA}${createHash('sha1').update(auth.password).digest('base64')}\n`,
      { mode: 0o600 },
    );
  let child: ChildProcess | undefined = spawn(
    'rclone',
    [
      'serve',
      'restic',
      '--addr',
      `127.0.0.1:${port}`,
      '--config',
      '/dev/null',
      ...(auth === undefined ? [] : ['--htpasswd', htpasswd]),
      join(dir, 'repos'),
    ],
    { stdio: ['ignore', 'ignore', output.fd] },
  );
  const credentials =
    auth === undefined ? '' : `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.password)}@`;
  closeSync(output.fd);
  const server: ResticRestServer = {
    dir,
    port,
    url: (name) => `rest:http://${credentials}127.0.0.1:${port}/${name}`,
    log: output.read,
    async stop() {
      const running = child;
      child = undefined;
      await stopChild(running);
    },
    destroy: () => destroyServer(server, dir),
  };
  await waitForPort(port, child, output.read);
  return server;
}
