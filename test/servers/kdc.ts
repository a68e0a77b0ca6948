import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveTools } from '../helpers/tools.js';
import { destroyServer, freePort, serverLog, stopChild, waitForPort } from './server-process.js';

/**
 * An MIT Kerberos KDC for the tests, never the system's: a realm of its own (database, stash and
 * configuration files in a temp dir, named by KRB5_CONFIG and KRB5_KDC_PROFILE) served by krb5kdc
 * in the foreground on a free loopback port. Principals get random keys, exported to keytabs with
 * kadmin.local, as an administrator would do for a backup account.
 */
export const KRB5KDC = '/usr/sbin/krb5kdc';

export function haveKdc(): boolean {
  return haveTools(KRB5KDC, 'kdb5_util', 'kadmin.local', 'k5start', 'kinit', 'klist');
}

export interface Kdc {
  readonly realm: string;
  readonly port: number;
  /** KRB5_CONFIG: what every Kerberos client of the tests reads to find the realm. */
  readonly env: Readonly<Record<string, string>>;
  /** A new principal with a random key, written to a new keytab at `path`. */
  addPrincipal(name: string, path: string): void;
  deletePrincipal(name: string): void;
  /** What krb5kdc logged (to a file of its directory), for failure messages. */
  log(): string;
  destroy(): Promise<void>;
}

export const REALM = 'POLYARCHIV.TEST';

export async function startKdc(): Promise<Kdc> {
  const dir = mkdtempSync(join(tmpdir(), 'polyarchiv-kdc-'));
  const port = await freePort();
  const krb5Conf = join(dir, 'krb5.conf');
  writeFileSync(
    krb5Conf,
    [
      '[libdefaults]',
      `  default_realm = ${REALM}`,
      '  dns_lookup_kdc = false',
      '  dns_lookup_realm = false',
      '  rdns = false',
      // Where a client with no KRB5CCNAME would keep its tickets: the tests look there too.
      `  default_ccache_name = FILE:${join(dir, 'default-ccache')}`,
      '[realms]',
      `  ${REALM} = {`,
      `    kdc = 127.0.0.1:${port}`,
      '  }',
      '',
    ].join('\n'),
  );
  const kdcConf = join(dir, 'kdc.conf');
  writeFileSync(
    kdcConf,
    [
      '[kdcdefaults]',
      `  kdc_listen = 127.0.0.1:${port}`,
      `  kdc_tcp_listen = 127.0.0.1:${port}`,
      '[realms]',
      `  ${REALM} = {`,
      `    database_name = ${join(dir, 'principal')}`,
      `    key_stash_file = ${join(dir, 'stash')}`,
      `    acl_file = ${join(dir, 'kadm5.acl')}`,
      '  }',
      '[logging]',
      `  kdc = FILE:${join(dir, 'kdc.log')}`,
      '',
    ].join('\n'),
  );
  const env = { KRB5_CONFIG: krb5Conf, KRB5_KDC_PROFILE: kdcConf };
  const admin = (...args: string[]) => {
    const result = spawnSync(args[0] as string, args.slice(1), {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
    if (result.status !== 0) throw new Error(`${args.join(' ')}: ${result.stdout}${result.stderr}`);
  };
  const query = (command: string) => admin('kadmin.local', '-r', REALM, '-q', command);
  admin('kdb5_util', 'create', '-s', '-r', REALM, '-P', 'polyarchiv-test-master-key');
  const stderr = serverLog(dir, 'krb5kdc.stderr');
  // -n: stay in the foreground, so that the test owns the process.
  const child: ChildProcess = spawn(KRB5KDC, ['-n', '-r', REALM], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', stderr.fd],
  });
  closeSync(stderr.fd);
  await waitForPort(port, child, stderr.read);
  const server = {
    stop: () => stopChild(child),
  };
  return {
    realm: REALM,
    port,
    env: { KRB5_CONFIG: krb5Conf },
    addPrincipal(name, path) {
      query(`addprinc -randkey ${name}`);
      query(`ktadd -k ${path} ${name}`);
    },
    deletePrincipal: (name) => query(`delprinc -force ${name}`),
    log: () => (existsSync(join(dir, 'kdc.log')) ? readFileSync(join(dir, 'kdc.log'), 'utf8') : ''),
    destroy: () => destroyServer(server, dir),
  };
}
