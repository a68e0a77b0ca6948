import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { branchLog, gitCase, roundTrip, runPoint } from '../helpers/git-case.js';
import type { Sandbox } from '../helpers/sandbox.js';
import { commandLinesHolding, filesHolding } from '../helpers/secret-scan.js';
import { serverPerSuite } from '../helpers/server-per-suite.js';
import { haveTools } from '../helpers/tools.js';
import { HTTP_PASSWORD, haveGitHttp, startGitHttp } from '../servers/git-http.js';

// A round trip is six runs of polyarchiv: minutes on a loaded machine.
const canRun = haveGitHttp() && haveTools('rsync', 'flock', 'bash', 'sha256sum');
const SECRET = 'POLYARCHIV_SECRET_UP_JOURNAL_REMOTE_URL_PASSWORD';

describe.runIf(canRun)('a git backup point over http(s) with a password', { timeout: 600_000 }, () => {
  const server = serverPerSuite(startGitHttp);
  let box: Sandbox | undefined;
  let count = 0;
  afterEach(() => box?.remove());

  function httpCase(password = server().password) {
    count += 1;
    const name = `journal-${count}.git`;
    const served = server().createRepository(name);
    const url = `http://${server().user}:${encodeURIComponent(password)}@127.0.0.1:${server().port}/git/${name}`;
    const t = gitCase(() => url, [], served);
    box = t.box;
    return t;
  }

  it.each(['apply', 'script'] as const)(
    'pushes through git http-backend behind basic auth and restores (%s)',
    (backend) => {
      const t = httpCase();
      // The script reads the secret from its environment, as an operator exports it.
      roundTrip(t, backend, backend === 'script' ? { [SECRET]: server().password } : {});
    },
  );

  it("fails alone with a wrong password, without prompting, naming remote_url's line, through both backends", () => {
    const t = httpCase('wrong password');
    for (const backend of ['apply', 'script'] as const) {
      for (const mode of ['backup', 'restore'] as const) {
        const result = runPoint(t, backend, mode, backend === 'script' ? { [SECRET]: 'wrong password' } : {});
        const output = result.stdout + result.stderr;
        expect({ backend, mode, code: result.code }, output).toEqual({ backend, mode, code: 1 });
        expect(output).toMatch(/Authentication failed|401/);
        expect(output).toContain(
          "the server refused the user and password of option 'remote_url' (up.backup:3 [point]): one of them is wrong",
        );
        if (mode === 'backup') expect(output).toMatch(/ok\s+backup:mirror\/journal/);
        expect(output).not.toContain('wrong password');
        expect(output).not.toContain('wrong%20password');
      }
    }
    expect(branchLog(t.remote, 'backups/journal')).toEqual([]);
  });

  it('keeps the password out of every command line, the script, the output, the state and .git/config during a slow push', async () => {
    const t = httpCase();
    // The server holds the push for a while: long enough to read every command line meanwhile.
    const hook = join(t.remote, 'hooks/pre-receive');
    writeFileSync(hook, '#!/bin/sh\ncat >/dev/null\nsleep 4\n');
    chmodSync(hook, 0o755);
    const encoded = encodeURIComponent(server().password);
    const needles = [server().password, encoded, 'w/rd $(id)'];

    const script = runCli(['plan', ...t.args], t.env);
    expect(script.code).toBe(0);
    for (const needle of needles) expect(script.stdout).not.toContain(needle);
    expect(script.stdout).toContain(`\${${SECRET}:?}`);

    const child = spawn(process.execPath, [CLI, 'backup', ...t.args], {
      env: { ...process.env, ...t.env },
    });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    const seen: string[] = [];
    let pushing = false;
    while (child.exitCode === null) {
      if (commandLinesHolding('push', t.box.root).some((l) => l.includes('git'))) pushing = true;
      for (const needle of needles) seen.push(...commandLinesHolding(needle));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await exited, output).toBe(0);
    // The scan ran while git pushed, or it proved nothing.
    expect(pushing).toBe(true);
    expect(seen).toEqual([]);
    for (const needle of needles) {
      expect(output).not.toContain(needle);
      expect(filesHolding(t.box.path('collect'), needle)).toEqual([]);
    }
    expect(existsSync(`${t.local}/.git/config`)).toBe(true);
    expect(readFileSync(`${t.local}/.git/config`, 'utf8')).not.toMatch(/credential|password|127\.0\.0\.1/);
    expect(branchLog(t.remote, 'backups/journal')).toHaveLength(1);
  });
});

describe.runIf(canRun)(
  'a git backup point over http whose login is an e-mail address',
  { timeout: 600_000 },
  () => {
    const LOGIN = 'me@example.org';
    const server = serverPerSuite(() => startGitHttp(HTTP_PASSWORD, LOGIN));
    let box: Sandbox | undefined;
    afterEach(() => box?.remove());

    it.each(['apply', 'script'] as const)(
      'reads the user name up to the password, keeps the password out of the script, pushes and restores (%s)',
      (backend) => {
        const name = `mail-${backend}.git`;
        const served = server().createRepository(name);
        // The user name as written, its @ unescaped, as the server's users know it.
        const url = `http://${LOGIN}:${encodeURIComponent(server().password)}@127.0.0.1:${server().port}/git/${name}`;
        const t = gitCase(() => url, [], served);
        box = t.box;
        const script = runCli(['plan', ...t.args], t.env);
        expect(script.code, script.stderr).toBe(0);
        expect(script.stdout).not.toContain(encodeURIComponent(server().password));
        expect(script.stdout).toContain(`\${${SECRET}:?}`);
        expect(script.stdout).toContain('http://me%40example.org@127.0.0.1');
        roundTrip(t, backend, backend === 'script' ? { [SECRET]: server().password } : {});
      },
    );
  },
);
