import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './postgresql.js';
import { destroyServer, serverLog, stopChild, waitForPort } from './sshd.js';

/**
 * restic's REST protocol served by `rclone serve restic` from a temporary directory, on a free
 * loopback port, without authentication: what `rest:http://127.0.0.1:PORT/NAME` repositories use.
 */
export interface ResticRestServer {
  readonly dir: string;
  readonly port: number;
  /** `rest:` location of a repository named `name` (created by restic init). */
  url(name: string): string;
  log(): string;
  stop(): Promise<void>;
  /** Stops the server and removes its directory. */
  destroy(): Promise<void>;
}

export async function startResticRestServer(): Promise<ResticRestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'polyarchiv-rclone-restic-'));
  const port = await freePort();
  const output = serverLog(dir, 'rclone.log');
  let child: ChildProcess | undefined = spawn(
    'rclone',
    ['serve', 'restic', '--addr', `127.0.0.1:${port}`, '--config', '/dev/null', join(dir, 'repos')],
    { stdio: ['ignore', 'ignore', output.fd] },
  );
  closeSync(output.fd);
  const server: ResticRestServer = {
    dir,
    port,
    url: (name) => `rest:http://127.0.0.1:${port}/${name}`,
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
