import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import {
  branchLog,
  type GitCase,
  gitCaseOf,
  restoreAtRoundTrip,
  roundTrip,
  runPoint,
} from '../helpers/git-case.js';
import { expectRemoteCallsWithTicket, KEYTAB, kerberosCase } from '../helpers/kerberos-case.js';
import type { Sandbox } from '../helpers/sandbox.js';
import { commandLinesHolding, filesHolding } from '../helpers/secret-scan.js';
import { serverPerSuite } from '../helpers/server-per-suite.js';
import { haveTools } from '../helpers/tools.js';
import { haveGitHttp, startGitHttp } from '../servers/git-http.js';
import { type GitlabOptions, type GitlabStandIn, startGitlabStandIn } from '../servers/gitlab-api.js';
import { haveKdc, startKdc } from '../servers/kdc.js';

// A round trip is six runs of polyarchiv: minutes on a loaded machine.
const canRun = haveGitHttp() && haveTools('rsync', 'flock', 'bash', 'sha256sum', 'curl');
const TOKEN = 'glpat-"tok" \\en $(id)';
const READER = 'glpat-reader';
const TOKEN_SECRET = 'POLYARCHIV_SECRET_UP_JOURNAL_API_KEY';
const PASSWORD_SECRET = 'POLYARCHIV_SECRET_UP_JOURNAL_PASSWORD';
const API = '/gitlab/api/v4';

describe.runIf(canRun)('a gitlab backup point', { timeout: 600_000 }, () => {
  const git = serverPerSuite(startGitHttp);
  let gitlab: GitlabStandIn | undefined;
  let box: Sandbox | undefined;
  let count = 0;
  afterEach(async () => {
    box?.remove();
    await gitlab?.close();
    gitlab = undefined;
  });

  /** A project of its own for each test, in namespace `backups` of a stand-in relaying git to lighttpd. */
  async function gitlabCase(token = TOKEN, options: Partial<GitlabOptions> = {}, password = git().password) {
    count += 1;
    const project = `backups/journal-${count}`;
    const stand = await startGitlabStandIn({
      tokens: [TOKEN, READER],
      readOnlyTokens: [READER],
      namespaces: { backups: 5 },
      repos: git().repos,
      gitPort: git().port,
      ...options,
    });
    gitlab = stand;
    const t = gitCaseOf(
      () => [
        'engine = gitlab',
        `gitlab_url = ${stand.url}/`,
        `project_name = ${project}`,
        `api_key = ${token}`,
        `username = ${git().user}`,
        `password = ${password}`,
      ],
      [],
      `${git().repos}/${project}.git`,
    );
    box = t.box;
    return { t, project, gitlab: stand };
  }

  const secrets = { [TOKEN_SECRET]: TOKEN, [PASSWORD_SECRET]: '' };

  it.each(['apply', 'script'] as const)(
    'restores the branch as it was at --at on a rebuilt machine, committed on top of its head (%s)',
    async (backend) => {
      const { t } = await gitlabCase();
      restoreAtRoundTrip(
        t,
        backend,
        backend === 'script' ? { ...secrets, [PASSWORD_SECRET]: git().password } : {},
      );
    },
  );

  it.each(['apply', 'script'] as const)(
    'creates the project once, pushes through the same URL and restores (%s)',
    async (backend) => {
      const { t, project, gitlab } = await gitlabCase();
      const env = backend === 'script' ? { ...secrets, [PASSWORD_SECRET]: git().password } : {};
      roundTrip(t, backend, env);
      const path = `${API}/projects/${encodeURIComponent(project)}`;
      // Created on the first run; the three runs after it find it; a restore asks nothing.
      expect(gitlab.requests()).toEqual([
        `GET ${path}`,
        `GET ${API}/namespaces/backups`,
        `POST ${API}/projects`,
        `GET ${path}`,
        `GET ${path}`,
        `GET ${path}`,
      ]);
      expect(gitlab.creations()).toEqual([
        {
          name: project.split('/')[1],
          path: project.split('/')[1],
          namespace_id: '5',
          visibility: 'private',
        },
      ]);
    },
  );

  it.runIf(haveKdc()).each(['apply', 'script'] as const)(
    'pushes under k5start with a keytab, the API still asked with the token (%s)',
    async (backend) => {
      const kdc = await startKdc();
      try {
        const { t, project, gitlab } = await gitlabCase();
        const k = kerberosCase(kdc, t.box);
        const file = t.box.path('config/up.backup');
        writeFileSync(file, `${readFileSync(file, 'utf8')}keytab = ${KEYTAB}\n`);
        const env = backend === 'script' ? { ...secrets, [PASSWORD_SECRET]: git().password } : {};
        const result = runPoint(t, backend, 'backup', { ...env, ...k.env });
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(gitlab.requests()).toContain(`POST ${API}/projects`);
        expect(branchLog(`${git().repos}/${project}.git`, 'backups/journal')).toHaveLength(1);
        expect(expectRemoteCallsWithTicket(k, 'up.journal')).toHaveLength(1);
      } finally {
        await kdc.destroy();
      }
    },
  );

  /** api_key's line in up.backup, which a refused token must name. */
  const API_KEY = "option 'api_key' (up.backup:5 [point])";

  /**
   * A failed gitlab point fails alone, through both backends: the synchronize point runs, the
   * local history stays.
   */
  function expectFailsAlone(t: GitCase, message: RegExp, token = TOKEN) {
    for (const backend of ['apply', 'script'] as const) {
      const env =
        backend === 'script' ? { ...secrets, [TOKEN_SECRET]: token, [PASSWORD_SECRET]: git().password } : {};
      const result = runPoint(t, backend, 'backup', env);
      const output = result.stdout + result.stderr;
      expect({ backend, code: result.code }, output).toEqual({ backend, code: 1 });
      expect(output).toMatch(message);
      expect(output).toMatch(/failed with exit code \d+: step 2 of 3 at up\.backup:4/);
      expect(output).toMatch(/ok\s+backup:mirror\/journal/);
      expect(output).not.toContain(TOKEN);
      expect(branchLog(`${t.local}/.git`, 'HEAD')).toHaveLength(1);
      expect(existsSync(t.remote)).toBe(false);
    }
  }

  it("fails alone on a wrong token (401), naming the project and api_key's line", async () => {
    const { t, project } = await gitlabCase('glpat-wrong');
    expectFailsAlone(
      t,
      new RegExp(
        `GitLab answered HTTP 401 to the query of the project for project ${project}: check the token of ${literally(API_KEY)}, and that its user may create projects there`,
      ),
      'glpat-wrong',
    );
  });

  it("fails alone on a missing namespace (404), naming api_key's line", async () => {
    const { t } = await gitlabCase(TOKEN, { namespaces: {} });
    expectFailsAlone(
      t,
      new RegExp(
        `HTTP 404 to the query of the namespace backups .*: no such namespace, or not visible to the user of the token of ${literally(API_KEY)}`,
      ),
    );
  });

  it("fails alone when the token may not create projects (403), naming api_key's line", async () => {
    const { t } = await gitlabCase(READER);
    expectFailsAlone(
      t,
      new RegExp(`HTTP 403 to the creation of the project .*: check the token of ${literally(API_KEY)}`),
      READER,
    );
  });

  it("fails alone when the git server refuses the push's password, naming password's and username's lines", async () => {
    const { t } = await gitlabCase(TOKEN, {}, 'wrong-git-password');
    for (const backend of ['apply', 'script'] as const) {
      const env = backend === 'script' ? { ...secrets, [PASSWORD_SECRET]: 'wrong-git-password' } : {};
      const result = runPoint(t, backend, 'backup', env);
      const output = result.stdout + result.stderr;
      expect({ backend, code: result.code }, output).toEqual({ backend, code: 1 });
      expect(output).toContain(
        "the server refused the password of option 'password' (up.backup:7 [point]) for the user of option 'username' (up.backup:6 [point]): one of them is wrong",
      );
      expect(output).not.toContain('wrong-git-password');
      expect(output).toMatch(/ok\s+backup:mirror\/journal/);
    }
  });

  it('fails alone when GitLab is down', async () => {
    const { t, gitlab } = await gitlabCase();
    await gitlab.close();
    expectFailsAlone(t, /curl: \(7\)/);
  });

  it('refuses a gitlab_url with a query, and an http push without password, at their lines', async () => {
    const { t } = await gitlabCase();
    const file = t.box.path('config/up.backup');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace(/gitlab_url = (.*)/, 'gitlab_url = $1?x=1'));
    const query = runCli(['plan', ...t.args], t.env);
    expect(query.code).toBe(2);
    expect(query.stderr).toContain("bad value for option 'gitlab_url'");
    expect(query.stderr).toContain('up.backup:3');
    writeFileSync(file, text.replace(/password = .*\n/, ''));
    const passwordless = runCli(['plan', ...t.args], t.env);
    expect(passwordless.code).toBe(2);
    expect(passwordless.stderr).toContain(
      'pushed over http(s) with username and password, or over ssh with private_key',
    );
    expect(passwordless.stdout).toBe('');
  });

  it('keeps the token and the password out of command lines, the script, the output and the files during a slow run', async () => {
    const { t } = await gitlabCase(TOKEN, { delayMs: 1500 });
    const needles = [TOKEN, git().password, encodeURIComponent(git().password), 'w/rd $(id)'];
    const script = runCli(['plan', ...t.args], t.env);
    expect(script.code).toBe(0);
    for (const needle of needles) expect(script.stdout).not.toContain(needle);
    expect(script.stdout).toContain(`\${${TOKEN_SECRET}:?}`);

    const child = spawn(process.execPath, [CLI, 'backup', ...t.args], { env: { ...process.env, ...t.env } });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    const seen: string[] = [];
    let asking = false;
    while (child.exitCode === null) {
      if (
        commandLinesHolding('PRIVATE').length > 0 ||
        commandLinesHolding('gitlab.up.journal.token').length > 0
      )
        asking = true;
      for (const needle of needles) seen.push(...commandLinesHolding(needle));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await exited, output).toBe(0);
    // The scan ran while curl waited for the API, or it proved nothing.
    expect(asking).toBe(true);
    expect(seen).toEqual([]);
    for (const needle of needles) {
      expect(output).not.toContain(needle);
      expect(filesHolding(t.box.path('collect'), needle)).toEqual([]);
    }
    expect(readFileSync(`${t.local}/.git/config`, 'utf8')).not.toMatch(
      /credential|password|token|127\.0\.0\.1/,
    );
    expect(branchLog(t.remote, 'backups/journal')).toHaveLength(1);
  });
});

const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
