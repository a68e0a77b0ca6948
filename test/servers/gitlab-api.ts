import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { destroyProcess } from './server-process.js';

/**
 * A stand-in for the GitLab REST API v4 endpoints polyarchiv calls (gitlab-stand-in.mjs, its own
 * process: the tests run polyarchiv synchronously), under a path prefix as an instance served at
 * https://host/gitlab/ has them: GET projects/:path, GET namespaces/:path and POST projects, each
 * checking the PRIVATE-TOKEN header (401 without a known token, 403 on creation for a read-only
 * one). A created project is a bare repository below `repos`; every other request under the
 * prefix is relayed to git's smart HTTP (the git-http server's /git/ alias), so that the
 * instance's URL serves both the API and the pushes, as on GitLab. It follows GitLab's
 * documentation; it is not GitLab.
 */
export interface GitlabStandIn {
  readonly port: number;
  /** `http://127.0.0.1:PORT/gitlab`. */
  readonly url: string;
  /** Each API request as `METHOD /path` (the query left out), in order. */
  requests(): string[];
  /** The form fields of each POST projects, in order. */
  creations(): Record<string, string>[];
  close(): Promise<void>;
}

export const GITLAB_PREFIX = '/gitlab';
const SCRIPT = fileURLToPath(new URL('./gitlab-stand-in.mjs', import.meta.url));

export interface GitlabOptions {
  /** Tokens the stand-in accepts. */
  readonly tokens: readonly string[];
  /** Tokens that may read but not create (POST answers 403). */
  readonly readOnlyTokens?: readonly string[];
  /** Existing namespaces by full path, with their id. */
  readonly namespaces?: Readonly<Record<string, number>>;
  /** Existing projects by full path. */
  readonly projects?: readonly string[];
  /** Where created projects' bare repositories go (`namespace/name.git`). */
  readonly repos?: string;
  /** git's smart HTTP (lighttpd's port, /git/ alias); none: no git relay. */
  readonly gitPort?: number;
  /** Where `repos` is served on that port: `/git` (the default) for the server's own repositories, `/git/SUB` for `repos` = its SUB directory. */
  readonly gitPath?: string;
  /** Each answer waits this long (ms): long enough to read command lines meanwhile. */
  readonly delayMs?: number;
}

interface Entry {
  readonly request: string;
  readonly status: number;
  readonly form?: Record<string, string>;
}

export async function startGitlabStandIn(options: GitlabOptions): Promise<GitlabStandIn> {
  const dir = mkdtempSync(join(tmpdir(), 'polyarchiv-gitlab-'));
  const log = join(dir, 'requests.jsonl');
  const config = { prefix: GITLAB_PREFIX, log, repos: options.repos ?? join(dir, 'repos'), ...options };
  const child: ChildProcess = spawn(process.execPath, [SCRIPT, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
    child.once('exit', (code) => reject(new Error(`the GitLab stand-in exited (${code})`)));
  });
  const entries = (): Entry[] =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as Entry)
      : [];
  return {
    port,
    url: `http://127.0.0.1:${port}${GITLAB_PREFIX}`,
    requests: () => entries().map((e) => e.request),
    creations: () => entries().flatMap((e) => (e.form === undefined ? [] : [e.form])),
    close: () => destroyProcess(child, dir),
  };
}
