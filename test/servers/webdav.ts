import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveTools } from '../helpers/tools.js';
import { HTTP_PASSWORD, LIGHTTPD } from './git-http.js';
import { restartable } from './restartable.js';
import { freePort, serverLog } from './server-process.js';
import { makeTestCa } from './test-ca.js';

/** Debian's lighttpd-mod-webdav installs the module here. */
const MOD_WEBDAV = '/usr/lib/lighttpd/mod_webdav.so';

export function haveWebdav(): boolean {
  const tools = haveTools(LIGHTTPD, 'rclone', 'curl', 'openssl');
  if (!existsSync(MOD_WEBDAV) && process.env.CI === 'true')
    throw new Error(
      `CI=true and ${MOD_WEBDAV} is missing (scripts/system-deps.sh installs lighttpd-mod-webdav)`,
    );
  return tools && existsSync(MOD_WEBDAV);
}

/**
 * A WebDAV server for the tests: lighttpd's mod_webdav on a free loopback port, serving `root`
 * read-write behind basic authentication (a plain user file), as a hosted WebDAV share would.
 */
export interface WebdavServer {
  readonly port: number;
  /** The directory the server shares: `/x` in a URL is `root/x`. */
  readonly root: string;
  readonly user: string;
  readonly password: string;
  /** `http(s)://USER:PASSWORD@127.0.0.1:PORT` with the password %-encoded, without a final slash. */
  readonly baseUrl: string;
  /** The CA bundle that verifies the server (https only): the suite's own CA. */
  readonly certificate: string;
  log(): string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * `tls`: https with a certificate for 127.0.0.1 issued by the suite's own CA (`certificate`), through
 * lighttpd's mod_openssl. `user`: the login (default `backup`).
 */
export async function startWebdav(
  options: { readonly tls?: boolean; readonly user?: string } = {},
): Promise<WebdavServer> {
  const dir = mkdtempSync(join(tmpdir(), 'polyarchiv-webdav-'));
  const port = await freePort();
  const root = join(dir, 'root');
  mkdirSync(root);
  // The CA's certificate is the bundle a client verifies the server with.
  const ca = options.tls === true ? makeTestCa(dir) : undefined;
  const issued = ca?.server('server');
  const scheme = issued === undefined ? 'http' : 'https';
  const user = options.user ?? 'backup';
  writeFileSync(join(dir, 'users'), `${user}:${HTTP_PASSWORD}\n`, { mode: 0o600 });
  const config = join(dir, 'lighttpd.conf');
  writeFileSync(
    config,
    [
      `server.document-root = "${root}"`,
      `server.port = ${port}`,
      'server.bind = "127.0.0.1"',
      `server.errorlog = "${join(dir, 'error.log')}"`,
      `server.modules = ("mod_auth", "mod_authn_file", "mod_webdav"${issued === undefined ? '' : ', "mod_openssl"'})`,
      ...(issued === undefined
        ? []
        : [
            'ssl.engine = "enable"',
            `ssl.pemfile = "${issued.certificate}"`,
            `ssl.privkey = "${issued.key}"`,
          ]),
      // The tests change the shared directory on disk too: lighttpd's stat cache would keep
      // listing a file's previous size for a second, and rclone then reads a corrupted transfer.
      'server.stat-cache-engine = "disable"',
      'webdav.activate = "enable"',
      'webdav.is-readonly = "disable"',
      `webdav.sqlite-db-name = "${join(dir, 'locks.db')}"`,
      'auth.backend = "plain"',
      `auth.backend.plain.userfile = "${join(dir, 'users')}"`,
      'auth.require = ("" => ("method" => "basic", "realm" => "dav", "require" => "valid-user"))',
      '',
    ].join('\n'),
  );
  const output = serverLog(dir, 'stderr.log');
  const log = () => {
    const file = join(dir, 'error.log');
    return output.read() + (existsSync(file) ? readFileSync(file, 'utf8') : '');
  };
  const server: WebdavServer = {
    port,
    root,
    user,
    password: HTTP_PASSWORD,
    baseUrl: `${scheme}://${encodeURIComponent(user)}:${encodeURIComponent(HTTP_PASSWORD)}@127.0.0.1:${port}`,
    certificate: ca?.ca ?? '',
    log,
    // -D: the test owns the process.
    ...restartable(dir, port, output.fd, log, () =>
      spawn(LIGHTTPD, ['-D', '-f', config], { stdio: ['ignore', 'ignore', output.fd] }),
    ),
  };
  await server.start();
  return server;
}
