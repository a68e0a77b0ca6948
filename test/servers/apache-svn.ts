import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveTools } from '../helpers/tools.js';
import { restartable } from './restartable.js';
import { freePort, serverLog } from './server-process.js';
import { SVN_PASSWORD } from './svnserve.js';
import { type Issued, makeTestCa } from './test-ca.js';

const APACHE = '/usr/sbin/apache2';
const MODULES = '/usr/lib/apache2/modules';
/** Debian's libapache2-mod-svn. */
const MOD_DAV_SVN = `${MODULES}/mod_dav_svn.so`;

export function haveApacheSvn(): boolean {
  const tools = haveTools(APACHE, 'openssl', 'svn', 'svnadmin');
  if (!existsSync(MOD_DAV_SVN) && process.env.CI === 'true')
    throw new Error(
      `CI=true and ${MOD_DAV_SVN} is missing (scripts/system-deps.sh installs libapache2-mod-svn)`,
    );
  return tools && existsSync(MOD_DAV_SVN);
}

/** Subversion repositories served over https by Apache's mod_dav_svn, behind basic authentication. */
export interface ApacheSvnServer {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** The CA bundle that verifies the server: the suite's own CA. */
  readonly ca: string;
  /** `https://USER:PASSWORD@127.0.0.1:PORT/svn/NAME` with the password %-encoded. */
  url(name: string, password?: string): string;
  /** A new repository served at /svn/NAME; its path on disk. */
  createRepository(name: string): string;
  /** A client certificate signed by the suite's CA, as PKCS#12 encrypted with `password`. */
  clientCertificate(name: string, password: string): string;
  log(): string;
  destroy(): Promise<void>;
}

/** Apache drops root for its requests: the repositories then belong to that user. */
const RUN_AS = process.getuid?.() === 0 ? 'www-data' : undefined;

/**
 * Starts Apache in the foreground (`-X`: one process, which the test owns) from a configuration of
 * its own (ServerRoot, PidFile, log and port in a temporary directory, nothing of /etc/apache2),
 * on a loopback port with a certificate for 127.0.0.1 from the suite's CA. `clientCertificates`:
 * the TLS handshake also requires a client certificate that CA signed (SSLVerifyClient require).
 */
export async function startApacheSvn(
  options: { readonly clientCertificates?: boolean } = {},
): Promise<ApacheSvnServer> {
  const dir = mkdtempSync(join(tmpdir(), 'polyarchiv-apache-svn-'));
  // The user Apache serves as reaches the repositories through it (the keys stay 0600).
  chmodSync(dir, 0o711);
  const port = await freePort();
  const repositories = join(dir, 'repositories');
  mkdirSync(repositories);
  const ca = makeTestCa(dir);
  const issued = ca.server('server');
  const user = 'backup';
  const hashed = spawnSync('openssl', ['passwd', '-apr1', '-stdin'], {
    encoding: 'utf8',
    input: SVN_PASSWORD,
  });
  if (hashed.status !== 0) throw new Error(`openssl passwd: ${hashed.stderr}`);
  writeFileSync(join(dir, 'users'), `${user}:${hashed.stdout.trim()}\n`);
  const config = join(dir, 'httpd.conf');
  writeFileSync(
    config,
    apacheConfig(dir, port, issued, options.clientCertificates === true ? ca.ca : undefined),
  );
  const output = serverLog(dir, 'stderr.log');
  const log = () => {
    const file = join(dir, 'error.log');
    return output.read() + (existsSync(file) ? readFileSync(file, 'utf8') : '');
  };
  const server = restartable(dir, port, output.fd, log, () =>
    spawn(APACHE, ['-X', '-f', config], { stdio: ['ignore', 'ignore', output.fd] }),
  );
  await server.start();
  return {
    port,
    user,
    password: SVN_PASSWORD,
    ca: ca.ca,
    url: (name, password = SVN_PASSWORD) =>
      `https://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/svn/${name}`,
    createRepository(name) {
      const path = join(repositories, name);
      const made = spawnSync('svnadmin', ['create', path], { encoding: 'utf8' });
      if (made.status !== 0) throw new Error(`svnadmin create ${path}: ${made.stderr}`);
      if (RUN_AS !== undefined) spawnSync('chown', ['-R', `${RUN_AS}:`, path]);
      return path;
    },
    clientCertificate: (name, password) => ca.pkcs12(ca.client(name, user), name, password),
    log,
    destroy: () => server.destroy(),
  };
}

function apacheConfig(dir: string, port: number, issued: Issued, clientCa: string | undefined): string {
  const modules = ['mpm_prefork', 'authz_core', 'authn_core', 'authn_file', 'auth_basic', 'authz_user']
    .concat('dav', 'dav_svn', 'ssl')
    .map((name) => `LoadModule ${name}_module ${MODULES}/mod_${name}.so`);
  return [
    `ServerRoot "${dir}"`,
    `PidFile "${dir}/httpd.pid"`,
    `DefaultRuntimeDir "${dir}"`,
    `Mutex file:${dir} default`,
    `Listen 127.0.0.1:${port}`,
    'ServerName 127.0.0.1',
    `ErrorLog "${dir}/error.log"`,
    'LogLevel warn',
    ...modules,
    ...(RUN_AS === undefined ? [] : [`User ${RUN_AS}`, `Group ${RUN_AS}`]),
    'SSLEngine on',
    `SSLCertificateFile "${issued.certificate}"`,
    `SSLCertificateKeyFile "${issued.key}"`,
    ...(clientCa === undefined
      ? []
      : [`SSLCACertificateFile "${clientCa}"`, 'SSLVerifyClient require', 'SSLVerifyDepth 1']),
    '<Location /svn>',
    '  DAV svn',
    `  SVNParentPath "${dir}/repositories"`,
    '  AuthType Basic',
    '  AuthName "polyarchiv test"',
    `  AuthUserFile "${dir}/users"`,
    '  Require valid-user',
    '</Location>',
    '',
  ].join('\n');
}
