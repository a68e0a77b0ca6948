import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { ODD_FILES, writeTree } from '../helpers/odd-files.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { archiveTree, fileContents } from '../helpers/tree.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum', 'tar', 'gzip', 'bzip2', 'xz', 'zstd');

/**
 * An archive collect point `site` packing its source into `archives/site.EXT`, sent by `mirror`
 * (synchronize) and, for the failure cases, `other`, a second collect point that must not care.
 */
function configure(box: Sandbox, archiveName: string): string[] {
  box.write({
    'config/site.collect': [
      '[point]',
      'engine = archive',
      'local_path = {root}/collect/{name}',
      `archive_name = ${archiveName}`,
      '',
      '[source "tree"]',
      'engine = local_files',
      'source_path = {root}/data',
      'destination_path = tree',
      '',
    ].join('\n'),
    'config/other.collect':
      '[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "etc"]\nengine = local_files\nsource_path = {root}/other\ndestination_path = etc\n',
    'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
  });
  box.write({ 'other/hosts': '127.0.0.1 localhost\n' });
  return ['-C', box.path('config'), '--set', `root=${box.root}`];
}

function run(box: Sandbox, how: 'apply' | 'script', command: 'backup' | 'restore', args: string[]) {
  const from = command === 'restore' ? ['--from', 'mirror', '--only-collect-points', 'site'] : [];
  const yes = command === 'restore' ? ['--yes'] : [];
  if (how === 'apply') return runCli([command, ...yes, ...from, ...args]);
  const plan = runCli(['plan', ...(command === 'restore' ? ['--restore'] : []), ...from, ...args]);
  expect(plan.code, plan.stderr).toBe(0);
  writeFileSync(box.path(`${command}.sh`), plan.stdout);
  const result = spawnSync('bash', [box.path(`${command}.sh`), ...yes], { encoding: 'utf8' });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

describe.runIf(canRun)('archive collect point, end to end', () => {
  let box: Sandbox;
  beforeEach(() => {
    box = makeSandbox('polyarchiv-archive-collect-');
  });
  afterEach(() => box.remove());

  const cases = [
    ['site.tar.gz', 'apply'],
    ['site.tar.bz2', 'apply'],
    ['site.tar.xz', 'apply'],
    ['site.tar.zst', 'apply'],
    ['site.tar.xz', 'script'],
  ] as const;
  for (const [name, how] of cases) {
    it(`packs, keeps the staging copy, sends the archive and restores the odd-name tree from ${name} (${how})`, () => {
      const args = configure(box, name);
      writeTree(box.path('data'), ODD_FILES);
      const archive = box.path(`collect/site/archives/${name}`);
      const staged = box.path('collect/site/backups/tree/with space.txt');

      const first = run(box, how, 'backup', args);
      expect(first.code, first.stderr).toBe(0);
      expect(archiveTree(archive)).toMatchObject({ 'tree/plain.txt': expect.any(String) });
      // The staging copy stays: the next run's rsync copies only what changed.
      expect(existsSync(staged)).toBe(true);
      const stagedInode = statSync(staged).ino;

      writeFileSync(box.path('data/new file ✓.txt'), 'new\n');
      rmSync(box.path('data/plain.txt'));
      const second = run(box, how, 'backup', args);
      expect(second.code, second.stderr).toBe(0);
      const saved = fileContents(box.path('data'));
      expect(fileContents(box.path('collect/site/backups/tree'))).toEqual(saved);
      expect(readdirSync(box.path('mirror/site'))).toEqual([name]);
      expect(archiveTree(box.path(`mirror/site/${name}`))).toEqual(archiveTree(archive));
      // An unchanged file was not copied again: same inode.
      expect(statSync(staged).ino).toBe(stagedInode);
      expect(existsSync(box.path('collect/site/backups/tree/plain.txt'))).toBe(false);

      rmSync(box.path('collect/site'), { recursive: true });
      rmSync(box.path('data'), { recursive: true });
      const restore = run(box, how, 'restore', args);
      expect(restore.code, restore.stderr).toBe(0);
      expect(fileContents(box.path('data'))).toEqual(saved);
      expect(fileContents(box.path('collect/site/backups/tree'))).toEqual(saved);
    });
  }

  it('restores into an emptied staging directory: files added since the backup are gone', () => {
    const args = configure(box, 'site.tar.gz');
    writeTree(box.path('data'), ODD_FILES);
    expect(run(box, 'apply', 'backup', args).code).toBe(0);
    writeFileSync(box.path('collect/site/backups/tree/stray.txt'), 'stray\n');
    const restore = run(box, 'apply', 'restore', args);
    expect(restore.code, restore.stderr).toBe(0);
    expect(existsSync(box.path('collect/site/backups/tree/stray.txt'))).toBe(false);
    expect(existsSync(box.path('data/stray.txt'))).toBe(false);
  });

  it('fails alone, naming the point and its line, when the archive cannot be written; the previous archive stays', () => {
    const args = configure(box, 'site.tar.gz');
    writeTree(box.path('data'), ODD_FILES);
    expect(run(box, 'apply', 'backup', args).code).toBe(0);
    const before = archiveTree(box.path('collect/site/archives/site.tar.gz'));
    // A compressor that fails: gzip found first on PATH exits 1.
    box.write({ 'bin/gzip': '#!/bin/sh\necho "gzip: no space left on device" >&2\nexit 1\n' });
    spawnSync('chmod', ['755', box.path('bin/gzip')]);
    writeFileSync(box.path('data/more.txt'), 'more\n');
    const result = runCli(['backup', ...args], { PATH: `${box.path('bin')}:${process.env.PATH}` });
    const output = result.stdout + result.stderr;
    expect(result.code, output).toBe(1);
    expect(output).toMatch(/failed with exit code 1: step \d+ of \d+ at site\.collect:4/);
    expect(output).toMatch(/ok\s+collect:other/);
    expect(archiveTree(box.path('collect/site/archives/site.tar.gz'))).toEqual(before);
  });

  it('refuses an archive_name that is not an archive, at its line', () => {
    const args = configure(box, 'site.zip');
    const result = runCli(['plan', ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("bad value for option 'archive_name': 'site.zip'");
    expect(result.stderr).toContain('site.collect:4');
    expect(result.stdout).toBe('');
  });
});
