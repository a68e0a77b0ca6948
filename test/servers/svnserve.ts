import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveTools } from '../helpers/tools.js';
import { destroyProcess, freePort, serverLog, waitForPort } from './server-process.js';

/**
 * svnserve for the tests, on a free loopback port: repositories created below its root (`-r`),
 * each refusing anonymous access and checking a user and password against a password db, so that
 * checkouts and commits go through the authentication a real deployment would use.
 */
export function haveSvnserve(): boolean {
  return haveTools('svnserve', 'svnadmin', 'svn');
}

export interface SvnServer {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** `svn://USER:PASSWORD@127.0.0.1:PORT/NAME` with the password %-encoded. */
  url(name: string, password?: string): string;
  /** A new repository served at svn://127.0.0.1:PORT/NAME; its path on disk. */
  createRepository(name: string): string;
  log(): string;
  destroy(): Promise<void>;
}

/** What a careless URL, shell line or configuration file would break on. */
export const SVN_PASSWORD = `p@ss:w/rd $(id) 'q' "dq" %41 ✓`;

export async function startSvnserve(): Promise<SvnServer> {
  const dir = mkdtempSync(join(tmpdir(), 'polyarchiv-svnserve-'));
  const port = await freePort();
  const user = 'backup';
  const stderr = serverLog(dir, 'stderr.log');
  // --foreground with -d: the test owns the process; its log goes to a file, never to a pipe.
  const child: ChildProcess = spawn(
    'svnserve',
    [
      '-d',
      '--foreground',
      '--listen-host',
      '127.0.0.1',
      '--listen-port',
      String(port),
      '-r',
      dir,
      '--log-file',
      join(dir, 'svnserve.log'),
    ],
    { stdio: ['ignore', 'ignore', stderr.fd] },
  );
  closeSync(stderr.fd);
  await waitForPort(port, child, stderr.read);
  return {
    port,
    user,
    password: SVN_PASSWORD,
    url: (name, password = SVN_PASSWORD) =>
      `svn://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${name}`,
    createRepository(name) {
      const path = join(dir, name);
      const made = spawnSync('svnadmin', ['create', path], { encoding: 'utf8' });
      if (made.status !== 0) throw new Error(`svnadmin create ${path}: ${made.stderr}`);
      writeFileSync(
        join(path, 'conf/svnserve.conf'),
        '[general]\nanon-access = none\nauth-access = write\npassword-db = passwd\nrealm = polyarchiv-test\n',
      );
      writeFileSync(join(path, 'conf/passwd'), `[users]\n${user} = ${SVN_PASSWORD}\n`, { mode: 0o600 });
      return path;
    },
    log: stderr.read,
    destroy: () => destroyProcess(child, dir),
  };
}
