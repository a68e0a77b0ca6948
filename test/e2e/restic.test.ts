import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, utimesSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { runCliAsync } from '../helpers/cli.js';
import {
  configure,
  damageSnapshot,
  PASSWORD,
  restic,
  run,
  SECRET,
  STATE,
  watchedBackup,
} from '../helpers/restic-case.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum', 'restic');
const snapshotDays = (box: Sandbox): string[] =>
  (JSON.parse(restic(box.path('repo'), ['snapshots', '--json', '--tag', 'site']).stdout) as Listed[])
    .map((s) => s.time.slice(0, 10))
    .sort();

interface Listed {
  readonly id: string;
  readonly time: string;
}
const day = (n: number) => `2026-11-${String(n).padStart(2, '0')}`;
const at = (n: number) => `${day(n)}T03:00:00+01:00`;

describe.runIf(canRun)('a restic backup point on a local repository', { timeout: 600_000 }, () => {
  let box: Sandbox | undefined;
  afterEach(() => box?.remove());

  it.each(['apply', 'script'] as const)(
    'backs up over pinned days, forgets what the plan said, restores byte for byte (%s)',
    async (how) => {
      box = makeSandbox('polyarchiv-restic-');
      configure(box);
      const sandbox = box;
      // 2026-11-02 is a Monday: eight days span two ISO weeks and a part of a third.
      for (let n = 1; n <= 9; n += 1) {
        sandbox.write({ 'data/index.html': `<p>day ${n}</p>\n` });
        const time = new Date(Date.parse(at(n)) - 3_600_000);
        utimesSync(sandbox.path('data/index.html'), time, time);
        const plan = await runCliAsync([
          'plan',
          '--format',
          'text',
          '-C',
          sandbox.path('config'),
          '--set',
          `root=${sandbox.root}`,
          '--now',
          at(n),
        ]);
        const forgotten = [...plan.stdout.matchAll(/delete snapshot of (\S+)/g)].map((m) => m[1]);
        const before = n === 1 ? [] : snapshotDays(sandbox);
        await watchedBackup(sandbox, how, at(n));
        // What the plan said it would forget is what restic forgot.
        const after = snapshotDays(sandbox);
        expect(before.filter((d) => !after.includes(d)).sort()).toEqual(forgotten.sort());
        expect(after).toContain(day(n));
      }
      // daily 3 keeps the 7th to the 9th; weekly 2 the newest of the two newest ISO weeks, the
      // 8th (a Sunday) and the 9th, kept by daily already: the 1st goes.
      expect(snapshotDays(sandbox)).toEqual([day(7), day(8), day(9)]);
      const tree = fileContents(sandbox.path('data'));
      for (const file of [box.path(STATE), box.path('run.sh')]) {
        try {
          expect(readFileSync(file, 'utf8')).not.toContain(PASSWORD);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      }
      // Lose the collect point and the data, and restore the newest snapshot.
      sandbox.write({ 'collect/site/backups/stray.txt': 'not in the snapshot\n' });
      spawnSync('rm', ['-rf', '--', sandbox.path('data')]);
      const restore = await run(sandbox, how, 'restore', at(10));
      expect(restore.code, restore.stderr).toBe(0);
      expect(`${restore.stdout}${restore.stderr}`).not.toContain(PASSWORD);
      expect(fileContents(sandbox.path('data'))).toEqual(tree);
      expect(readdirSync(sandbox.path('collect/site/backups'))).toEqual(['www']);
      // --at: the newest snapshot not after it, which the run finds in the repository.
      const eighth = await run(sandbox, how, 'restore', at(10), ['--at', `${day(8)}T12:00:00+01:00`]);
      expect(eighth.code, eighth.stderr).toBe(0);
      expect(readFileSync(sandbox.path('data/index.html'), 'utf8')).toBe('<p>day 8</p>\n');
      const restored = fileContents(sandbox.path('data'));
      // The state says that the 7th is kept, but restic no longer holds it (forgotten elsewhere):
      // the run fails on that point, naming it, and changes nothing.
      const seventh = (
        JSON.parse(restic(sandbox.path('repo'), ['snapshots', '--json']).stdout) as Listed[]
      ).find((s) => s.time.startsWith(day(7)));
      expect(restic(sandbox.path('repo'), ['forget', seventh?.id ?? 'none']).status).toBe(0);
      for (const extra of [
        ['--at', at(7)],
        ['--from', 'vault', '--at', at(5)],
      ]) {
        const none = await run(sandbox, how, 'restore', at(10), extra);
        expect(none.code, none.stderr).toBe(1);
        expect(none.stderr).toContain('no snapshot tagged "site" in');
        expect(none.stderr).toMatch(/fetch:vault\/site[\s\S]*vault\.backup:3/);
        expect(fileContents(sandbox.path('data'))).toEqual(restored);
      }
    },
  );

  it("names the password's line, and the variables it is made of, when restic has no key for it, in both backends", async () => {
    box = makeSandbox('polyarchiv-restic-');
    configure(box);
    const sandbox = box;
    expect((await run(sandbox, 'apply', 'backup', at(1))).code).toBe(0);
    const config = readFileSync(sandbox.path('config/vault.backup'), 'utf8');
    const collect = readFileSync(sandbox.path('config/site.collect'), 'utf8');
    const said = (made: string) =>
      `polyarchiv:   the repository ${sandbox.path('repo')} has no key for the password of option 'password' (vault.backup:4 [point]${made}): it is not this repository's password`;
    // Each variable named with where it is set: its line in a [variables] section, or --set.
    const variables = '\n[variables]\nvaultpw = wrong\n';
    const line = (text: string) => text.split('\n').length + 2;
    const cases = [
      { password: 'wrong', extra: [], made: '' },
      { password: '{vaultpw}', extra: ['--set', 'vaultpw=wrong'], made: ', made of {vaultpw} from --set' },
      {
        password: '{vaultpw}',
        extra: [],
        vault: variables,
        made: `, made of {vaultpw} from vault.backup:${line(config)} [variables]`,
      },
      {
        password: '{vaultpw}',
        extra: [],
        vault: variables.replace('[variables]', '[variables "site"]'),
        made: `, made of {vaultpw} from vault.backup:${line(config)} [variables "site"]`,
      },
      {
        password: '{vaultpw}',
        extra: [],
        site: variables,
        made: `, made of {vaultpw} from site.collect:${line(collect)} [variables]`,
      },
    ];
    for (const { password, extra, made, vault = '', site = '' } of cases) {
      sandbox.write({
        'config/vault.backup': `${config.replace(PASSWORD, password)}${vault}`,
        'config/site.collect': `${collect}${site}`,
      });
      for (const how of ['apply', 'script'] as const) {
        for (const command of ['backup', 'restore'] as const) {
          const failed = await run(sandbox, how, command, at(2), extra, { [SECRET]: 'wrong' });
          const outcome = { password, how, command, code: failed.code };
          expect(outcome, failed.stderr).toEqual({ ...outcome, code: 1 });
          // restic's own line, then which option it means.
          expect(failed.stderr).toMatch(/wrong password or no key found[\s\S]*has no key for the password/);
          expect(failed.stderr).toContain(said(made));
          expect(failed.stderr).not.toContain(PASSWORD);
          // The backup's state records why, for `check` and `status`.
          if (command === 'backup')
            expect(readFileSync(sandbox.path(STATE), 'utf8')).toContain(
              "has no key for the password of option 'password'",
            );
        }
      }
    }
  });

  it("names the password's line whichever restic command of the unit first meets a key it lacks, in both backends", async () => {
    box = makeSandbox('polyarchiv-restic-');
    configure(box);
    const sandbox = box;
    expect((await run(sandbox, 'apply', 'backup', at(1))).code).toBe(0);
    // restic, run with a password the repository has no key for by the command named in the file
    // `wrong-for` only: every command before it (init, unlock, the list) opens the repository.
    sandbox.write({
      'restic-for-test': `#!/bin/sh\nfor word in "$@"; do\n  if [ "$word" = "$(cat '${sandbox.path('wrong-for')}')" ]; then RESTIC_PASSWORD=wrong; export RESTIC_PASSWORD; fi\ndone\nexec restic "$@"\n`,
      'config/tools.global': `[global]\nrestic_executable = ${sandbox.path('restic-for-test')}\n`,
    });
    chmodSync(sandbox.path('restic-for-test'), 0o755);
    const said = `polyarchiv:   the repository ${sandbox.path('repo')} has no key for the password of option 'password' (vault.backup:4 [point]): it is not this repository's password`;
    for (const [command, wrongFor] of [
      ['backup', 'backup'],
      ['restore', 'snapshots'],
      ['restore', 'restore'],
    ] as const)
      for (const how of ['apply', 'script'] as const) {
        sandbox.write({ 'wrong-for': wrongFor });
        const failed = await run(sandbox, how, command, at(2));
        const outcome = { how, wrongFor, code: failed.code };
        expect(outcome, failed.stderr).toEqual({ ...outcome, code: 1 });
        expect(failed.stderr).toMatch(/wrong password or no key found[\s\S]*has no key for the password/);
        expect(failed.stderr).toContain(said);
        // In place of the words of any other failure.
        expect(failed.stderr).not.toMatch(/could not be (read|restored whole)/);
      }
  });

  it('fails alone, naming the point and its line, with a wrong password or a locked repository', async () => {
    box = makeSandbox('polyarchiv-restic-');
    configure(box);
    const sandbox = box;
    sandbox.write({
      'config/other.backup': '[point]\nengine = restic\nremote_url = {root}/other\npassword = other secret\n',
    });
    expect((await run(sandbox, 'apply', 'backup', at(1))).code).toBe(0);
    // Another password for the same repository: restic refuses it, the other point still runs.
    restic(sandbox.path('other'), ['init'], 'other secret');
    sandbox.write({
      'config/vault.backup': readFileSync(sandbox.path('config/vault.backup'), 'utf8').replace(
        PASSWORD,
        'wrong',
      ),
    });
    const wrong = await run(sandbox, 'apply', 'backup', at(2));
    expect(wrong.code, wrong.stderr).toBe(1);
    expect(wrong.stderr).toMatch(/wrong password/);
    expect(wrong.stderr).toMatch(/backup:vault\/site[\s\S]*vault\.backup:3/);
    expect(wrong.stderr).toMatch(/ok +backup:other\/site/);
    expect(existsInRepo(sandbox)).toBe(true);
    // Another restic holds a lock (a backup reading its standard input): the forget of a run that
    // forgets a snapshot needs the repository alone, and fails with restic's message.
    configure(sandbox);
    sandbox.write({
      'config/vault.backup': readFileSync(sandbox.path('config/vault.backup'), 'utf8')
        .replace('daily_count = 3', 'daily_count = 1')
        .replace('weekly_count = 2', 'weekly_count = 0'),
    });
    const holder = spawn('restic', ['--repo', sandbox.path('repo'), '--no-cache', 'backup', '--stdin'], {
      env: { ...process.env, RESTIC_PASSWORD: PASSWORD },
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    try {
      while (readdirSync(sandbox.path('repo/locks')).length === 0)
        await new Promise((r) => setTimeout(r, 20));
      const locked = await run(sandbox, 'apply', 'backup', at(3));
      expect(locked.code, locked.stderr).toBe(1);
      expect(locked.stderr).toMatch(/already locked/);
      expect(locked.stderr).toMatch(/backup:vault\/site[\s\S]*vault\.backup:3/);
      expect(locked.stderr).toMatch(/ok +backup:other\/site/);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it.each(['apply', 'script'] as const)(
    'removes the lock a killed restic left before it backs up and forgets (%s)',
    async (how) => {
      box = makeSandbox('polyarchiv-restic-');
      configure(box);
      const sandbox = box;
      for (const n of [1, 2, 3]) expect((await run(sandbox, how, 'backup', at(n))).code).toBe(0);
      // A restic killed while it held the repository's lock (a backup reading its standard input),
      // as a run killed with SIGKILL leaves it: a lock of a dead process of this host.
      const killed = spawn('restic', ['--repo', sandbox.path('repo'), '--no-cache', 'backup', '--stdin'], {
        env: { ...process.env, RESTIC_PASSWORD: PASSWORD },
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      // The local backend writes a lock under a temporary name, then renames it.
      const locks = () => readdirSync(sandbox.path('repo/locks'));
      while (locks().length !== 1 || locks()[0]?.includes('-tmp-'))
        await new Promise((r) => setTimeout(r, 20));
      killed.kill('SIGKILL');
      await new Promise((resolve) => killed.on('exit', resolve));
      expect(locks()).toHaveLength(1);
      // The next run forgets two snapshots (daily 2), which needs the repository alone.
      sandbox.write({
        'config/vault.backup': readFileSync(sandbox.path('config/vault.backup'), 'utf8')
          .replace('daily_count = 3', 'daily_count = 2')
          .replace('weekly_count = 2', 'weekly_count = 0'),
      });
      const next = await run(sandbox, how, 'backup', at(4));
      expect(next.code, next.stderr).toBe(0);
      expect(next.stderr).toMatch(/remove the locks that restic processes which are gone left in/);
      expect(snapshotDays(sandbox)).toEqual([day(3), day(4)]);
      expect(locks()).toEqual([]);
    },
  );
});

describe.runIf(canRun)('a restic repository whose newest snapshot is damaged', { timeout: 600_000 }, () => {
  let box: Sandbox | undefined;
  afterEach(() => box?.remove());

  it.each(['apply', 'script'] as const)(
    'restores no older snapshot in its place without a word, and the older one on request (%s)',
    async (how) => {
      box = makeSandbox('polyarchiv-restic-damaged-');
      configure(box);
      const sandbox = box;
      for (const n of [1, 2]) {
        sandbox.write({ 'data/index.html': `<p>day ${n}</p>\n` });
        expect((await run(sandbox, how, 'backup', at(n))).code).toBe(0);
      }
      const snapshots = JSON.parse(restic(sandbox.path('repo'), ['snapshots', '--json']).stdout) as {
        id: string;
        time: string;
      }[];
      const newest = snapshots.reduce((a, b) => (Date.parse(a.time) > Date.parse(b.time) ? a : b));
      damageSnapshot(sandbox.path('repo'), sandbox.path('repo'), newest.id);
      const live = fileContents(sandbox.path('data'));
      const copy = fileContents(sandbox.path('collect/site/backups'));
      const refused = await run(sandbox, how, 'restore', at(3));
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `the newest snapshot of "site" that its backups recorded (taken ${at(2)}) is not among those restic could read in ${sandbox.path('repo')} (gone, or damaged: restic says why above): nothing was restored, collect point "site" and the live data were not changed`,
      );
      expect(refused.stderr).toMatch(/failed with exit code 6: step \d+ of \d+ at vault\.backup:3 \[point\]/);
      expect(fileContents(sandbox.path('data'))).toEqual(live);
      expect(fileContents(sandbox.path('collect/site/backups'))).toEqual(copy);
      // Asked for by its time, the older snapshot is restored.
      const older = await run(sandbox, how, 'restore', at(3), ['--at', at(1)]);
      expect(older.code, older.stderr).toBe(0);
      expect(readFileSync(sandbox.path('data/index.html'), 'utf8')).toBe('<p>day 1</p>\n');
    },
  );
});

function existsInRepo(box: Sandbox): boolean {
  return restic(box.path('repo'), ['cat', 'config']).status === 0;
}
