import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import { runCli } from './cli.js';
import { ODD_FILES, writeTree } from './odd-files.js';
import { makeSandbox, type Sandbox } from './sandbox.js';
import { fileContents } from './tree.js';

/** A git collect point `journal` that copies `{root}/data` into `files` and commits it. */
export const JOURNAL_COLLECT = [
  '[point]',
  'engine = git',
  'local_path = {root}/collect',
  'commit_email = root@localhost',
  'commit_message = Backup of {name}',
  '',
  '[source "files"]',
  'engine = local_files',
  'source_path = {root}/data',
  'destination_path = files',
  '',
].join('\n');

export interface GitCase {
  readonly box: Sandbox;
  readonly args: string[];
  readonly env: Record<string, string>;
  /** The bare repository the backup point pushes to. */
  readonly remote: string;
  /** The collect point's repository. */
  readonly local: string;
}

/**
 * A git collect point `journal` of odd names, pushed by the git backup point `up` to branch
 * backups/journal of a bare repository; `mirror`, a synchronize point, shows that a failing git
 * push stops nothing else.
 */
export function gitCase(
  remoteUrl: (box: Sandbox) => string,
  upOptions: readonly string[] = [],
  /** A bare repository that a server holds; by default one is created in the sandbox. */
  served?: string,
): GitCase {
  return gitCaseOf((box) => ['engine = git', `remote_url = ${remoteUrl(box)}`], upOptions, served);
}

/** The same case with `up`'s engine and remote written by `upRemote` (a gitlab point...). */
export function gitCaseOf(
  upRemote: (box: Sandbox) => readonly string[],
  upOptions: readonly string[] = [],
  served?: string,
): GitCase {
  const box = makeSandbox('polyarchiv-git-backup-');
  const remote = served ?? box.path('remote/journal.git');
  if (served === undefined) git(['init', '-q', '--bare', remote]);
  box.write({
    'config/journal.collect': JOURNAL_COLLECT,
    'config/up.backup': [
      '[point]',
      ...upRemote(box),
      'remote_branch = backups/{name}',
      ...upOptions,
      '',
    ].join('\n'),
    'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
    'home/.gitconfig': '',
  });
  writeTree(box.path('data'), ODD_FILES);
  return {
    box,
    args: ['-C', box.path('config'), '--set', `root=${box.root}`, '--set', 'username=backup'],
    // The user's global git configuration is an empty file of the sandbox.
    env: { HOME: box.path('home'), GIT_CONFIG_NOSYSTEM: '1' },
    remote,
    local: box.path('collect/backups'),
  };
}

export function git(args: readonly string[], env: Record<string, string> = {}) {
  const result = spawnSync('git', args, { encoding: 'utf8', env: { ...process.env, ...env } });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** The branch's history, newest first: author and subject. */
export function branchLog(gitDir: string, branch: string): string[] {
  const log = spawnSync('git', ['--git-dir', gitDir, 'log', '--format=%an <%ae> %s', branch], {
    encoding: 'utf8',
  });
  return log.status === 0 ? log.stdout.trim().split('\n') : [];
}

export function head(gitDir: string, ref = 'HEAD'): string {
  return git(['--git-dir', gitDir, 'rev-parse', ref]).trim();
}

export type Backend = 'apply' | 'script';

/** A backup, or a restore from `up`, through `polyarchiv` itself or through its script. */
export function runPoint(
  t: GitCase,
  backend: Backend,
  mode: 'backup' | 'restore' = 'backup',
  env: Record<string, string> = {},
  /** More arguments: of a restore (--at TIME), or of a backup (--now TIME). */
  moreArgs: readonly string[] = [],
  /** The backup point a restore names with --from; null: none, polyarchiv chooses. */
  from: string | null = 'up',
) {
  const modeArgs =
    mode === 'backup' ? [...moreArgs] : [...(from === null ? [] : ['--from', from]), ...moreArgs];
  if (backend === 'apply')
    return runCli([mode, ...(mode === 'restore' ? ['--yes'] : []), ...modeArgs, ...t.args], {
      ...t.env,
      ...env,
    });
  const script = t.box.path(`${mode}.sh`);
  const plan = runCli(['plan', ...(mode === 'restore' ? ['--restore'] : []), ...modeArgs, ...t.args], t.env);
  if (plan.code !== 0) return plan;
  writeFileSync(script, plan.stdout);
  const result = spawnSync('bash', [script, ...(mode === 'restore' ? ['--yes'] : [])], {
    encoding: 'utf8',
    env: { ...process.env, ...t.env, ...env },
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Two backups with a change between, a lost collect point and source, a restore: same files, same history. */
export function roundTrip(t: GitCase, backend: Backend, env: Record<string, string> = {}): void {
  const run = (t: GitCase, backend: Backend, mode: 'backup' | 'restore' = 'backup') =>
    runPoint(t, backend, mode, env);
  const first = run(t, backend);
  expect(first.code, first.stdout + first.stderr).toBe(0);
  const entry = 'backup <root@localhost> Backup of journal';
  expect(branchLog(t.remote, 'backups/journal')).toEqual([entry]);

  writeFileSync(t.box.path('data/new file.txt'), 'new\n');
  rmSync(t.box.path('data/plain.txt'));
  const second = run(t, backend);
  expect(second.code, second.stdout + second.stderr).toBe(0);
  const unchanged = run(t, backend);
  expect(unchanged.code, unchanged.stdout + unchanged.stderr).toBe(0);
  // One commit per run with changes, pushed as the collect point made it.
  expect(branchLog(t.remote, 'backups/journal')).toEqual([entry, entry]);
  expect(head(t.remote, 'backups/journal')).toBe(head(`${t.local}/.git`));
  // Nothing else on the remote: only the configured branch.
  expect(git(['--git-dir', t.remote, 'for-each-ref', '--format=%(refname)']).trim()).toBe(
    'refs/heads/backups/journal',
  );

  const saved = fileContents(t.box.path('data'));
  const savedHead = head(t.remote, 'backups/journal');
  rmSync(t.box.path('collect'), { recursive: true });
  rmSync(t.box.path('data'), { recursive: true });
  const restore = run(t, backend, 'restore');
  expect(restore.code, restore.stdout + restore.stderr).toBe(0);
  expect(fileContents(t.box.path('data'))).toEqual(saved);
  expect(fileContents(`${t.local}/files`)).toEqual(saved);
  expect(head(`${t.local}/.git`)).toBe(savedHead);
  expect(branchLog(`${t.local}/.git`, 'HEAD')).toEqual([entry, entry]);

  // The restored collect point goes on from the restored history: the next push is a fast-forward.
  writeFileSync(t.box.path('data/after.txt'), 'after\n');
  const after = run(t, backend);
  expect(after.code, after.stdout + after.stderr).toBe(0);
  expect(branchLog(t.remote, 'backups/journal')).toEqual([entry, entry, entry]);
}

/**
 * Three backups a day apart (their commits dated so), a rebuilt machine (no collect point, no
 * state) whose live data changed since, a restore at --at of the second day: its files come back,
 * committed again on top of the branch, whose next push is a fast-forward; an --at before the
 * first commit fails, changing nothing.
 */
export function restoreAtRoundTrip(t: GitCase, backend: Backend, env: Record<string, string> = {}): void {
  const entry = 'backup <root@localhost> Backup of journal';
  const days: Record<number, Record<string, string>> = {};
  for (const day of [1, 2, 3]) {
    writeFileSync(t.box.path('data/day.txt'), `day ${day}\n`);
    if (day === 3) rmSync(t.box.path('data/plain.txt'));
    const backup = runPoint(t, backend, 'backup', {
      ...env,
      GIT_COMMITTER_DATE: `2026-03-0${day}T03:00:00Z`,
    });
    expect(backup.code, backup.stdout + backup.stderr).toBe(0);
    days[day] = fileContents(t.box.path('data'));
  }
  const remoteHead = head(t.remote, 'backups/journal');
  expect(branchLog(t.remote, 'backups/journal')).toEqual([entry, entry, entry]);

  rmSync(t.box.path('collect'), { recursive: true });
  writeFileSync(t.box.path('data/day.txt'), 'day 4\n');
  const restore = runPoint(t, backend, 'restore', env, ['--at', '2026-03-02T04:00:00+01:00']);
  expect(restore.code, restore.stdout + restore.stderr).toBe(0);
  expect(restore.stderr).toMatch(/commit [0-9a-f]{8}, made 2026-03-02T03:00:00\+00:00/);
  expect(fileContents(t.box.path('data'))).toEqual(days[2]);
  expect(fileContents(`${t.local}/files`)).toEqual(days[2]);
  // The files of that commit, committed again on top of the branch's head: nothing is rewritten.
  const restored =
    'backup <root@localhost> Restore of branch backups/journal as it was at 2026-03-02T03:00:00Z';
  expect(branchLog(`${t.local}/.git`, 'HEAD')).toEqual([restored, entry, entry, entry]);
  expect(head(`${t.local}/.git`, 'HEAD~1')).toBe(remoteHead);
  expect(head(t.remote, 'backups/journal')).toBe(remoteHead);

  // The next backup is a fast-forward that carries the restore.
  const after = runPoint(t, backend, 'backup', env);
  expect(after.code, after.stdout + after.stderr).toBe(0);
  expect(branchLog(t.remote, 'backups/journal')).toEqual([restored, entry, entry, entry]);

  // Without --from, the collect point's own history here: the first day's files, committed on top
  // of its head, which its next backup pushes as a fast-forward.
  writeFileSync(t.box.path('data/day.txt'), 'day 6\n');
  const own = runPoint(t, backend, 'restore', env, ['--at', '2026-03-01T04:00:00+01:00'], null);
  expect(own.code, own.stdout + own.stderr).toBe(0);
  expect(fileContents(t.box.path('data'))).toEqual(days[1]);
  const ownRestore =
    'backup <root@localhost> Restore of the collect directory as it was at 2026-03-01T03:00:00Z';
  expect(branchLog(`${t.local}/.git`, 'HEAD')).toEqual([ownRestore, restored, entry, entry, entry]);
  const why = runCli(
    ['plan', '--restore', '--format', 'text', '--at', '2026-03-01T04:00:00+01:00', ...t.args],
    t.env,
  );
  expect(why.stdout).toContain(
    'journal keeps its history (a git repository): its sources are restored from its last commit made at or before --at 2026-03-01T04:00:00+01:00',
  );
  expect(why.stdout).not.toMatch(/^\+ fetch/m);
  const pushed = runPoint(t, backend, 'backup', env);
  expect(pushed.code, pushed.stdout + pushed.stderr).toBe(0);
  expect(branchLog(t.remote, 'backups/journal')).toEqual([ownRestore, restored, entry, entry, entry]);

  writeFileSync(t.box.path('data/day.txt'), 'day 5\n');
  const live = fileContents(t.box.path('data'));
  const localHead = head(`${t.local}/.git`);
  const none = runPoint(t, backend, 'restore', env, ['--at', '2026-03-01T02:59:59Z']);
  expect(none.code).toBe(1);
  expect(none.stderr).toMatch(
    /no commit of branch backups\/journal of \S+ was made at or before 2026-03-01T02:59:59Z: nothing was restored/,
  );
  expect(fileContents(t.box.path('data'))).toEqual(live);
  expect(head(`${t.local}/.git`)).toBe(localHead);
}
