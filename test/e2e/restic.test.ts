import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type CliResult, runAsync, runCliAsync } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum', 'restic');
const PASSWORD = 'restic pass: $HOME `id` "quoted"';
const SECRET = 'POLYARCHIV_SECRET_VAULT_SITE_PASSWORD';
const STATE = 'collect/site/metadata/remote-vault/remote/vault.json';

/** An odd tree: spaces, quotes, a newline, a leading dash, a glob character, an empty file. */
const TREE: Record<string, string> = {
  'data/index.html': '<p>site</p>\n',
  'data/with space/it\'s "quoted".txt': 'quoted\n',
  'data/-dash/[glob]*?.txt': 'glob\n',
  'data/new\nline.txt': 'newline\n',
  'data/empty': '',
};

function configure(box: Sandbox, repository = '{root}/repo', extra = ''): void {
  box.write({
    'config/site.collect':
      '[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "www"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = www\n',
    'config/vault.backup': `[point]\nengine = restic\nremote_url = ${repository}\npassword = ${PASSWORD}\nhourly_count = 0\ndaily_count = 3\nweekly_count = 2\nmonthly_count = 0\nyearly_count = 0\n${extra}`,
    ...TREE,
  });
}

/** Every process command line that shows `needle`, and the environments of restic processes. */
function watchProcesses(needle: string): { stop: () => { leaks: string[]; resticEnvs: string[] } } {
  const leaks = new Set<string>();
  const resticEnvs: string[] = [];
  const timer = setInterval(() => {
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (line.includes(needle)) leaks.add(line.replaceAll('\0', ' '));
        if (line.startsWith('restic\0')) resticEnvs.push(readFileSync(`/proc/${pid}/environ`, 'utf8'));
      } catch {
        // The process ended between the listing and the read.
      }
    }
  }, 10);
  return {
    stop: () => {
      clearInterval(timer);
      return { leaks: [...leaks], resticEnvs };
    },
  };
}

/** One run at a pinned time, through apply or through the script `plan` renders. */
async function run(
  box: Sandbox,
  how: 'apply' | 'script',
  command: 'backup' | 'restore',
  now: string,
  extra: string[] = [],
): Promise<CliResult> {
  const args = ['-C', box.path('config'), '--set', `root=${box.root}`, '--now', now, ...extra];
  const yes = command === 'restore' ? ['--yes'] : [];
  if (how === 'apply') return runCliAsync([command, ...yes, ...args]);
  const plan = await runCliAsync(['plan', ...(command === 'restore' ? ['--restore'] : []), ...args]);
  if (plan.code !== 0) return plan;
  writeFileSync(box.path('run.sh'), plan.stdout);
  return runAsync('bash', [box.path('run.sh'), ...yes], { [SECRET]: PASSWORD });
}

function restic(repository: string, args: readonly string[], password = PASSWORD) {
  return spawnSync('restic', ['--repo', repository, '--no-cache', ...args], {
    encoding: 'utf8',
    env: { ...process.env, RESTIC_PASSWORD: password },
  });
}

const snapshotDays = (box: Sandbox): string[] =>
  (
    JSON.parse(restic(box.path('repo'), ['snapshots', '--json', '--tag', 'site']).stdout) as {
      time: string;
    }[]
  )
    .map((s) => s.time.slice(0, 10))
    .sort();

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
        const watch = watchProcesses(PASSWORD);
        const result = await run(sandbox, how, 'backup', at(n));
        const { leaks, resticEnvs } = watch.stop();
        expect(result.code, result.stderr).toBe(0);
        expect(leaks).toEqual([]);
        // restic runs with the environment it was given added to the inherited one.
        const seen = resticEnvs.filter((env) => env !== '');
        expect(seen.length).toBeGreaterThan(0);
        for (const env of seen) {
          expect(env).toMatch(/(^|\0)PATH=/);
          expect(env).toMatch(/(^|\0)HOME=/);
        }
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
    },
  );

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
});

function existsInRepo(box: Sandbox): boolean {
  return restic(box.path('repo'), ['cat', 'config']).status === 0;
}
