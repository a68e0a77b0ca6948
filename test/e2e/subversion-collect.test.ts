import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import type { Sandbox } from '../helpers/sandbox.js';
import { serverPerSuite } from '../helpers/server-per-suite.js';
import { runSvn, type SvnCase, svnCase, svnRepository, youngest } from '../helpers/svn-case.js';
import {
  restoreAtFromMirror,
  restoreAtRoundTrip,
  restoreAtRunStart,
  roundTrip,
  setRemoteUrl,
  state,
  watchSlowCommits,
} from '../helpers/svn-checks.js';
import { haveTools } from '../helpers/tools.js';
import { haveSvnserve, startSvnserve } from '../servers/svnserve.js';

const canRun = haveSvnserve() && haveTools('svnlook', 'rsync', 'flock', 'bash', 'sha256sum');
const SECRET = 'POLYARCHIV_SECRET_JOURNAL_REMOTE_URL_PASSWORD';

describe.runIf(canRun)('a subversion collect point', { timeout: 600_000 }, () => {
  const server = serverPerSuite(startSvnserve);
  let box: Sandbox | undefined;
  let count = 0;
  afterEach(() => {
    box?.remove();
    box = undefined;
  });

  function served(password?: string): SvnCase {
    count += 1;
    const name = `journal-${count}`;
    const repository = server().createRepository(name);
    const t = svnCase(server().url(name, password), repository);
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
    it('restores the revision of --at, then commits on top of HEAD', () =>
      restoreAtRoundTrip(served(), backend));
    it("restores --at a run's start, as its state records it: that run's revision, committed later", () =>
      restoreAtRunStart(served(), backend));
    it('restores --at from a plain mirror on a rebuilt machine: its newest copy, then that revision', () =>
      restoreAtFromMirror(local(), backend));
  });

  it('keeps the password out of every command line, the script, the output and the working copy during a slow commit', async () => {
    const t = served();
    await watchSlowCommits(
      t,
      [server().password, encodeURIComponent(server().password), 'w/rd $(id)'],
      SECRET,
    );
  });

  describe.each(['apply', 'script'] as const)('failing through %s', (backend) => {
    it('fails the point, naming it, when the repository is missing', () => {
      const t = svnCase(server().url('no-such-repository'), '');
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
      setRemoteUrl(t, server().url(`journal-${count}`, 'wrong password'));
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
      setRemoteUrl(t, server().url(`journal-${count}`).replace(`:${server().port}/`, ':1/'));
      writeFileSync(t.box.path('data/more.txt'), 'more\n');
      const run = runSvn(t, backend);
      expect(run.code).toBe(1);
      expect(run.stdout + run.stderr).toMatch(/Can't connect|Connection refused/);
      expect(state(t).last_message).toContain('journal.collect');
      expect(youngest(t.repository)).toBe(1);
    });

    it('fails the point on a name svn cannot hold, naming it, keeps the last revision, and runs again once the name is gone', () => {
      const t = local();
      expect(runSvn(t, backend).code).toBe(0);
      const data = Buffer.from(t.box.path('data'));
      // A line break, and bytes that are not UTF-8 (which svn cannot even list: a failed add left
      // the working copy locked, and every later run, restores too, failed on it).
      for (const name of ['new\nline', 'caf\xe9 \xff']) {
        const path = Buffer.concat([data, Buffer.from(`/${name}`, 'latin1')]);
        writeFileSync(path, 'unnameable\n');
        const run = runSvn(t, backend);
        expect(run.code).toBe(1);
        expect(run.stdout + run.stderr).toContain(
          'svn cannot hold the name above (not UTF-8, or with a control character such as a line break): rename it in the source, or exclude it; nothing was committed',
        );
        expect(run.stdout + run.stderr).toMatch(
          /failed with exit code 1: step \d+ of \d+ at journal\.collect:4/,
        );
        expect(youngest(t.repository)).toBe(1);
        rmSync(path);
      }
      writeFileSync(t.box.path('data/more.txt'), 'more\n');
      const again = runSvn(t, backend);
      expect(again.code, again.stdout + again.stderr).toBe(0);
      expect(youngest(t.repository)).toBe(2);
      const before = readFileSync(t.box.path('data/more.txt'), 'utf8');
      rmSync(t.box.path('data/more.txt'));
      const restore = runSvn(t, backend, 'restore');
      expect(restore.code, restore.stdout + restore.stderr).toBe(0);
      expect(readFileSync(t.box.path('data/more.txt'), 'utf8')).toBe(before);
    });

    it('fails the point on anything named .svn that a source copied, naming each, and keeps the last revision', () => {
      const t = local();
      expect(runSvn(t, backend).code).toBe(0);
      // A working copy among the backed-up files, and a stray .svn directory: svn would skip both.
      t.box.write({ 'data/checkout/.svn/wc.db': 'db\n', 'data/checkout/kept.txt': 'kept\n' });
      const run = runSvn(t, backend);
      expect(run.code).toBe(1);
      expect(run.stdout + run.stderr).toContain(
        `${t.local}/files/checkout/.svn: svn cannot keep anything named .svn, so no backup would hold it: exclude it from its source (exclude = .svn)`,
      );
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
