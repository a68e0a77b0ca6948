import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import {
  branchLog,
  git,
  gitCase,
  head,
  restoreAtRoundTrip,
  roundTrip,
  runPoint as run,
} from '../helpers/git-case.js';
import type { Sandbox } from '../helpers/sandbox.js';
import { serverPerSuite } from '../helpers/server-per-suite.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';
import { haveSshd, startSshd } from '../servers/sshd.js';

// A round trip is six runs of polyarchiv: minutes on a loaded machine.
const canRun = haveTools('git', 'rsync', 'flock', 'bash', 'sha256sum');

describe.runIf(canRun).each(['apply', 'script'] as const)(
  'a git backup point through %s',
  { timeout: 600_000 },
  (backend) => {
    let box: Sandbox | undefined;
    afterEach(() => box?.remove());

    it('pushes to a bare repository named by file://, and restores from it', () => {
      const t = gitCase((b) => `file://${encodeURI(b.path('remote'))}/{name}.git`);
      box = t.box;
      roundTrip(t, backend);
    });

    it('pushes to a bare repository named by a plain path, and restores from it', () => {
      const t = gitCase((b) => `${b.path('remote')}/{name}.git`);
      box = t.box;
      roundTrip(t, backend);
    });

    it('restores the commit of --at on a rebuilt machine, and goes on from the head of the branch', () => {
      const t = gitCase((b) => `${b.path('remote')}/{name}.git`);
      box = t.box;
      restoreAtRoundTrip(t, backend);
    });

    it('restores --at from a plain mirror on a rebuilt machine: its newest copy, then the history it holds', () => {
      const t = gitCase((b) => `${b.path('remote')}/{name}.git`);
      box = t.box;
      const days: Record<number, Record<string, string>> = {};
      for (const day of [1, 2, 3]) {
        writeFileSync(t.box.path('data/day.txt'), `day ${day}\n`);
        const backup = run(t, backend, 'backup', { GIT_COMMITTER_DATE: `2026-03-0${day}T03:00:00Z` });
        expect(backup.code, backup.stdout + backup.stderr).toBe(0);
        days[day] = fileContents(t.box.path('data'));
      }
      // The collect directory is lost, its states are not: without --from, the history comes back
      // with the newest copy of a backup point.
      rmSync(t.box.path('collect/backups'), { recursive: true });
      const gone = run(t, backend, 'restore', {}, ['--at', '2026-03-02T04:00:00+01:00'], null);
      expect(gone.code, gone.stdout + gone.stderr).toBe(0);
      expect(fileContents(t.box.path('data'))).toEqual(days[2]);
      const goneWhy = runCli(
        ['plan', '--restore', '--format', 'text', '--at', '2026-03-02T04:00:00+01:00', ...t.args],
        t.env,
      );
      expect(goneWhy.stdout).not.toContain(`${t.local}/.git is gone`);
      rmSync(t.box.path('collect/backups'), { recursive: true });
      const goneAgain = runCli(
        ['plan', '--restore', '--format', 'text', '--at', '2026-03-02T04:00:00+01:00', ...t.args],
        t.env,
      );
      expect(goneAgain.stdout).toContain(`${t.local}/.git is gone: no state file here records a copy`);

      // The machine is rebuilt: no collect point, no state, and the mirror records only its last copy.
      rmSync(t.box.path('collect'), { recursive: true });
      writeFileSync(t.box.path('data/day.txt'), 'day 4\n');
      const at = ['--at', '2026-03-02T04:00:00+01:00'];
      const why = runCli(
        ['plan', '--restore', '--format', 'text', '--from', 'mirror', ...at, ...t.args],
        t.env,
      );
      expect(why.code, why.stderr).toBe(0);
      expect(why.stdout).toContain(
        "chosen with --from mirror: no state file here records a copy of journal made at or before --at 2026-03-02T04:00:00+01:00 on it: its newest copy is fetched, and journal's history (a git repository) gives what its last run that started at or before --at committed",
      );
      const restore = run(t, backend, 'restore', {}, at, 'mirror');
      expect(restore.code, restore.stdout + restore.stderr).toBe(0);
      expect(restore.stderr).toMatch(/commit [0-9a-f]{8}, made 2026-03-02T03:00:00\+00:00/);
      expect(fileContents(t.box.path('data'))).toEqual(days[2]);
      expect(fileContents(`${t.local}/files`)).toEqual(days[2]);
      const entry = 'backup <root@localhost> Backup of journal';
      const restored =
        'backup <root@localhost> Restore of the collect directory as it was at 2026-03-02T03:00:00Z';
      expect(branchLog(`${t.local}/.git`, 'HEAD')).toEqual([restored, entry, entry, entry]);

      // Nothing in that history is old enough: the restore fails and the live data stays.
      writeFileSync(t.box.path('data/day.txt'), 'day 5\n');
      const live = fileContents(t.box.path('data'));
      const none = run(t, backend, 'restore', {}, ['--at', '2026-03-01T02:59:59Z'], 'mirror');
      expect(none.code).toBe(1);
      expect(fileContents(t.box.path('data'))).toEqual(live);
    });

    it('dates each commit as the state dates its success: when the run started (--now pins it)', () => {
      const t = gitCase((b) => `${b.path('remote')}/{name}.git`);
      box = t.box;
      const now = backend === 'apply' ? ['--now', '2026-03-10T04:05:06Z'] : [];
      const backup = run(t, backend, 'backup', { TZ: 'UTC' }, now);
      expect(backup.code, backup.stdout + backup.stderr).toBe(0);
      const state = JSON.parse(
        readFileSync(t.box.path('collect/metadata/collect_point/journal.json'), 'utf8'),
      );
      if (backend === 'apply') expect(state.last_success).toBe('2026-03-10T04:05:06');
      const dates = git(['--git-dir', `${t.local}/.git`, 'log', '-1', '--format=%aI %cI'], { TZ: 'UTC' });
      expect(dates.trim()).toBe(`${state.last_success}+00:00 ${state.last_success}+00:00`);
    });
  },
);

describe.runIf(canRun)('a failing git backup point', { timeout: 600_000 }, () => {
  let box: Sandbox | undefined;
  afterEach(() => box?.remove());

  it('fails alone when the remote repository is missing, naming the point and its line', () => {
    const t = gitCase((b) => `${b.path('remote')}/missing-{name}.git`);
    box = t.box;
    const result = run(t, 'apply');
    expect(result.code).toBe(1);
    const output = result.stdout + result.stderr;
    expect(output).toMatch(/failed\s+backup:up\/journal/);
    expect(output).toMatch(/ok\s+backup:mirror\/journal/);
    expect(output).toContain('up.backup:3');
    expect(output).toContain('does not appear to be a git repository');
    expect(branchLog(`${t.local}/.git`, 'HEAD')).toHaveLength(1);
  });

  it('refuses a remote branch that went elsewhere (no forced push), and keeps the local history', () => {
    const t = gitCase((b) => `${b.path('remote')}/{name}.git`);
    box = t.box;
    expect(run(t, 'apply').code).toBe(0);
    // Someone else's commit on the branch: the collect point's next commit is not its descendant.
    const other = t.box.path('other');
    git(['clone', '-q', '--branch', 'backups/journal', t.remote, other]);
    writeFileSync(`${other}/elsewhere.txt`, 'x\n');
    git(['-C', other, 'add', 'elsewhere.txt']);
    git(['-C', other, '-c', 'user.name=o', '-c', 'user.email=o@o', 'commit', '-q', '-m', 'elsewhere']);
    git(['-C', other, 'push', '-q', 'origin', 'backups/journal']);
    const theirs = head(t.remote, 'backups/journal');
    writeFileSync(t.box.path('data/new.txt'), 'new\n');
    const result = run(t, 'apply');
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toMatch(/rejected|non-fast-forward|fetch first/);
    expect(head(t.remote, 'backups/journal')).toBe(theirs);
    expect(branchLog(`${t.local}/.git`, 'HEAD')).toHaveLength(2);
  });

  it('writes nothing to the git configuration of the collect point, the remote or the user', () => {
    const t = gitCase((b) => `${b.path('remote')}/{name}.git`);
    box = t.box;
    const before = [`${t.remote}/config`, t.box.path('home/.gitconfig')].map((f) => readFileSync(f, 'utf8'));
    expect(run(t, 'apply').code).toBe(0);
    const after = [`${t.remote}/config`, t.box.path('home/.gitconfig')].map((f) => readFileSync(f, 'utf8'));
    expect(after).toEqual(before);
    expect(readFileSync(`${t.local}/.git/config`, 'utf8')).not.toMatch(/remote|url|credential/);
  });
});

describe.runIf(canRun && haveSshd())('a git backup point over ssh', { timeout: 600_000 }, () => {
  const sshd = serverPerSuite(startSshd);
  let box: Sandbox | undefined;
  afterEach(() => box?.remove());

  // The key's directory has a space and quotes: GIT_SSH_COMMAND must keep it one word.
  const keyOptions = (key = sshd().clientKey) => [
    `private_key = ${key}`,
    `ssh_options = ${sshd().sshOptions}`,
  ];

  it.each(['apply', 'script'] as const)(
    'pushes over ssh://user@host:port/path and restores (%s)',
    (backend) => {
      const t = gitCase(
        (b) => `ssh://root@127.0.0.1:${sshd().port}${b.path('remote')}/{name}.git`,
        keyOptions(),
      );
      box = t.box;
      roundTrip(t, backend);
    },
  );

  it.each(['apply', 'script'] as const)(
    'pushes over scp-like user@host:path and restores (%s)',
    (backend) => {
      // scp-like URLs have no port: it comes with the ssh options.
      const t = gitCase(
        (b) => `root@127.0.0.1:${b.path('remote')}/{name}.git`,
        [`private_key = ${sshd().clientKey}`, `ssh_options = ${sshd().sshOptions} -p ${sshd().port}`],
      );
      box = t.box;
      roundTrip(t, backend);
    },
  );

  it('fails alone with a key the server does not know, or with the server down', async () => {
    const t = gitCase(
      (b) => `ssh://root@127.0.0.1:${sshd().port}${b.path('remote')}/{name}.git`,
      keyOptions(sshd().wrongKey),
    );
    box = t.box;
    const denied = run(t, 'apply');
    expect(denied.code).toBe(1);
    expect(denied.stdout + denied.stderr).toMatch(/Permission denied/);
    expect(denied.stdout + denied.stderr).toMatch(/ok\s+backup:mirror\/journal/);
    expect(branchLog(`${t.local}/.git`, 'HEAD')).toHaveLength(1);

    writeFileSync(
      t.box.path('config/up.backup'),
      readFileSync(t.box.path('config/up.backup'), 'utf8').replace(sshd().wrongKey, sshd().clientKey),
    );
    await sshd().stop();
    try {
      const down = run(t, 'apply');
      expect(down.code).toBe(1);
      expect(down.stdout + down.stderr).toMatch(/Connection refused/);
      expect(down.stdout + down.stderr).toMatch(/ok\s+backup:mirror\/journal/);
    } finally {
      await sshd().start();
    }
    const again = run(t, 'apply');
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(branchLog(t.remote, 'backups/journal')).toHaveLength(1);
  });
});
