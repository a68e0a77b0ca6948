import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { JOURNAL_COLLECT } from '../helpers/git-case.js';
import { ODD_FILES } from '../helpers/odd-files.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';

const canRun = haveTools('git', 'rsync', 'flock', 'bash', 'sha256sum');

/** A user's git configuration that would break a careless commit: signing, and a failing hook. */
const HOSTILE_GITCONFIG = (home: string) =>
  `[commit]\n\tgpgsign = true\n[core]\n\thooksPath = ${home}/hooks\n`;

function setUp(): { box: Sandbox; args: string[]; env: Record<string, string>; repo: string } {
  const box = makeSandbox('polyarchiv-git-collect-');
  const home = box.path('home');
  box.write({
    'config/journal.collect': JOURNAL_COLLECT,
    'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
    'home/.gitconfig': HOSTILE_GITCONFIG(home),
    'home/hooks/pre-commit': '#!/bin/sh\nexit 1\n',
    'home/hooks/commit-msg': '#!/bin/sh\nexit 1\n',
    ...Object.fromEntries(Object.entries(ODD_FILES).map(([name, text]) => [`data/${name}`, text])),
  });
  chmodSync(box.path('home/hooks/pre-commit'), 0o755);
  chmodSync(box.path('home/hooks/commit-msg'), 0o755);
  return {
    box,
    args: ['-C', box.path('config'), '--set', `root=${box.root}`, '--set', 'username=backup'],
    env: { HOME: home, GIT_CONFIG_NOSYSTEM: '1', POLYARCHIV_YES: '1' },
    repo: box.path('collect/backups'),
  };
}

function commits(gitDir: string): string[] {
  const log = spawnSync('git', ['--git-dir', gitDir, 'log', '--format=%an <%ae> %s'], { encoding: 'utf8' });
  return log.status === 0 ? log.stdout.trim().split('\n') : [];
}

const backends = {
  apply: (t: ReturnType<typeof setUp>, extra: string[] = []) =>
    runCli(['backup', ...t.args, ...extra], t.env),
  script: (t: ReturnType<typeof setUp>, extra: string[] = []) => {
    const script = t.box.path('backup.sh');
    writeFileSync(script, runCli(['plan', ...t.args, ...extra], t.env).stdout);
    const run = spawnSync('bash', [script], { encoding: 'utf8', env: { ...process.env, ...t.env } });
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
  },
};

describe.runIf(canRun).each(['apply', 'script'] as const)('a git collect point through %s', (backend) => {
  let box: Sandbox | undefined;
  afterEach(() => box?.remove());
  const run = (t: ReturnType<typeof setUp>) => backends[backend](t);

  it('commits once per run with changes, succeeds with nothing to commit, and ships its history', () => {
    const t = setUp();
    box = t.box;
    const first = run(t);
    expect(first.code, first.stderr).toBe(0);
    const entry = 'backup <root@localhost> Backup of journal';
    expect(commits(`${t.repo}/.git`)).toEqual([entry]);

    const unchanged = run(t);
    expect(unchanged.code, unchanged.stderr).toBe(0);
    expect(unchanged.stdout + unchanged.stderr).toContain('nothing changed since the last commit');
    expect(commits(`${t.repo}/.git`)).toEqual([entry]);

    t.box.write({ 'data/new file.txt': 'new\n' });
    rmSync(t.box.path('data', Object.keys(ODD_FILES)[0] as string));
    const changed = run(t);
    expect(changed.code, changed.stderr).toBe(0);
    expect(commits(`${t.repo}/.git`)).toEqual([entry, entry]);
    // The mirror carries the history with the files.
    expect(commits(t.box.path('mirror/journal/.git'))).toEqual([entry, entry]);
    const tracked = spawnSync('git', ['--git-dir', `${t.repo}/.git`, 'ls-files', '-z'], { encoding: 'utf8' });
    // Every file, and the manifest of their modes and owners.
    expect(tracked.stdout.split('\0').filter(Boolean).sort()).toEqual(
      [
        ...Object.keys(fileContents(t.box.path('data'))).map((name) => `files/${name}`),
        '.polyarchiv-modes',
      ].sort(),
    );
    // The user's git configuration is read, never written.
    expect(readFileSync(t.box.path('home/.gitconfig'), 'utf8')).toBe(HOSTILE_GITCONFIG(t.box.path('home')));
  });

  it('fails the point, and keeps its history, when git fails', () => {
    const t = setUp();
    box = t.box;
    expect(run(t).code).toBe(0);
    t.box.write({ 'data/more.txt': 'more\n', 'collect/backups/.git/index.lock': '' });
    const failed = run(t);
    expect(failed.code).toBe(1);
    expect(failed.stdout + failed.stderr).toMatch(/index\.lock/);
    const state = JSON.parse(readFileSync(t.box.path('collect/metadata/collect_point/journal.json'), 'utf8'));
    expect(state.last_state_valid).toBe(false);
    expect(state.last_message).toContain('journal.collect');
    expect(commits(`${t.repo}/.git`)).toHaveLength(1);
  });

  it('restores the last commit: changed files put back, strays removed, then the sources', () => {
    const t = setUp();
    box = t.box;
    expect(run(t).code).toBe(0);
    const saved = fileContents(t.box.path('data'));
    rmSync(t.box.path('data'), { recursive: true });
    t.box.write({ 'collect/backups/files/stray/file.txt': 'stray\n', 'collect/backups/stray.txt': 'x\n' });
    writeFileSync(`${t.repo}/files/${Object.keys(ODD_FILES)[1]}`, 'damaged\n');
    const restore =
      backend === 'apply'
        ? runCli(['restore', '--yes', ...t.args, '--skip-backup'], t.env)
        : (() => {
            const script = t.box.path('restore.sh');
            writeFileSync(script, runCli(['plan', '--restore', ...t.args, '--skip-backup'], t.env).stdout);
            const r = spawnSync('bash', [script], {
              encoding: 'utf8',
              env: { ...process.env, ...t.env },
            });
            return { code: r.status, stdout: r.stdout, stderr: r.stderr };
          })();
    expect(restore.code, restore.stdout + restore.stderr).toBe(0);
    expect(fileContents(t.box.path('data'))).toEqual(saved);
    expect(fileContents(`${t.repo}/files`)).toEqual(saved);
    expect(spawnSync('test', ['-e', `${t.repo}/stray.txt`]).status).toBe(1);
  });
});

describe.runIf(canRun)('a git collect point inside another repository', () => {
  it('never touches the repository around it, even when its own .git is gone', () => {
    const t = setUp();
    try {
      const outer = t.box.root;
      spawnSync('git', ['-c', 'init.defaultBranch=master', 'init', '-q', outer]);
      writeFileSync(t.box.path('outer.txt'), 'outer\n');
      const env = { ...process.env, ...t.env };
      spawnSync('git', ['-C', outer, 'add', 'outer.txt'], { env });
      spawnSync(
        'git',
        [
          '-C',
          outer,
          '-c',
          'user.name=o',
          '-c',
          'user.email=o@o',
          'commit',
          '-q',
          '--no-verify',
          '-m',
          'outer',
        ],
        {
          env: { ...env, GIT_CONFIG_GLOBAL: '/dev/null' },
        },
      );
      expect(runCli(['backup', ...t.args], t.env).code).toBe(0);
      // A history lost everywhere: the restore's git commands find no repository of their own.
      rmSync(`${t.repo}/.git`, { recursive: true });
      rmSync(t.box.path('mirror/journal/.git'), { recursive: true });
      writeFileSync(t.box.path('outer.txt'), 'changed by hand\n');
      const restore = spawnSync(process.execPath, [CLI, 'restore', '--yes', ...t.args, '--skip-backup'], {
        encoding: 'utf8',
        env,
      });
      expect(restore.status).toBe(1);
      expect(readFileSync(t.box.path('outer.txt'), 'utf8')).toBe('changed by hand\n');
    } finally {
      t.box.remove();
    }
  });
});
