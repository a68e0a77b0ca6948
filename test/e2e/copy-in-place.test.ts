import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { killRun, sleep, startBackup } from '../helpers/run-control.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { runAs } from '../helpers/service-targets.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum', 'find');

const HOLDING = '.~polyarchiv~';
const FILES = 120;
const OLD_SIZE = 64 * 1024;
const NEW_SIZE = 96 * 1024;

/** A file's whole content for one version: its name and version repeated, so a torn file shows. */
function content(index: number, version: 'old' | 'new'): string {
  const unit = `${version}-${index}-`;
  const size = version === 'old' ? OLD_SIZE : NEW_SIZE;
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

const name = (i: number) => `d${i % 4}/f${String(i).padStart(3, '0')}`;

/** The two versions of the source: the new one changes every file, drops some, adds others. */
function writeVersion(box: Sandbox, version: 'old' | 'new'): void {
  rmSync(box.path('data'), { recursive: true, force: true });
  const files: Record<string, string> = {};
  for (let i = 0; i < FILES; i++) {
    if (version === 'new' && i % 10 === 0) continue;
    files[`data/${name(i)}`] = content(i, version);
  }
  if (version === 'new')
    for (let i = FILES; i < FILES + 12; i++) files[`data/${name(i)}`] = content(i, 'new');
  box.write(files);
}

/** Every file of a copy is whole: exactly the old or the new version of a known file. */
function expectWholeFiles(dir: string): void {
  for (const [key, base64] of Object.entries(fileContents(dir))) {
    if (key.split('/').includes(HOLDING)) continue;
    const match = /^d\d\/f(\d{3})$/.exec(key);
    expect(match, `unexpected file ${dir}/${key}`).not.toBeNull();
    const index = Number(match?.[1]);
    const text = Buffer.from(base64, 'base64').toString('utf8');
    expect([content(index, 'old'), content(index, 'new')], `torn file ${dir}/${key}`).toContain(text);
  }
}

function holdingDirs(dir: string): string[] {
  const found = spawnSync('find', [dir, '-name', HOLDING], { encoding: 'utf8' });
  return found.stdout.split('\n').filter((line) => line !== '');
}

describe.runIf(canRun)('copies updated in place', () => {
  let box: Sandbox;
  let args: string[];
  beforeEach(() => {
    box = makeSandbox('polyarchiv-inplace-');
    box.write({
      'config/site.collect':
        '[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "tree"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = tree\n',
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
    });
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
  });
  afterEach(() => box.remove());

  for (const how of ['apply', 'script'] as const) {
    it(`leaves every file whole, old or new, when ${how} is killed at a random moment`, async () => {
      writeVersion(box, 'old');
      const began = Date.now();
      expect(runCli(['backup', ...args]).code).toBe(0);
      const fullRun = Date.now() - began;
      writeVersion(box, 'new');
      writeFileSync(box.path('backup.sh'), runCli(['plan', ...args]).stdout);
      for (let round = 0; round < 4; round++) {
        const child = startBackup(box, how, args);
        await sleep(Math.random() * fullRun * 1.2);
        await killRun(child, box.root);
        expectWholeFiles(box.path('collect/site/backups/tree'));
        expectWholeFiles(box.path('mirror/site/tree'));
      }
      const next = runCli(['backup', ...args]);
      expect(next.code, next.stderr).toBe(0);
      const expected = fileContents(box.path('data'));
      expect(fileContents(box.path('collect/site/backups/tree'))).toEqual(expected);
      expect(fileContents(box.path('mirror/site/tree'))).toEqual(expected);
      expect(holdingDirs(box.path('collect'))).toEqual([]);
      expect(holdingDirs(box.path('mirror'))).toEqual([]);
    }, 180_000);

    it(`replaces and deletes nothing before the transfer ends (${how} killed mid-transfer)`, async () => {
      writeVersion(box, 'old');
      expect(runCli(['backup', ...args]).code).toBe(0);
      const before = fileContents(box.path('collect/site/backups/tree'));
      writeVersion(box, 'new');
      // Large, sent at 10 MB/s (the same rsync, slowed down), and in a directory sorted last: rsync
      // sends a directory's files before its subdirectories, so this one comes after every file of
      // d0 and the transfer is still running seconds after d0's holding directory shows, however
      // busy the machine.
      mkdirSync(box.path('data/zz'));
      writeFileSync(box.path('data/zz/large'), Buffer.alloc(40 * 1024 * 1024, 7));
      box.write({
        'throttled-rsync': '#!/bin/sh\nexec rsync --bwlimit=10000 "$@"\n',
        'config/tools.global': `[global]\nrsync_executable = ${box.path('throttled-rsync')}\n`,
      });
      chmodSync(box.path('throttled-rsync'), 0o755);
      writeFileSync(box.path('backup.sh'), runCli(['plan', ...args]).stdout);
      const child = startBackup(box, how, args);
      const holding = box.path(`collect/site/backups/tree/d0/${HOLDING}`);
      const giveUp = Date.now() + 90_000;
      const running = () => child.exitCode === null && child.signalCode === null;
      while (!existsSync(holding) && running() && Date.now() < giveUp) await sleep(2);
      expect(running(), 'the run ended before it held an updated file back').toBe(true);
      expect(existsSync(holding), 'the copy never held an updated file back').toBe(true);
      await killRun(child, box.root);
      expect(fileContents(box.path('collect/site/backups/tree'))).toMatchObject(before);
      rmSync(box.path('data/zz'), { recursive: true });
      rmSync(box.path('config/tools.global'));
      const next = runCli(['backup', ...args]);
      expect(next.code, next.stderr).toBe(0);
      expect(fileContents(box.path('mirror/site/tree'))).toEqual(fileContents(box.path('data')));
      expect(holdingDirs(box.path('collect'))).toEqual([]);
    }, 180_000);
  }

  it('copies user files named like staging, leftover or holding directories, at any depth', () => {
    const odd = {
      'data/.cache.polyarchiv-new/kept': 'a\n',
      'data/deep/er/.cache.polyarchiv-new/kept': 'b\n',
      'data/deep/.tree.polyarchiv-old/kept': 'c\n',
      'data/.~tmp~/kept': 'd\n',
      'data/deep/.~tmp~': 'e\n',
      'data/.tree.polyarchiv-new': 'f\n',
    };
    box.write(odd);
    const expected = fileContents(box.path('data'));
    expect(Object.keys(expected)).toHaveLength(Object.keys(odd).length);
    expect(runCli(['backup', ...args]).code).toBe(0);
    expect(fileContents(box.path('collect/site/backups/tree'))).toEqual(expected);
    expect(fileContents(box.path('mirror/site/tree'))).toEqual(expected);
    // The script, from an empty collect point and mirror; then a restore by each backend.
    rmSync(box.path('collect'), { recursive: true });
    rmSync(box.path('mirror'), { recursive: true });
    writeFileSync(box.path('backup.sh'), runCli(['plan', ...args]).stdout);
    expect(spawnSync('bash', [box.path('backup.sh')]).status).toBe(0);
    expect(fileContents(box.path('mirror/site/tree'))).toEqual(expected);
    rmSync(box.path('data'), { recursive: true });
    const restore = runCli(['restore', '--yes', ...args]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(fileContents(box.path('data'))).toEqual(expected);
    rmSync(box.path('data'), { recursive: true });
    writeFileSync(box.path('restore.sh'), runCli(['plan', '--restore', ...args]).stdout);
    expect(spawnSync('bash', [box.path('restore.sh'), '--yes']).status).toBe(0);
    expect(fileContents(box.path('data'))).toEqual(expected);
  });

  for (const how of ['apply', 'script'] as const)
    it(`carries a file rewritten with the same size within the second of the previous run (${how})`, () => {
      // Both versions' times share their whole second and differ below it, as when a file is
      // rewritten right after a backup read it.
      const second = Math.floor(Date.now() / 1000) - 60;
      box.write({ 'data/a.txt': 'old\n' });
      utimesSync(box.path('data/a.txt'), second + 0.1, second + 0.1);
      expect(runCli(['backup', ...args]).code).toBe(0);
      expect(readFileSync(box.path('mirror/site/tree/a.txt'), 'utf8')).toBe('old\n');
      box.write({ 'data/a.txt': 'new\n' });
      utimesSync(box.path('data/a.txt'), second + 0.6, second + 0.6);
      const next = runAs(box, how, 'backup', args);
      expect(next.code, next.stderr).toBe(0);
      expect(readFileSync(box.path('collect/site/backups/tree/a.txt'), 'utf8')).toBe('new\n');
      expect(readFileSync(box.path('mirror/site/tree/a.txt'), 'utf8')).toBe('new\n');
      // The copies keep the time below the second too, so the run after carries nothing again.
      expect(statSync(box.path('mirror/site/tree/a.txt')).mtimeMs).toBe(
        statSync(box.path('data/a.txt')).mtimeMs,
      );
    });

  for (const how of ['apply', 'script'] as const) {
    it(`keeps a mirror and a collect point that are symbolic links as links (${how})`, () => {
      box.write({ 'data/a.txt': 'a\n' });
      mkdirSync(box.path('bigdisk/mirror'), { recursive: true });
      mkdirSync(box.path('bigdisk/collect'), { recursive: true });
      mkdirSync(box.path('mirror'));
      symlinkSync(box.path('bigdisk/mirror'), box.path('mirror/site'));
      symlinkSync(box.path('bigdisk/collect'), box.path('collect'));
      for (let run = 0; run < 2; run++) {
        if (how === 'apply') expect(runCli(['backup', ...args]).code).toBe(0);
        else {
          writeFileSync(box.path('backup.sh'), runCli(['plan', ...args]).stdout);
          expect(spawnSync('bash', [box.path('backup.sh')]).status).toBe(0);
        }
        box.write({ 'data/a.txt': `a${run}\n` });
      }
      expect(lstatSync(box.path('mirror/site')).isSymbolicLink()).toBe(true);
      expect(readlinkSync(box.path('mirror/site'))).toBe(box.path('bigdisk/mirror'));
      expect(lstatSync(box.path('collect')).isSymbolicLink()).toBe(true);
      expect(fileContents(box.path('bigdisk/mirror/tree'))).toEqual({
        'a.txt': Buffer.from('a0\n').toString('base64'),
      });
    });
  }
});
