import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { ODD_FILES, writeTree } from '../helpers/odd-files.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum', 'sha1sum', 'xargs', 'find', 'sort');

const COLLECT = [
  '[point]',
  'engine = files',
  'local_path = {root}/collect/{name}',
  '',
  '[source "tree"]',
  'engine = local_files',
  'source_path = {root}/data',
  'destination_path = tree',
  '',
  '[filter "sums"]',
  'engine = hashes',
  'method = sha256',
  'filename = SHA256SUMS',
  '',
].join('\n');

const MIRROR = [
  '[point]',
  'engine = synchronize',
  'remote_url = {root}/mirror/{name}',
  '',
  '[filter index]',
  'engine = hashes',
  '',
].join('\n');

/** Runs a rendered script of `polyarchiv plan ARGS`. */
function runScript(box: Sandbox, name: string, planArgs: string[], runArgs: string[] = []) {
  const plan = runCli(['plan', ...planArgs]);
  expect(plan.code, plan.stderr).toBe(0);
  writeFileSync(box.path(name), plan.stdout);
  const run = spawnSync('bash', [box.path(name), ...runArgs], { encoding: 'utf8' });
  return { code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
}

describe.runIf(canRun)('the hashes filter, end to end', () => {
  let box: Sandbox;
  let args: string[];
  beforeEach(() => {
    box = makeSandbox('polyarchiv-hashes-');
    writeTree(box.path('data'), ODD_FILES);
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
  });
  afterEach(() => box.remove());

  it('indexes every file of the collect point and of the backup point, which the checksum tools accept', () => {
    box.write({ 'config/site.collect': COLLECT, 'config/mirror.backup': MIRROR });
    const backup = runCli(['backup', ...args]);
    expect(backup.code, backup.stderr).toBe(0);
    const index = readFileSync(box.path('collect/site/backups/SHA256SUMS'), 'utf8');
    // One line per file, sorted by name, the newline's name escaped as the tool escapes it.
    expect(index.split('\n').filter(Boolean)).toHaveLength(Object.keys(ODD_FILES).length);
    expect(index).toContain(' *tree/plain.txt\n');
    expect(index).toMatch(/^\\[0-9a-f]{64} \*tree\/new\\nline$/m);
    const check = spawnSync('sha256sum', ['--check', '--strict', 'SHA256SUMS'], {
      cwd: box.path('collect/site/backups'),
      encoding: 'utf8',
    });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    // The backup point indexes its own copy, the collect point's index included; the collect point keeps no second index.
    expect(existsSync(box.path('collect/site/backups/hashes.txt'))).toBe(false);
    const mirrored = readFileSync(box.path('mirror/site/hashes.txt'), 'utf8');
    expect(mirrored).toMatch(/^[0-9a-f]{40} \*SHA256SUMS$/m);
    const mirrorCheck = spawnSync('sha1sum', ['--check', '--strict', 'hashes.txt'], {
      cwd: box.path('mirror/site'),
      encoding: 'utf8',
    });
    expect(mirrorCheck.status, mirrorCheck.stdout + mirrorCheck.stderr).toBe(0);
  });

  it('refuses, through the script, a restore where a listed file became a symbolic link to another', () => {
    box.write({ 'config/site.collect': COLLECT, 'config/mirror.backup': MIRROR });
    expect(runCli(['backup', ...args]).code).toBe(0);
    rmSync(box.path('mirror/site/tree/plain.txt'));
    symlinkSync('with space.txt', box.path('mirror/site/tree/plain.txt'));
    rmSync(box.path('data'), { recursive: true });
    const restore = runScript(box, 'restore.sh', ['--restore', ...args], ['--yes']);
    expect(restore.code).toBe(1);
    expect(restore.stdout + restore.stderr).toContain('tree/plain.txt: FAILED');
    expect(existsSync(box.path('data'))).toBe(false);
  });

  it('refuses, through apply, a restore from a backup point holding corrupt files, naming each, before anything is restored', () => {
    box.write({ 'config/site.collect': COLLECT, 'config/mirror.backup': MIRROR });
    expect(runCli(['backup', ...args]).code).toBe(0);
    const collected = fileContents(box.path('collect/site/backups'));
    writeFileSync(box.path('mirror/site/tree/plain.txt'), 'bit rot\n');
    writeFileSync(box.path('mirror/site/tree/new\nline'), 'NEWLINE\n');
    rmSync(box.path('data'), { recursive: true });

    const restore = runCli(['restore', '--yes', ...args]);
    expect(restore.code).toBe(1);
    const output = restore.stdout + restore.stderr;
    expect(output).toContain('tree/plain.txt: FAILED');
    expect(output).toContain('\\tree/new\\nline: FAILED');
    expect(output).not.toContain('with space.txt: FAILED');
    expect(output).toMatch(/failed with exit code 1: step \d+ of \d+ at mirror\.backup:5 \[filter index\]/);
    // Neither the live directory nor the collect point's copy was touched.
    expect(existsSync(box.path('data'))).toBe(false);
    expect(fileContents(box.path('collect/site/backups'))).toEqual(collected);
  });

  it('refuses, through the script, a restore from a corrupt collect point, naming the file', () => {
    box.write({ 'config/site.collect': COLLECT });
    expect(runScript(box, 'backup.sh', args).code).toBe(0);
    const expected = fileContents(box.path('data'));
    writeFileSync(box.path('collect/site/backups/tree/with space.txt'), 'changed\n');
    rmSync(box.path('data'), { recursive: true });

    const refused = runScript(box, 'restore.sh', ['--restore', ...args], ['--yes']);
    expect(refused.code).toBe(1);
    expect(refused.stdout + refused.stderr).toContain('tree/with space.txt: FAILED');
    expect(refused.stdout + refused.stderr).toMatch(/at site\.collect:10 \[filter "sums"\]/);
    expect(existsSync(box.path('data'))).toBe(false);

    // Once the file is whole again, the same restore goes through.
    writeFileSync(
      box.path('collect/site/backups/tree/with space.txt'),
      ODD_FILES['with space.txt'] as string,
    );
    const restored = runScript(box, 'restore.sh', ['--restore', ...args], ['--yes']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(fileContents(box.path('data'))).toEqual(expected);
  });
});
