import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveTools } from '../helpers/tools.js';
import { HTTP_PASSWORD } from './git-http.js';
import { restartable } from './restartable.js';
import { freePort, serverLog } from './server-process.js';
import { makeTestCa } from './test-ca.js';

/** Debian's python3 (not a virtualenv's), where python3-pyftpdlib is installed. */
const PYTHON = '/usr/bin/python3';
const PYFTPDLIB = '/usr/lib/python3/dist-packages/pyftpdlib';
const SERVER = fileURLToPath(new URL('./ftp-server.py', import.meta.url));

/** pyftpdlib's TLS handler needs pyOpenSSL (Debian's python3-openssl). */
const PYOPENSSL = '/usr/lib/python3/dist-packages/OpenSSL';

/** `tls`: also what an FTPS server needs (pyOpenSSL, and openssl to make its certificate). */
export function haveFtp(options: { readonly tls?: boolean } = {}): boolean {
  const tls = options.tls === true;
  const tools = haveTools(PYTHON, 'rclone', ...(tls ? ['openssl'] : []));
  const modules: [string, string][] = [[PYFTPDLIB, 'python3-pyftpdlib']];
  if (tls) modules.push([PYOPENSSL, 'python3-openssl']);
  const missing = modules.filter(([path]) => !existsSync(path));
  if (missing.length > 0 && process.env.CI === 'true')
    throw new Error(
      `CI=true and ${missing.map(([path]) => path).join(', ')} missing (scripts/system-deps.sh installs ${missing.map(([, pkg]) => pkg).join(', ')})`,
    );
  return tools && missing.length === 0;
}

/** An FTP server for the tests: pyftpdlib on a free loopback port, serving `root` to one user. */
export interface FtpServer {
  readonly port: number;
  readonly root: string;
  /** Where the user anonymous writes, when the server lets it log in (`anonymous`); else ''. */
  readonly anonymousRoot: string;
  readonly user: string;
  readonly password: string;
  /** `ftp(s)://USER:PASSWORD@127.0.0.1:PORT` with the password %-encoded, without a final slash. */
  readonly baseUrl: string;
  /** The CA bundle that verifies the server (FTPS only): the suite's own CA. */
  readonly certificate: string;
  log(): string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * `tls`: explicit FTPS (AUTH TLS required before the login, data connections protected), with a
 * certificate for 127.0.0.1 issued by the suite's own CA. `anonymous`: the user anonymous may log
 * in too, with any password, and write into `anonymousRoot`.
 */
export async function startFtp(
  options: { readonly tls?: boolean; readonly anonymous?: boolean } = {},
): Promise<FtpServer> {
  const dir = mkdtempSync(join(tmpdir(), 'polyarchiv-ftp-'));
  const ca = options.tls === true ? makeTestCa(dir) : undefined;
  const issued = ca?.server('server');
  const scheme = issued === undefined ? 'ftp' : 'ftps';
  const port = await freePort();
  const root = join(dir, 'root');
  mkdirSync(root);
  const anonymousRoot = options.anonymous === true ? join(dir, 'anonymous') : '';
  if (anonymousRoot !== '') mkdirSync(anonymousRoot);
  const user = 'backup';
  const output = serverLog(dir, 'ftp.log');
  const server: FtpServer = {
    port,
    root,
    anonymousRoot,
    user,
    password: HTTP_PASSWORD,
    certificate: ca?.ca ?? '',
    baseUrl: `${scheme}://${user}:${encodeURIComponent(HTTP_PASSWORD)}@127.0.0.1:${port}`,
    log: output.read,
    ...restartable(dir, port, output.fd, output.read, () => {
      const tlsFiles = issued === undefined ? [] : [issued.certificate, issued.key];
      const started = spawn(PYTHON, [SERVER, root, String(port), user, ...tlsFiles], {
        stdio: ['pipe', 'ignore', output.fd],
        env: anonymousRoot === '' ? process.env : { ...process.env, POLYARCHIV_FTP_ANONYMOUS: anonymousRoot },
      });
      started.stdin?.end(`${HTTP_PASSWORD}\n`);
      return started;
    }),
  };
  await server.start();
  return server;
}
