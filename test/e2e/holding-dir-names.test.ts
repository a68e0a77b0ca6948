import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum');

// `.~polyarchiv~` is where rsync holds the updates of a copy in place, in every directory: a user's
// file or directory of that name is not copied, each backup says so, and a restore must not take
// it for a leftover of its own.
describe.runIf(canRun)("a user's directory named like rsync's holding directories", () => {
  let box: Sandbox;
  let args: string[];
  let backup: { code: number | null; stderr: string };
  beforeEach(() => {
    box = makeSandbox('polyarchiv-holding-names-');
    box.write({
      'config/site.collect':
        '[point]\nengine = files\nlocal_path = {root}/collect\n\n[source "tree"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = tree\nexclude = /skipped/\n',
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
      'data/a/file': 'x\n',
      // Enough backed-up data that the restore guard finds no shrink in a file made since.
      'data/c/more': 'm'.repeat(1000),
      'data/a/.~polyarchiv~/precious': 'kept\n',
      'data/b/.~polyarchiv~': 'a file of that name\n',
      'data/skipped/.~polyarchiv~/inside': 'left out by the user: no warning\n',
    });
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
    backup = runCli(['backup', ...args]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(fileContents(box.path('collect/backups/tree'))).toEqual({
      'a/file': Buffer.from('x\n').toString('base64'),
      'c/more': Buffer.from('m'.repeat(1000)).toString('base64'),
    });
    expect(existsSync(box.path('collect/backups/tree/b'))).toBe(true);
    writeFileSync(box.path('data/a/file'), 'y\n');
  });
  afterEach(() => box.remove());

  const restores: [string, () => { code: number | null; stderr: string }][] = [
    ['apply', () => runCli(['restore', '--yes', ...args])],
    [
      'the script',
      () => {
        const plan = runCli(['plan', '--restore', ...args]);
        expect(plan.code, plan.stderr).toBe(0);
        writeFileSync(box.path('restore.sh'), plan.stdout);
        const run = spawnSync('bash', [box.path('restore.sh'), '--yes'], { encoding: 'utf8' });
        return { code: run.status, stderr: run.stderr };
      },
    ],
  ];

  const leftOut = (stderr: string) =>
    stderr
      .split('\n')
      .filter((line) => line.includes('leaves out'))
      .sort();
  const warnings = [
    'polyarchiv:   warning: the copy of source "tree" leaves out directory a/.~polyarchiv~: copies hold their updates in directories of that name; rename it to have it backed up, or delete it if an interrupted restore left it',
    'polyarchiv:   warning: the copy of source "tree" leaves out file b/.~polyarchiv~: copies hold their updates in directories of that name; rename it to have it backed up, or delete it if an interrupted restore left it',
  ];

  it('is named by every backup, through apply and through the script, and by no other copy', () => {
    // The first backup (beforeEach) copied into an empty collect point; the next ones update it.
    expect(leftOut(backup.stderr)).toEqual(warnings);
    const again = runCli(['backup', ...args]);
    expect(again.code, again.stderr).toBe(0);
    expect(leftOut(again.stderr)).toEqual(warnings);
    const plan = runCli(['plan', ...args]);
    expect(plan.code, plan.stderr).toBe(0);
    writeFileSync(box.path('backup.sh'), plan.stdout);
    const run = spawnSync('bash', [box.path('backup.sh')], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(leftOut(run.stderr)).toEqual(warnings);
    expect(fileContents(box.path('mirror/site/tree'))).toEqual(
      fileContents(box.path('collect/backups/tree')),
    );
  });

  it.each(restores)(
    'is left alone by a restore through %s, which leaves nothing of its own',
    (_, restore) => {
      // A file of that name would give way to rsync's holding directory: refused, nothing changed.
      const refused = restore();
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `polyarchiv:   ${box.path('data')} (source "tree") holds file b/.~polyarchiv~, which the restore would replace with a directory of that name, where copies hold their updates: nothing was changed; rename it, then restore again`,
      );
      expect(readFileSync(box.path('data/a/file'), 'utf8')).toBe('y\n');
      expect(readFileSync(box.path('data/b/.~polyarchiv~'), 'utf8')).toBe('a file of that name\n');

      renameSync(box.path('data/b/.~polyarchiv~'), box.path('data/b/renamed'));
      const run = restore();
      expect(run.code, run.stderr).toBe(0);
      expect(readFileSync(box.path('data/a/file'), 'utf8')).toBe('x\n');
      expect(readFileSync(box.path('data/a/.~polyarchiv~/precious'), 'utf8')).toBe('kept\n');
      expect(run.stderr).not.toContain('precious');
      // The directory that held the files being received is gone, as it was before the restore.
      expect(existsSync(box.path('data/.~polyarchiv~'))).toBe(false);
      // The renamed file was never in the backup: the restore deleted it as any file made since.
      expect(existsSync(box.path('data/b/renamed'))).toBe(false);
    },
  );
});
