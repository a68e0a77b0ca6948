import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { Kdc } from '../servers/kdc.js';
import type { Sandbox } from './sandbox.js';

/** The backup point's keytab in a Kerberos case, as config files name it. */
export const KEYTAB = '{root}/keytabs/backup.keytab';

export interface KerberosCase {
  /** The principal of the backup point's keytab. */
  readonly principal: string;
  /** The principal of the user's own ticket. */
  readonly userPrincipal: string;
  /** The user's ticket cache (what KRB5CCNAME names). */
  readonly userCache: string;
  /** KRB5_CONFIG of the suite's KDC and the user's KRB5CCNAME. */
  readonly env: Record<string, string>;
  /** Each git call: the principal of the ticket git saw, KRB5CCNAME, the arguments. */
  calls(): [string, string, string][];
  /** The user's ticket cache: its digest and its principal. */
  userTicket(): { digest: string; principal: string | undefined };
}

let principals = 0;

/**
 * In `box` (a configuration in `box/config`): the keytab of a new principal of the KDC at
 * {root}/keytabs/backup.keytab; a user who runs polyarchiv with a ticket of their own in the cache
 * KRB5CCNAME names; and a `git_executable` that records, for each call, the principal of the
 * ticket git sees and where that ticket is kept, and refuses a push or a fetch unless the ticket
 * is the keytab principal's: each push and fetch that succeeds really ran with a ticket obtained
 * from the keytab by the real KDC.
 */
export function kerberosCase(kdc: Kdc, box: Sandbox): KerberosCase {
  principals += 1;
  const name = `backup${principals}`;
  const principal = `${name}@${kdc.realm}`;
  box.write({ 'keytabs/.keep': '' });
  kdc.addPrincipal(name, box.path('keytabs/backup.keytab'));
  const user = `user${principals}`;
  kdc.addPrincipal(user, box.path('user.keytab'));
  const userCache = box.path('user-ccache');
  const env = { ...kdc.env, KRB5CCNAME: `FILE:${userCache}` };
  const kinit = spawnSync('kinit', ['-k', '-t', box.path('user.keytab'), user], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  expect(kinit.status, kinit.stderr).toBe(0);
  const log = box.path('git-calls.log');
  box.write({
    'bin/git': [
      '#!/bin/sh',
      `principal=$(klist 2>/dev/null | sed -n 's/^Default principal: //p')`,
      `printf '%s\\t%s\\t%s\\n' "\${principal:-none}" "\${KRB5CCNAME:-unset}" "$*" >> '${log}'`,
      'case " $* " in',
      `  *" push "*|*" fetch "*) klist -s && [ "$principal" = '${principal}' ] || { echo "git: no Kerberos ticket of ${principal}" >&2; exit 1; } ;;`,
      'esac',
      'exec git "$@"',
      '',
    ].join('\n'),
    'config/tools.global': `[global]\ngit_executable = ${box.path('bin/git')}\n`,
  });
  chmodSync(box.path('bin/git'), 0o755);
  return {
    principal,
    userPrincipal: `${user}@${kdc.realm}`,
    userCache,
    env,
    calls: () =>
      (existsSync(log) ? readFileSync(log, 'utf8') : '')
        .trim()
        .split('\n')
        .map((line) => line.split('\t') as [string, string, string]),
    userTicket: () => ({
      digest: createHash('sha256').update(readFileSync(userCache)).digest('hex'),
      principal: spawnSync('klist', ['-c', `FILE:${userCache}`], {
        encoding: 'utf8',
        env: { ...process.env, ...kdc.env },
      }).stdout.match(/Default principal: (\S+)/)?.[1],
    }),
  };
}

/** The pushes and fetches git made: each with the keytab's ticket, in a cache of the run since removed. */
export function expectRemoteCallsWithTicket(k: KerberosCase, pair: string): [string, string, string][] {
  const remote = k.calls().filter(([, , args]) => / (push|fetch|ls-remote) /.test(` ${args} `));
  for (const [principal, cache] of remote) {
    expect(principal).toBe(k.principal);
    expect(cache).toMatch(new RegExp(`^FILE:/.*/krb5cc\\.${pair.replace('.', '\\.')}$`));
    expect(existsSync(cache.slice('FILE:'.length))).toBe(false);
  }
  return remote;
}
