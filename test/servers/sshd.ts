import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveTools } from '../helpers/tools.js';
import { destroyServer, freePort, stopChild, waitForPort } from './server-process.js';

/**
 * A private OpenSSH server for the tests: never the system-wide service. It listens on a free
 * loopback port, with a host key and a client key generated in its own temp dir, key logins only.
 * The suite runs as root, so it logs in as root (PermitRootLogin prohibit-password).
 */
export const SSHD = '/usr/sbin/sshd';

export function haveSshd(): boolean {
  return haveTools(SSHD, 'ssh', 'ssh-keygen', 'rsync');
}

export interface SshServer {
  readonly dir: string;
  readonly port: number;
  /** The client's private key, in a directory named with a space and quotes (it must reach ssh as one word). */
  readonly clientKey: string;
  /** A key sshd does not know. */
  readonly wrongKey: string;
  /** ssh_options for polyarchiv: the host key is pinned through a generated known_hosts file. */
  readonly sshOptions: string;
  /** What sshd logged (to a file of its directory, with -E), for failure messages. */
  log(): string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the server and removes its directory. */
  destroy(): Promise<void>;
}

/**
 * A server that logs users in with Kerberos only (GSSAPI): `env` names the realm's configuration
 * (KRB5_CONFIG), `hostKeytab` holds the key of host/127.0.0.1, the name ssh asks a ticket for.
 */
export interface SshdKerberos {
  readonly env: Readonly<Record<string, string>>;
  readonly hostKeytab: string;
}

/**
 * The capabilities that let root ignore file modes. A server started without them (boundByModes)
 * serves root's sessions as it would serve any other user's: a directory its modes deny is
 * denied, as on a server where the backup's user is not the files' owner.
 */
const MODE_OVERRIDES = '-dac_override,-dac_read_search';

export async function startSshd(kerberos?: SshdKerberos, boundByModes = false): Promise<SshServer> {
  // sshd refuses to start without its privilege separation directory.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(join(tmpdir(), 'polyarchiv-sshd-'));
  const port = await freePort();
  const keys = join(dir, `client's "keys"`);
  mkdirSync(keys, { mode: 0o700 });
  const hostKey = join(dir, 'host_ed25519');
  const clientKey = join(keys, 'id_ed25519');
  const wrongKey = join(keys, 'wrong_ed25519');
  for (const file of [hostKey, clientKey, wrongKey]) keygen(file);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`), { mode: 0o600 });
  const hostPub = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostPub}\n`);
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      // restic's sftp: repositories.
      'Subsystem sftp internal-sftp',
      'LogLevel VERBOSE',
      ...(kerberos === undefined
        ? []
        : [
            'GSSAPIAuthentication yes',
            'GSSAPIStrictAcceptorCheck no',
            'AuthenticationMethods gssapi-with-mic',
          ]),
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  const logFile = join(dir, 'sshd.log');
  const output = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const server: SshServer = {
    dir,
    port,
    clientKey,
    wrongKey,
    sshOptions: `-o StrictHostKeyChecking=yes -o UserKnownHostsFile=${join(dir, 'known_hosts')}`,
    log: output,
    async start() {
      // -D: stay in the foreground, so that the test owns the process; -E: log to a file (see serverLog).
      const env =
        kerberos === undefined
          ? process.env
          : { ...process.env, ...kerberos.env, KRB5_KTNAME: `FILE:${kerberos.hostKeytab}` };
      const sshd = [SSHD, '-D', '-E', logFile, '-f', config];
      const [program = SSHD, ...args] = boundByModes
        ? ['setpriv', `--inh-caps=${MODE_OVERRIDES}`, `--bounding-set=${MODE_OVERRIDES}`, ...sshd]
        : sshd;
      const started = spawn(program, args, { stdio: 'ignore', env });
      child = started;
      await waitForPort(port, started, output);
    },
    async stop() {
      const running = child;
      child = undefined;
      await stopChild(running);
    },
    destroy: () => destroyServer(server, dir),
  };
  await server.start();
  return server;
}

function keygen(file: string): void {
  const result = spawnSync(
    'ssh-keygen',
    ['-q', '-t', 'ed25519', '-N', '', '-C', 'polyarchiv-test', '-f', file],
    {
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) throw new Error(`ssh-keygen failed: ${result.stderr}`);
}
