import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { branchLog, type GitCase, gitCase, roundTrip, runPoint } from '../helpers/git-case.js';
import { expectRemoteCallsWithTicket, KEYTAB, kerberosCase } from '../helpers/kerberos-case.js';
import type { Sandbox } from '../helpers/sandbox.js';
import { serverPerSuite } from '../helpers/server-per-suite.js';
import { haveTools } from '../helpers/tools.js';
import { haveKdc, startKdc } from '../servers/kdc.js';

const canRun = haveTools('git', 'rsync', 'flock', 'bash', 'sha256sum') && haveKdc();

/*
 * The backup point logs in with its keytab through k5start, against the suite's KDC; git runs
 * through a `git_executable` that refuses a push or a fetch without a ticket of the keytab's
 * principal (kerberosCase). The user runs polyarchiv with a ticket of their own, which must stay
 * as it was.
 */
describe.runIf(canRun)('a git backup point with a Kerberos keytab', { timeout: 600_000 }, () => {
  const kdc = serverPerSuite(startKdc);
  let box: Sandbox | undefined;
  afterEach(() => box?.remove());

  function keytabCase(keytab = KEYTAB) {
    const t = gitCase((b) => `file://${encodeURI(b.path('remote'))}/{name}.git`, [`keytab = ${keytab}`]);
    box = t.box;
    return { t, k: kerberosCase(kdc(), t.box) };
  }

  it.each(['apply', 'script'] as const)(
    'pushes and fetches with a ticket of the keytab in a cache of the run, never the user’s (%s)',
    (backend) => {
      const { t, k } = keytabCase();
      const before = k.userTicket();
      roundTrip(t, backend, k.env);
      const remote = expectRemoteCallsWithTicket(k, 'up.journal');
      // Four backups push (the last after the restore), one restore asks for the branch and fetches it.
      expect(remote.filter(([, , args]) => args.includes(' push '))).toHaveLength(4);
      expect(remote.filter(([, , args]) => ` ${args} `.includes(' ls-remote '))).toHaveLength(1);
      expect(remote.filter(([, , args]) => args.includes(' fetch '))).toHaveLength(1);
      // The collect point's own git calls run with the user's ticket, untouched.
      const own = k.calls().filter(([, , args]) => !/ (push|fetch|ls-remote) /.test(` ${args} `));
      expect(own.length).toBeGreaterThan(0);
      for (const [principal, cache] of own) {
        expect(principal).toBe(k.userPrincipal);
        expect(cache).toBe(`FILE:${k.userCache}`);
      }
      expect(k.userTicket()).toEqual(before);
      expect(before.principal).toBe(k.userPrincipal);
    },
  );

  it('fails without the keytab: the wrapper refuses a push without the backup ticket', () => {
    const { t, k } = keytabCase();
    const file = t.box.path('config/up.backup');
    t.box.write({ 'config/up.backup': readFileSync(file, 'utf8').replace(/^keytab = .*\n/m, '') });
    const result = runPoint(t, 'apply', 'backup', k.env);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain(`no Kerberos ticket of ${k.principal}`);
  });

  function expectFailsAtKeytab(t: GitCase, result: { code: number; stdout: string; stderr: string }) {
    const output = result.stdout + result.stderr;
    expect(result.code, output).toBe(1);
    expect(output).toMatch(/failed\s+backup:up\/journal/);
    expect(output).toMatch(/ok\s+backup:mirror\/journal/);
    // The keytab's line of up.backup.
    expect(output).toContain('step 2 of 3 at up.backup:5');
    // The collect point committed; nothing reached the remote.
    expect(branchLog(`${t.local}/.git`, 'HEAD')).toHaveLength(1);
    expect(branchLog(t.remote, 'backups/journal')).toEqual([]);
    return output;
  }

  it.each(['apply', 'script'] as const)(
    'fails alone, on the keytab’s line, with a keytab that does not exist (%s)',
    (backend) => {
      const { t, k } = keytabCase(KEYTAB.replace('backup.keytab', 'missing.keytab'));
      const before = k.userTicket();
      const output = expectFailsAtKeytab(t, runPoint(t, backend, 'backup', k.env));
      expect(output).toMatch(/missing\.keytab.*not found/);
      expect(k.calls().some(([, , args]) => args.includes(' push '))).toBe(false);
      expect(k.userTicket()).toEqual(before);
    },
  );

  it.each(['apply', 'script'] as const)(
    'fails alone, on the keytab’s line, when the KDC does not know the keytab’s principal (%s)',
    (backend) => {
      const { t, k } = keytabCase();
      kdc().deletePrincipal(k.principal.split('@')[0] as string);
      const before = k.userTicket();
      const output = expectFailsAtKeytab(t, runPoint(t, backend, 'backup', k.env));
      expect(output).toContain(`Client '${k.principal}' not found in Kerberos database`);
      expect(k.userTicket()).toEqual(before);
    },
  );
});
