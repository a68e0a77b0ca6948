import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveTools } from '../helpers/tools.js';
import { HTTP_PASSWORD } from './git-http.js';
import { freePort } from './postgresql.js';
import { restartable } from './restartable.js';
import { serverLog } from './sshd.js';

/** Debian's python3 (not a virtualenv's), where python3-pyftpdlib is installed. */
const PYTHON = '/usr/bin/python3';
const PYFTPDLIB = '/usr/lib/python3/dist-packages/pyftpdlib';
const SERVER = fileURLToPath(new URL('./ftp-server.py', import.meta.url));

export function haveFtp(): boolean {
  const tools = haveTools(PYTHON, 'rclone');
  if (!existsSync(PYFTPDLIB) && process.env.CI === 'true')
    throw new Error(
      `CI=true and ${PYFTPDLIB} is missing (scripts/system-deps.sh installs python3-pyftpdlib)`,
    );
  return tools && existsSync(PYFTPDLIB);
}

/** An FTP server for the tests: pyftpdlib on a free loopback port, serving `root` to one user. */
export interface FtpServer {
  readonly port: number;
  readonly root: string;
  readonly user: string;
  readonly password: string;
  /** `ftp://USER:PASSWORD@127.0.0.1:PORT` with the password %-encoded, without a final slash. */
  readonly baseUrl: string;
  log(): string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startFtp(): Promise<FtpServer> {
  const dir = mkdtempSync(join(tmpdir(), 'polyarchiv-ftp-'));
  const port = await freePort();
  const root = join(dir, 'root');
  mkdirSync(root);
  const user = 'backup';
  const output = serverLog(dir, 'ftp.log');
  const server: FtpServer = {
    port,
    root,
    user,
    password: HTTP_PASSWORD,
    baseUrl: `ftp://${user}:${encodeURIComponent(HTTP_PASSWORD)}@127.0.0.1:${port}`,
    log: output.read,
    ...restartable(dir, port, output.fd, output.read, () => {
      const started = spawn(PYTHON, [SERVER, root, String(port), user], {
        stdio: ['pipe', 'ignore', output.fd],
      });
      started.stdin?.end(`${HTTP_PASSWORD}\n`);
      return started;
    }),
  };
  await server.start();
  return server;
}
