import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { serverPerSuite } from '../helpers/server-per-suite.js';
import { runAs } from '../helpers/service-targets.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';
import { haveSshd, startSshd } from '../servers/sshd.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'tar', 'gzip', 'restic', 'jq', 'git');

const HOWS = ['apply', 'script'] as const;

function tool(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): void {
  const [program = '', ...args] = argv;
  const result = spawnSync(program, args, { encoding: 'utf8', env });
  expect(result.status, result.stderr).toBe(0);
}

/**
 * A backup point whose copy of the collect point is missing or empty when a restore fetches it:
 * the fetch fails with the backup point's words, the collect point's copy and the live data are
 * left as they were.
 */
describe.runIf(canRun)('a fetch from a backup point that holds no copy', () => {
  let box: Sandbox;
  beforeEach(() => {
    box = makeSandbox('polyarchiv-no-copy-');
    box.write({ 'data/page.txt': 'page\n', 'data/sub/deep.txt': 'deep\n' });
  });
  afterEach(() => box.remove());

  function configure(collect: 'files' | 'git', backup: readonly string[]): string[] {
    box.write({
      'config/site.collect': [
        '[point]',
        `engine = ${collect}`,
        'local_path = {root}/collect/{name}',
        ...(collect === 'git' ? ['commit_email = backup@example.org'] : []),
        '',
        '[source "tree"]',
        'engine = local_files',
        'source_path = {root}/data',
        'destination_path = tree',
        '',
      ].join('\n'),
      'config/bp.backup': ['[point]', ...backup, ''].join('\n'),
    });
    return ['-C', box.path('config'), '--set', `root=${box.root}`];
  }

  /** The restore fails in its fetch with `detail`, and nothing here changed. */
  function expectNoCopy(how: (typeof HOWS)[number], args: readonly string[], detail: string): void {
    const copy = fileContents(box.path('collect/site/backups/tree'));
    const live = fileContents(box.path('data'));
    const restore = runAs(box, how, 'restore', args);
    expect(restore.code, restore.stderr).not.toBe(0);
    expect(restore.stderr).toContain(`backup point "bp" holds no copy of collect point "site": ${detail}\n`);
    expect(restore.stderr).toMatch(/failed with exit code \d+: step \d+ of \d+ at bp\.backup:\d+ \[point\]/);
    expect(restore.stderr).toMatch(/failed +fetch:bp\/site/);
    expect(restore.stderr).toMatch(/skipped +restore:site/);
    expect(restore.stderr).not.toMatch(/change_dir|rsync error|No such file or directory \(2\)|fatal:/);
    expect(fileContents(box.path('collect/site/backups/tree'))).toEqual(copy);
    expect(fileContents(box.path('data'))).toEqual(live);
  }

  for (const how of HOWS) {
    it(`synchronize: a mirror directory that is gone (${how})`, () => {
      const args = configure('files', ['engine = synchronize', 'remote_url = file://{root}/mirror/{name}']);
      expect(runAs(box, how, 'backup', args).code).toBe(0);
      rmSync(box.path('mirror/site'), { recursive: true });
      expectNoCopy(how, args, `${box.path('mirror/site')} is missing or empty`);
    });

    it(`synchronize: an emptied mirror empties nothing here, even with --allow-shrink (${how})`, () => {
      const args = configure('files', ['engine = synchronize', 'remote_url = file://{root}/mirror/{name}']);
      expect(runAs(box, how, 'backup', args).code).toBe(0);
      rmSync(box.path('mirror/site'), { recursive: true });
      mkdirSync(box.path('mirror/site'));
      expectNoCopy(how, ['--allow-shrink', ...args], `${box.path('mirror/site')} is missing or empty`);
    });

    it(`archive: an archive that is gone (${how})`, () => {
      const args = configure('files', [
        'engine = archive',
        'remote_url = file://{root}/archives/{name}.tar.gz',
      ]);
      expect(runAs(box, how, 'backup', args).code).toBe(0);
      rmSync(box.path('archives/site.tar.gz'));
      expectNoCopy(how, args, `${box.path('archives/site.tar.gz')} is missing`);
    });

    it(`rolling_archive: the newest archive holds nothing (${how})`, () => {
      const args = configure('files', [
        'engine = rolling_archive',
        'remote_url = file://{root}/archives/{name}-{Y}{m}{d}{H}{M}{S}.tar.gz',
      ]);
      expect(runAs(box, how, 'backup', args).code).toBe(0);
      const [name = ''] = readdirSync(box.path('archives'));
      mkdirSync(box.path('nothing'));
      tool(['tar', '-C', box.path('nothing'), '-czf', box.path('archives', name), '.']);
      expectNoCopy(how, args, `the archive ${box.path('archives', name)} holds nothing`);
    });

    it(`restic: a repository with no snapshot of the collect point (${how})`, () => {
      const args = configure('files', ['engine = restic', 'remote_url = {root}/repo', 'password = a pass']);
      expect(runAs(box, how, 'backup', args).code).toBe(0);
      // The repository made again, without the collect point's snapshots.
      rmSync(box.path('repo'), { recursive: true });
      tool(['restic', 'init', '--quiet', '--repo', box.path('repo')], {
        ...process.env,
        RESTIC_PASSWORD: 'a pass',
      });
      expectNoCopy(how, args, `${box.path('repo')} holds no snapshot tagged "site": nothing was restored`);
    });

    it(`git: a repository without the collect point's branch (${how})`, () => {
      tool(['git', 'init', '--quiet', '--bare', box.path('remote.git')]);
      const args = configure('git', [
        'engine = git',
        'remote_url = {root}/remote.git',
        'remote_branch = backups/{name}',
      ]);
      expect(runAs(box, how, 'backup', args).code).toBe(0);
      tool(['git', '--git-dir', box.path('remote.git'), 'branch', '--quiet', '-D', 'backups/site']);
      expectNoCopy(how, args, `${box.path('remote.git')} has no branch backups/site`);
    });
  }
});

describe.runIf(canRun && haveSshd())('a fetch from a mirror over ssh that holds no copy', () => {
  const sshd = serverPerSuite(startSshd);
  let box: Sandbox;
  beforeEach(() => {
    box = makeSandbox('polyarchiv-no-copy-ssh-');
    box.write({
      'data/page.txt': 'page\n',
      'config/site.collect':
        '[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "tree"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = tree\n',
    });
  });
  afterEach(() => box.remove());

  for (const how of HOWS) {
    it(`says so for a mirror directory that is gone or empty, and fails apart when ssh does (${how})`, () => {
      box.write({
        'config/bp.backup': [
          '[point]',
          'engine = synchronize',
          `remote_url = ssh://root@127.0.0.1:${sshd().port}{root}/it's mirrored/{name}`,
          `private_key = ${sshd().clientKey}`,
          `ssh_options = ${sshd().sshOptions} -p ${sshd().port}`,
          '',
        ].join('\n'),
      });
      const args = ['-C', box.path('config'), '--set', `root=${box.root}`];
      expect(runAs(box, how, 'backup', args).code).toBe(0);
      const copy = fileContents(box.path('collect/site/backups'));
      const message = `backup point "bp" holds no copy of collect point "site": 127.0.0.1:${box.path("it's mirrored/site")} is missing or empty\n`;
      for (const empty of [false, true]) {
        rmSync(box.path("it's mirrored/site"), { recursive: true, force: true });
        if (empty) mkdirSync(box.path("it's mirrored/site"));
        const restore = runAs(box, how, 'restore', ['--allow-shrink', ...args]);
        expect(restore.code).toBe(1);
        expect(restore.stderr).toContain(message);
        expect(restore.stderr).not.toMatch(/change_dir|rsync error/);
        expect(fileContents(box.path('collect/site/backups'))).toEqual(copy);
      }
      // A host that cannot be reached is not taken for a missing copy: nothing listens on port 1.
      box.write({
        'config/bp.backup': [
          '[point]',
          'engine = synchronize',
          `remote_url = ssh://root@127.0.0.1:1{root}/it's mirrored/{name}`,
          `private_key = ${sshd().clientKey}`,
          `ssh_options = ${sshd().sshOptions}`,
          '',
        ].join('\n'),
      });
      const unreachable = runAs(box, how, 'restore', args);
      expect(unreachable.code).toBe(1);
      expect(unreachable.stderr).not.toContain('holds no copy');
      expect(unreachable.stderr).toMatch(/failed with exit code 255/);
      expect(fileContents(box.path('collect/site/backups'))).toEqual(copy);
    }, 120_000);
  }
});
