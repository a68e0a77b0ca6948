import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveTools } from '../helpers/tools.js';
import { destroyProcess, freePort, serverLog, waitForPort } from './server-process.js';

/**
 * git's smart HTTP for the tests: lighttpd on a free loopback port runs `git http-backend` as a
 * CGI under /git/, behind basic authentication (mod_auth, a plain user file), so that pushes and
 * fetches go through the same server, user and password a real deployment would check.
 */
export const LIGHTTPD = '/usr/sbin/lighttpd';
export const HTTP_BACKEND = '/usr/lib/git-core/git-http-backend';

export function haveGitHttp(): boolean {
  return haveTools(LIGHTTPD, 'git') && existsSync(HTTP_BACKEND);
}

export interface GitHttpServer {
  readonly port: number;
  /** Where the bare repositories live: `/git/NAME.git` serves `repos/NAME.git`. */
  readonly repos: string;
  readonly user: string;
  readonly password: string;
  /** `http://USER:PASSWORD@127.0.0.1:PORT/git/` with the password %-encoded. */
  readonly baseUrl: string;
  /** What lighttpd wrote to its error log. */
  log(): string;
  /** A bare repository served at /git/NAME.git. */
  createRepository(name: string): string;
  destroy(): Promise<void>;
}

/** The password holds what a careless URL or shell line would break on. */
export const HTTP_PASSWORD = `p@ss:w/rd $(id) 'q' "dq" %41 ✓`;

export async function startGitHttp(password = HTTP_PASSWORD, user = 'backup'): Promise<GitHttpServer> {
  const dir = mkdtempSync(join(tmpdir(), 'polyarchiv-git-http-'));
  const port = await freePort();
  const repos = join(dir, 'repos');
  mkdirSync(repos);
  writeFileSync(join(dir, 'users'), `${user}:${password}\n`, { mode: 0o600 });
  const config = join(dir, 'lighttpd.conf');
  writeFileSync(
    config,
    [
      `server.document-root = "${dir}"`,
      `server.port = ${port}`,
      'server.bind = "127.0.0.1"',
      `server.errorlog = "${join(dir, 'error.log')}"`,
      'server.modules = ("mod_auth", "mod_authn_file", "mod_alias", "mod_setenv", "mod_cgi")',
      `alias.url = ("/git" => "${HTTP_BACKEND}")`,
      '$HTTP["url"] =~ "^/git/" {',
      '  cgi.assign = ("" => "")',
      `  setenv.add-environment = ("GIT_PROJECT_ROOT" => "${repos}", "GIT_HTTP_EXPORT_ALL" => "")`,
      '  auth.backend = "plain"',
      `  auth.backend.plain.userfile = "${join(dir, 'users')}"`,
      '  auth.require = ("" => ("method" => "basic", "realm" => "git", "require" => "valid-user"))',
      '}',
      '',
    ].join('\n'),
  );
  // -D: the test owns the process.
  const stderr = serverLog(dir, 'stderr.log');
  const child: ChildProcess = spawn(LIGHTTPD, ['-D', '-f', config], {
    stdio: ['ignore', 'ignore', stderr.fd],
  });
  closeSync(stderr.fd);
  const log = () => {
    const file = join(dir, 'error.log');
    return stderr.read() + (existsSync(file) ? readFileSync(file, 'utf8') : '');
  };
  await waitForPort(port, child, log);
  return {
    port,
    repos,
    user,
    password,
    baseUrl: `http://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/git/`,
    log,
    createRepository(name) {
      const path = join(repos, name);
      const init = spawnSync('git', ['init', '-q', '--bare', path], { encoding: 'utf8' });
      if (init.status !== 0) throw new Error(`git init --bare ${path}: ${init.stderr}`);
      return path;
    },
    destroy: () => destroyProcess(child, dir),
  };
}
