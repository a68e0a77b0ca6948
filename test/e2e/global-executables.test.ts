import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('git', 'svn', 'svnadmin', 'rsync', 'tar', 'flock', 'bash', 'sha256sum');

/** Every executable the original's [global] knew, and git and svn: each a logging wrapper of the real one. */
const TOOLS = ['git', 'svn', 'rsync', 'tar', 'ssh', 'scp', 'curl', 'restic'] as const;

function setUp(): { box: Sandbox; args: string[] } {
  const box = makeSandbox('polyarchiv-executables-');
  for (const tool of TOOLS) {
    const real = spawnSync('sh', ['-c', `command -v ${tool} || echo /nonexistent/${tool}`], {
      encoding: 'utf8',
    }).stdout.trim();
    box.write({
      [`bin/logged ${tool}`]: `#!/bin/sh\nprintf '%s\\n' "$*" >> '${box.path(`${tool}.log`)}'\nexec '${real}' "$@"\n`,
    });
    chmodSync(box.path(`bin/logged ${tool}`), 0o755);
  }
  spawnSync('git', ['init', '-q', '--bare', box.path('remote/journal.git')]);
  mkdirSync(box.path('svn'));
  spawnSync('svnadmin', ['create', box.path('svn/ledger')]);
  box.write({
    'config/tools.global': `[global]\n${TOOLS.map((t) => `${t}_executable = ${box.path(`bin/logged ${t}`)}`).join('\n')}\n`,
    'config/journal.collect': [
      '[point]',
      'engine = git',
      'local_path = {root}/collect/{name}',
      'collect_point_tags = git',
      'commit_email = root@localhost',
      '',
      '[source "files"]',
      'engine = local_files',
      'source_path = {root}/data',
      'destination_path = files',
      '',
    ].join('\n'),
    'config/ledger.collect': [
      '[point]',
      'engine = subversion',
      'local_path = {root}/collect/{name}',
      'remote_url = file://{root}/svn/{name}',
      'excluded_backup_point_tags = git',
      '',
      '[source "files"]',
      'engine = local_files',
      'source_path = {root}/data',
      'destination_path = files',
      '',
    ].join('\n'),
    'config/up.backup': [
      '[point]',
      'engine = git',
      'remote_url = {root}/remote/{name}.git',
      'backup_point_tags = git',
      'included_collect_point_tags = git',
      '',
    ].join('\n'),
    'config/packed.backup': [
      '[point]',
      'engine = archive',
      'remote_url = {root}/archives/{name}.tar.gz',
      '',
    ].join('\n'),
    'data/file.txt': 'data\n',
    'home/.gitconfig': '',
  });
  return { box, args: ['-C', box.path('config'), '--set', `root=${box.root}`, '--set', 'username=backup'] };
}

const logOf = (box: Sandbox, tool: string): string[] =>
  existsSync(box.path(`${tool}.log`)) ? readFileSync(box.path(`${tool}.log`), 'utf8').split('\n') : [];

describe.runIf(canRun).each(['apply', 'script'] as const)('[global] executables through %s', (backend) => {
  let box: Sandbox | undefined;
  afterEach(() => box?.remove());

  it('run every git, svn, rsync and tar command with the configured executable, and accept the others', () => {
    const t = setUp();
    box = t.box;
    const env = { HOME: t.box.path('home'), GIT_CONFIG_NOSYSTEM: '1' };
    let run: { code: number | null; stdout: string; stderr: string };
    if (backend === 'apply') run = runCli(['backup', ...t.args], env);
    else {
      const plan = runCli(['plan', ...t.args], env);
      expect(plan.code, plan.stderr).toBe(0);
      writeFileSync(t.box.path('backup.sh'), plan.stdout);
      const script = spawnSync('bash', [t.box.path('backup.sh')], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
      run = { code: script.status, stdout: script.stdout, stderr: script.stderr };
    }
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const git = logOf(t.box, 'git');
    // The git collect point (init, add, the probe, commit) and the git backup point (push).
    for (const word of ['init', 'add', 'diff', 'commit', 'push'])
      expect(
        git.some((line) => line.split(' ').includes(word)),
        word,
      ).toBe(true);
    const svn = logOf(t.box, 'svn');
    for (const word of ['checkout', 'relocate', 'status', 'add', 'commit'])
      expect(
        svn.some((line) => line.split(' ').includes(word)),
        word,
      ).toBe(true);
    expect(logOf(t.box, 'rsync').filter(Boolean).length).toBeGreaterThan(0);
    expect(logOf(t.box, 'tar').filter(Boolean).length).toBeGreaterThan(0);
    // What they did: one commit in each history, one archive.
    expect(
      spawnSync('git', ['--git-dir', t.box.path('remote/journal.git'), 'rev-list', '--all'], {
        encoding: 'utf8',
      })
        .stdout.trim()
        .split('\n'),
    ).toHaveLength(1);
    expect(
      spawnSync('svnlook', ['youngest', t.box.path('svn/ledger')], { encoding: 'utf8' }).stdout.trim(),
    ).toBe('1');
    expect(existsSync(t.box.path('archives/journal.tar.gz'))).toBe(true);
  });
});
