import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import type { Sandbox } from '../helpers/sandbox.js';
import { commandLinesHolding, filesHolding } from '../helpers/secret-scan.js';
import {
  type Backend,
  headFiles,
  runSvn,
  type SvnCase,
  svnCase,
  svnRepository,
  youngest,
} from '../helpers/svn-case.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';
import { haveSvnserve, type SvnServer, startSvnserve } from '../servers/svnserve.js';

const canRun = haveSvnserve() && haveTools('svnlook', 'rsync', 'flock', 'bash', 'sha256sum');
const SECRET = 'POLYARCHIV_SECRET_JOURNAL_REMOTE_URL_PASSWORD';

function state(t: SvnCase) {
  return JSON.parse(readFileSync(t.box.path('collect/metadata/collect_point/journal.json'), 'utf8'));
}

function setRemoteUrl(t: SvnCase, url: string): void {
  const file = t.box.path('config/journal.collect');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/remote_url = .*/, `remote_url = ${url}`));
}

/**
 * Two backups with a change between (two revisions), a third with nothing to commit (no revision),
 * the collect point and the source lost, a restore: the same bytes; then local damage repaired.
 */
function roundTrip(t: SvnCase, backend: Backend): void {
  const first = runSvn(t, backend);
  expect(first.code, first.stdout + first.stderr).toBe(0);
  expect(youngest(t.repository)).toBe(1);

  writeFileSync(t.box.path('data/new file.txt'), 'new\n');
  rmSync(t.box.path('data/plain.txt'));
  rmSync(t.box.path('data/peg@1'), { recursive: true });
  // A file that becomes a directory.
  rmSync(t.box.path('data/user@host.txt'));
  mkdirSync(t.box.path('data/user@host.txt'));
  writeFileSync(t.box.path('data/user@host.txt/inside'), 'inside\n');
  const second = runSvn(t, backend);
  expect(second.code, second.stdout + second.stderr).toBe(0);
  const unchanged = runSvn(t, backend);
  expect(unchanged.code, unchanged.stdout + unchanged.stderr).toBe(0);
  expect(youngest(t.repository)).toBe(2);
  expect(headFiles(t.repository)).toEqual(Object.keys(fileContents(t.box.path('data'))).sort());

  const saved = fileContents(t.box.path('data'));
  rmSync(t.box.path('collect'), { recursive: true });
  rmSync(t.box.path('data'), { recursive: true });
  const restore = runSvn(t, backend, 'restore');
  expect(restore.code, restore.stdout + restore.stderr).toBe(0);
  expect(fileContents(t.box.path('data'))).toEqual(saved);
  expect(fileContents(`${t.local}/files`)).toEqual(saved);

  // What a failed run or a hand left in the working copy goes; its changes are reverted.
  writeFileSync(`${t.local}/files/new file.txt`, 'damaged\n');
  writeFileSync(`${t.local}/files/stray@.txt`, 'stray\n');
  rmSync(`${t.local}/files/x.o`);
  rmSync(t.box.path('data'), { recursive: true });
  const repaired = runSvn(t, backend, 'restore');
  expect(repaired.code, repaired.stdout + repaired.stderr).toBe(0);
  expect(fileContents(t.box.path('data'))).toEqual(saved);
  expect(fileContents(`${t.local}/files`)).toEqual(saved);

  // The restored working copy goes on: the next backup commits a third revision.
  writeFileSync(t.box.path('data/after.txt'), 'after\n');
  const after = runSvn(t, backend);
  expect(after.code, after.stdout + after.stderr).toBe(0);
  expect(youngest(t.repository)).toBe(3);
}

describe.runIf(canRun)('a subversion collect point', { timeout: 600_000 }, () => {
  let server: SvnServer;
  let box: Sandbox | undefined;
  let count = 0;
  beforeAll(async () => {
    server = await startSvnserve();
  });
  afterAll(async () => {
    await server?.destroy();
  });
  afterEach(() => {
    box?.remove();
    box = undefined;
  });

  function served(password?: string): SvnCase {
    count += 1;
    const name = `journal-${count}`;
    const repository = server.createRepository(name);
    const t = svnCase(server.url(name, password), repository);
    box = t.box;
    return t;
  }

  function local(): SvnCase {
    const t = svnCase('file://{root}/repo', '');
    box = t.box;
    return { ...t, repository: svnRepository(t.box.path('repo')) };
  }

  describe.each(['apply', 'script'] as const)('through %s', (backend) => {
    it('round-trips odd names through svnserve with a password', () => roundTrip(served(), backend));
    it('round-trips odd names through file://', () => roundTrip(local(), backend));
  });

  it('keeps the password out of every command line, the script, the output and the working copy during a slow commit', async () => {
    const t = served();
    // The server holds the commit for a while: long enough to read every command line meanwhile.
    const hook = join(t.repository, 'hooks/pre-commit');
    writeFileSync(hook, '#!/bin/sh\nsleep 4\n');
    chmodSync(hook, 0o755);
    const needles = [server.password, encodeURIComponent(server.password), 'w/rd $(id)'];

    const script = runCli(['plan', ...t.args], t.env);
    expect(script.code).toBe(0);
    for (const needle of needles) expect(script.stdout).not.toContain(needle);
    expect(script.stdout).toContain(`\${${SECRET}:?}`);

    for (const backend of ['apply', 'script'] as const) {
      writeFileSync(t.box.path('data/run.txt'), `${backend}\n`);
      const argv =
        backend === 'apply'
          ? [CLI, 'backup', ...t.args]
          : [CLI, 'plan', ...t.args, '--include-secrets', '--out', t.box.path('backup.sh')];
      if (backend === 'script') expect(runCli(argv.slice(1), t.env).code).toBe(0);
      const child =
        backend === 'apply'
          ? spawn(process.execPath, argv, { env: { ...process.env, ...t.env } })
          : spawn('bash', [t.box.path('backup.sh')], { env: { ...process.env, ...t.env } });
      let output = '';
      child.stdout.on('data', (d) => {
        output += d;
      });
      child.stderr.on('data', (d) => {
        output += d;
      });
      const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
      const seen: string[] = [];
      let committing = false;
      while (child.exitCode === null) {
        if (commandLinesHolding('commit').some((l) => l.includes('svn') && l.includes(t.box.root)))
          committing = true;
        for (const needle of needles) seen.push(...commandLinesHolding(needle));
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await exited, output).toBe(0);
      // The scan ran while svn committed, or it proved nothing.
      expect(committing).toBe(true);
      expect(seen).toEqual([]);
      for (const needle of needles) {
        expect(output).not.toContain(needle);
        expect(filesHolding(t.box.path('collect'), needle)).toEqual([]);
        expect(filesHolding(t.box.path('home'), needle)).toEqual([]);
      }
    }
    expect(youngest(t.repository)).toBe(2);
  });

  describe.each(['apply', 'script'] as const)('failing through %s', (backend) => {
    it('fails the point, naming it, when the repository is missing', () => {
      const t = svnCase(server.url('no-such-repository'), '');
      box = t.box;
      const run = runSvn(t, backend);
      expect(run.code).toBe(1);
      expect(run.stdout + run.stderr).toMatch(/No repository found/);
      expect(state(t).last_state_valid).toBe(false);
      expect(state(t).last_message).toContain('journal.collect:4');
    });

    it('fails the point on wrong credentials, and commits nothing', () => {
      const t = served();
      expect(runSvn(t, backend).code).toBe(0);
      setRemoteUrl(t, server.url(`journal-${count}`, 'wrong password'));
      writeFileSync(t.box.path('data/more.txt'), 'more\n');
      const run = runSvn(t, backend);
      expect(run.code).toBe(1);
      expect(run.stdout + run.stderr).toMatch(/Password incorrect|Authentication/);
      expect(run.stdout + run.stderr).not.toContain('wrong password');
      expect(state(t).last_message).toContain('journal.collect');
      expect(youngest(t.repository)).toBe(1);
    });

    it('fails the point when the server is down, and keeps the last revision', () => {
      const t = served();
      expect(runSvn(t, backend).code).toBe(0);
      setRemoteUrl(t, server.url(`journal-${count}`).replace(`:${server.port}/`, ':1/'));
      writeFileSync(t.box.path('data/more.txt'), 'more\n');
      const run = runSvn(t, backend);
      expect(run.code).toBe(1);
      expect(run.stdout + run.stderr).toMatch(/Can't connect|Connection refused/);
      expect(state(t).last_message).toContain('journal.collect');
      expect(youngest(t.repository)).toBe(1);
    });

    it('fails the point on a name svn cannot hold, and keeps the last revision', () => {
      const t = local();
      expect(runSvn(t, backend).code).toBe(0);
      writeFileSync(t.box.path('data/new\nline'), 'newline\n');
      const run = runSvn(t, backend);
      expect(run.code).toBe(1);
      expect(run.stdout + run.stderr).toMatch(/Invalid control character/);
      expect(youngest(t.repository)).toBe(1);
    });
  });

  it('refuses a bad remote_url at its line, with exit 2, before anything runs', () => {
    for (const url of ['ftp://host/repo', 'svn://user:pass@/repo', 'http://host/repo?x=1', 'relative/repo']) {
      const t = svnCase(url, '');
      try {
        const run = runCli(['backup', ...t.args], t.env);
        expect(run.code, url).toBe(2);
        expect(run.stderr).toContain('journal.collect:4');
        expect(run.stderr).not.toContain('pass@');
        expect(() => readFileSync(t.box.path('collect/metadata/collect_point/journal.json'))).toThrow();
      } finally {
        t.box.remove();
      }
    }
  });
});
