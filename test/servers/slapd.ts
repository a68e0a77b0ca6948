import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeTree } from '../helpers/remove-tree.js';

/**
 * A private OpenLDAP slapd for the tests: cn=config generated with `slapadd -n 0` in a temporary
 * directory, one mdb database (dc=example,dc=org) in `data/`, listening only on an ldapi:// socket
 * there. As root it runs as the openldap user, like Debian's, so that restores must give the
 * rebuilt files back to that owner; otherwise it runs as the current user.
 */
export interface Slapd {
  readonly root: string;
  readonly configDir: string;
  readonly dataDir: string;
  readonly url: string;
  /** The commands the ldap source runs to stop and start this server, as config values. */
  readonly stopCommand: string;
  readonly startCommand: string;
  start(): void;
  stop(): void;
  isRunning(): boolean;
  /** ldapadd/ldapmodify/ldapdelete an LDIF text as the server's root (SASL EXTERNAL). */
  modify(tool: 'ldapadd' | 'ldapmodify' | 'ldapdelete', ldif: string, ...args: string[]): void;
  /** The whole directory, entries and attributes sorted, operational attributes left out. */
  contents(): string;
  remove(): void;
}

export const SUFFIX = 'dc=example,dc=org';
const SLAPD = '/usr/sbin/slapd';
const asRoot = process.getuid?.() === 0;

export function startSlapd(): Slapd {
  const root = mkdtempSync(join(tmpdir(), 'polyarchiv-slapd-'));
  // slapd (openldap) must reach its socket and database below the 0700 mkdtemp directory.
  chmodSync(root, 0o755);
  const configDir = join(root, 'slapd.d');
  const dataDir = join(root, 'data');
  // The pid file is written after slapd dropped root: a directory of its own, given to it.
  const runDir = join(root, 'run');
  const socket = join(runDir, 'ldapi');
  const pidFile = join(runDir, 'slapd.pid');
  const url = `ldapi://${encodeURIComponent(socket)}`;
  mkdirSync(configDir);
  mkdirSync(runDir);
  mkdirSync(dataDir, { mode: 0o700 });
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  writeFileSync(join(root, 'config.ldif'), configLdif(runDir, dataDir, pidFile, uid, gid));
  must('slapadd', ['-n', '0', '-F', configDir, '-l', join(root, 'config.ldif')]);
  if (asRoot) {
    must('chown', ['-R', 'openldap:openldap', configDir, dataDir, runDir]);
  }
  const user = asRoot ? ' -u openldap -g openldap' : '';
  const startCommand = `${SLAPD} -F ${configDir} -h ${url}${user}`;
  // Waits until slapd is gone; --exec because start-stop-daemon, as root, trusts no pid file of another user.
  const stopCommand = `start-stop-daemon --stop --quiet --pidfile ${pidFile} --exec ${SLAPD} --retry TERM/20/KILL/5`;
  const ldapEnv = { ...process.env, LDAPTLS_REQCERT: 'never', LDAPSASL_NOCANON: 'on' };
  const server: Slapd = {
    root,
    configDir,
    dataDir,
    url,
    stopCommand,
    startCommand,
    start: () => must(SLAPD, startCommand.split(' ').slice(1)),
    stop: () => {
      spawnSync('start-stop-daemon', stopCommand.split(' ').slice(1).concat('--oknodo'));
    },
    // The root DSE answers even when the database is empty.
    isRunning: () =>
      spawnSync('ldapsearch', ['-Q', '-Y', 'EXTERNAL', '-H', url, '-s', 'base', '-b', ''], { env: ldapEnv })
        .status === 0,
    modify(tool, ldif, ...args) {
      const run = spawnSync(tool, ['-Q', '-Y', 'EXTERNAL', '-H', url, ...args], {
        input: ldif,
        env: ldapEnv,
        encoding: 'utf8',
      });
      if (run.status !== 0) throw new Error(`${tool} failed: ${run.stderr}`);
    },
    contents: () => sortedContents(url, ldapEnv),
    remove() {
      server.stop();
      removeTree(root);
    },
  };
  server.start();
  waitFor(server.isRunning);
  return server;
}

function configLdif(runDir: string, dataDir: string, pidFile: string, uid: number, gid: number): string {
  const manager = `gidNumber=${gid}+uidNumber=${uid},cn=peercred,cn=external,cn=auth`;
  return `dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: ${pidFile}
olcArgsFile: ${join(runDir, 'slapd.args')}

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif

include: file:///etc/ldap/schema/cosine.ldif

include: file:///etc/ldap/schema/nis.ldif

include: file:///etc/ldap/schema/inetorgperson.ldif

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcRootDN: ${manager}

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcDbDirectory: ${dataDir}
olcSuffix: ${SUFFIX}
olcRootDN: ${manager}
olcDbMaxSize: 33554432
`;
}

/** ldapsearch output reduced to a canonical form: entries sorted by DN, lines sorted inside each. */
function sortedContents(url: string, env: NodeJS.ProcessEnv): string {
  const run = spawnSync(
    'ldapsearch',
    ['-Q', '-LLL', '-o', 'ldif-wrap=no', '-Y', 'EXTERNAL', '-H', url, '-b', SUFFIX],
    {
      env,
      encoding: 'utf8',
    },
  );
  // 32, no such object: the suffix entry itself is gone, the directory is empty.
  if (run.status === 32) return '';
  if (run.status !== 0) throw new Error(`ldapsearch failed: ${run.stderr}`);
  return run.stdout
    .trim()
    .split(/\n\n+/)
    .map((entry) => entry.split('\n').sort().join('\n'))
    .sort()
    .join('\n\n');
}

function must(tool: string, args: readonly string[]): void {
  const run = spawnSync(tool, args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${run.status}): ${run.stderr}`);
}

function waitFor(ready: () => boolean): void {
  for (let i = 0; i < 100; i++) {
    if (ready()) return;
    spawnSync('sleep', ['0.1']);
  }
  throw new Error('slapd did not start');
}

/**
 * A small directory: organizational units, people with non-ASCII names (base64 in LDIF, as the
 * format wants), a binary jpegPhoto, and groups that point at the people.
 */
export function sampleLdif(): string {
  const entry = (dn: string, attributes: [string, string | Buffer][]) =>
    [`dn: ${dn}`, ...attributes.map(([name, value]) => ldifLine(name, value))].join('\n');
  const people: [string, string, string][] = [
    ['ada', 'Ada Lovelace', 'Lovelace'],
    ['zoe', 'Zoé Müller-Ørsted', 'Müller-Ørsted'],
    ['li', '李小龍', '李'],
    ['ash', "Ashley O'Brien, Jr.", "O'Brien"],
  ];
  const photo = Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 37 + 11) % 256));
  return [
    entry(SUFFIX, [
      ['objectClass', 'top'],
      ['objectClass', 'dcObject'],
      ['objectClass', 'organization'],
      ['o', 'Example'],
      ['dc', 'example'],
    ]),
    ...['people', 'groups', 'services'].map((ou) =>
      entry(`ou=${ou},${SUFFIX}`, [
        ['objectClass', 'organizationalUnit'],
        ['ou', ou],
      ]),
    ),
    ...people.map(([uid, cn, sn], i) =>
      entry(`uid=${uid},ou=people,${SUFFIX}`, [
        ['objectClass', 'inetOrgPerson'],
        ['uid', uid],
        ['cn', cn],
        ['sn', sn],
        ['mail', `${uid}@example.org`],
        ['description', `line one\nline two of ${cn}`],
        ...(i === 0 ? ([['jpegPhoto', photo]] as [string, Buffer][]) : []),
      ]),
    ),
    entry(`cn=staff,ou=groups,${SUFFIX}`, [
      ['objectClass', 'groupOfNames'],
      ['cn', 'staff'],
      ...people.map(([uid]) => ['member', `uid=${uid},ou=people,${SUFFIX}`] as [string, string]),
    ]),
    entry(`cn=admins,ou=groups,${SUFFIX}`, [
      ['objectClass', 'groupOfNames'],
      ['cn', 'admins'],
      ['member', `uid=ada,ou=people,${SUFFIX}`],
    ]),
  ]
    .join('\n\n')
    .concat('\n');
}

function ldifLine(name: string, value: string | Buffer): string {
  const safe =
    typeof value === 'string' && /^[\x21-\x39\x3b\x3d-\x7e][\x20-\x7e]*$/.test(value) && !value.endsWith(' ');
  return safe ? `${name}: ${value}` : `${name}:: ${Buffer.from(value).toString('base64')}`;
}
