import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { branchLog, type GitCase, gitCase, roundTrip, runPoint } from '../helpers/git-case.js';
import type { Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { haveKdc, type Kdc, startKdc } from '../servers/kdc.js';

const canRun = haveTools('git', 'rsync', 'flock', 'bash', 'sha256sum') && haveKdc();

/*
 * The backup point logs in with its keytab through k5start. git runs through a `git_executable`
 * that records, for each call, the Kerberos principal of the ticket git sees and where that ticket
 * is kept, and refuses a push or a fetch unless the ticket is the backup principal's: so each push
 * and fetch below really ran with a ticket obtained from the keytab by the real KDC. The user runs
 * polyarchiv with a ticket of their own in their default cache, which must stay as it was.
 */
describe.runIf(canRun)('a git backup point with a Kerberos keytab', { timeout: 600_000 }, () => {
  let kdc: Kdc;
  let box: Sandbox | undefined;
  beforeAll(async () => {
    kdc = await startKdc();
  });
  afterAll(async () => {
    await kdc?.destroy();
  });
  afterEach(() => box?.remove());

  let principals = 0;

  /** A git case whose `up` logs in with a keytab of a new principal, run by a user with a ticket of their own. */
  function keytabCase(keytabOption = (keytab: string) => keytab) {
    principals += 1;
    const name = `backup${principals}`;
    const t = gitCase(
      (b) => `file://${encodeURI(b.path('remote'))}/{name}.git`,
      [`keytab = ${keytabOption('{root}/keytabs/backup.keytab')}`],
    );
    box = t.box;
    const keytab = t.box.path('keytabs/backup.keytab');
    t.box.write({ 'keytabs/.keep': '' });
    kdc.addPrincipal(name, keytab);
    // The user's own ticket, in the cache KRB5CCNAME names.
    kdc.addPrincipal(`user${principals}`, t.box.path('user.keytab'));
    const userCache = `FILE:${t.box.path('user-ccache')}`;
    const kinit = spawnSync('kinit', ['-k', '-t', t.box.path('user.keytab'), `user${principals}`], {
      encoding: 'utf8',
      env: { ...process.env, ...kdc.env, KRB5CCNAME: userCache },
    });
    expect(kinit.status, kinit.stderr).toBe(0);
    const log = t.box.path('git-calls.log');
    const expected = `${name}@${kdc.realm}`;
    t.box.write({
      'bin/git': [
        '#!/bin/sh',
        `principal=$(klist 2>/dev/null | sed -n 's/^Default principal: //p')`,
        `printf '%s\\t%s\\t%s\\n' "\${principal:-none}" "\${KRB5CCNAME:-unset}" "$*" >> '${log}'`,
        'case " $* " in',
        `  *" push "*|*" fetch "*) klist -s && [ "$principal" = '${expected}' ] || { echo "git: no Kerberos ticket of ${expected}" >&2; exit 1; } ;;`,
        'esac',
        'exec git "$@"',
        '',
      ].join('\n'),
      'config/tools.global': `[global]\ngit_executable = ${t.box.path('bin/git')}\n`,
    });
    chmodSync(t.box.path('bin/git'), 0o755);
    return {
      t,
      principal: expected,
      userPrincipal: `user${principals}@${kdc.realm}`,
      env: { ...kdc.env, KRB5CCNAME: userCache },
      userCache: t.box.path('user-ccache'),
      calls: () =>
        (existsSync(log) ? readFileSync(log, 'utf8') : '')
          .trim()
          .split('\n')
          .map((line) => line.split('\t') as [string, string, string]),
    };
  }

  const digest = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
  const principalOf = (cache: string) =>
    spawnSync('klist', ['-c', `FILE:${cache}`], {
      encoding: 'utf8',
      env: { ...process.env, ...kdc.env },
    }).stdout.match(/Default principal: (\S+)/)?.[1];

  it.each(['apply', 'script'] as const)(
    'pushes and fetches with a ticket of the keytab in a cache of the run, never the user’s (%s)',
    (backend) => {
      const k = keytabCase();
      const before = digest(k.userCache);
      roundTrip(k.t, backend, k.env);
      const remoteCalls = k.calls().filter(([, , args]) => / (push|fetch) /.test(` ${args} `));
      // Four backups push (the last after the restore), one restore fetches.
      expect(remoteCalls.filter(([, , args]) => args.includes(' push '))).toHaveLength(4);
      expect(remoteCalls.filter(([, , args]) => args.includes(' fetch '))).toHaveLength(1);
      for (const [principal, cache] of remoteCalls) {
        expect(principal).toBe(k.principal);
        expect(cache).toMatch(/^FILE:\/.*\/krb5cc\.up\.journal$/);
        // The run's private work directory is gone, and the ticket with it.
        expect(existsSync(cache.slice('FILE:'.length))).toBe(false);
      }
      // The collect point's own git calls run with the user's ticket, untouched.
      const ownCalls = k.calls().filter(([, , args]) => !/ (push|fetch) /.test(` ${args} `));
      expect(ownCalls.length).toBeGreaterThan(0);
      for (const [principal, cache] of ownCalls) {
        expect(principal).toBe(k.userPrincipal);
        expect(cache).toBe(`FILE:${k.userCache}`);
      }
      expect(digest(k.userCache)).toBe(before);
      expect(principalOf(k.userCache)).toBe(k.userPrincipal);
    },
  );

  it('fails without the keytab: the wrapper refuses a push without the backup ticket', () => {
    const k = keytabCase();
    const plain = k.t.box.path('config/up.backup');
    const text = readFileSync(plain, 'utf8');
    k.t.box.write({ 'config/up.backup': text.replace(/^keytab = .*\n/m, '') });
    const result = runPoint(k.t, 'apply', 'backup', k.env);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain(`no Kerberos ticket of ${k.principal}`);
  });

  function expectFailsAtKeytab(t: GitCase, result: { code: number; stdout: string; stderr: string }) {
    const output = result.stdout + result.stderr;
    expect(result.code, output).toBe(1);
    expect(output).toMatch(/failed\s+backup:up\/journal/);
    expect(output).toMatch(/ok\s+backup:mirror\/journal/);
    // The keytab's line of up.backup.
    expect(output).toContain('up.backup:5');
    // The collect point committed; nothing reached the remote.
    expect(branchLog(`${t.local}/.git`, 'HEAD')).toHaveLength(1);
    expect(branchLog(t.remote, 'backups/journal')).toEqual([]);
    return output;
  }

  it.each(['apply', 'script'] as const)(
    'fails alone, on the keytab’s line, with a keytab that does not exist (%s)',
    (backend) => {
      const k = keytabCase((keytab) => keytab.replace('backup.keytab', 'missing.keytab'));
      const before = digest(k.userCache);
      const output = expectFailsAtKeytab(k.t, runPoint(k.t, backend, 'backup', k.env));
      expect(output).toMatch(/missing\.keytab.*not found/);
      expect(k.calls().some(([, , args]) => args.includes(' push '))).toBe(false);
      expect(digest(k.userCache)).toBe(before);
    },
  );

  it.each(['apply', 'script'] as const)(
    'fails alone, on the keytab’s line, when the KDC does not know the keytab’s principal (%s)',
    (backend) => {
      const k = keytabCase();
      kdc.deletePrincipal(k.principal.split('@')[0] as string);
      const before = digest(k.userCache);
      const output = expectFailsAtKeytab(k.t, runPoint(k.t, backend, 'backup', k.env));
      expect(output).toContain(`Client '${k.principal}' not found in Kerberos database`);
      expect(digest(k.userCache)).toBe(before);
    },
  );
});
