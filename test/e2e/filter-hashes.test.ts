import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
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

/** The files the collect point's scratch directories hold (the filters' lists, partial indexes...). */
function scratchFiles(box: Sandbox): string[] {
  const scratch = box.path('collect/site/metadata/work');
  if (!existsSync(scratch)) return [];
  return readdirSync(scratch, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => `${entry.parentPath}/${entry.name}`);
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
    // One line per file and one for the link index, sorted by name, the newline's name escaped as the tool escapes it.
    expect(index.split('\n').filter(Boolean)).toHaveLength(Object.keys(ODD_FILES).length + 1);
    expect(index).toMatch(/^[0-9a-f]{64} \*SHA256SUMS\.links$/m);
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

  it('refuses, through the script, a restore where a listed file became a symbolic link to another, without reading through it', () => {
    box.write({ 'config/site.collect': COLLECT, 'config/mirror.backup': MIRROR });
    expect(runCli(['backup', ...args]).code).toBe(0);
    rmSync(box.path('mirror/site/tree/plain.txt'));
    symlinkSync('with space.txt', box.path('mirror/site/tree/plain.txt'));
    rmSync(box.path('data'), { recursive: true });
    const restore = runScript(box, 'restore.sh', ['--restore', ...args], ['--yes']);
    expect(restore.code).toBe(1);
    expect(restore.stdout + restore.stderr).toContain('tree/plain.txt: missing, or no longer a regular file');
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

  /** The three ways a copy's links can change after its index was written. */
  const LINK_CHANGES: readonly [string, (mirror: string) => void, string][] = [
    [
      'added',
      (m) => symlinkSync('/etc/passwd', `${m}/tree/added link`),
      'tree/added link: a symbolic link not in the index',
    ],
    [
      'removed',
      (m) => rmSync(`${m}/tree/link\nto plain`),
      'tree/link\\nto plain: a symbolic link of the index, missing from the tree',
    ],
    [
      'pointed elsewhere',
      (m) => {
        rmSync(`${m}/tree/up`);
        symlinkSync('/etc', `${m}/tree/up`);
      },
      'tree/up: a symbolic link to /etc, indexed as a link to ..',
    ],
  ];

  for (const backend of ['apply', 'script'] as const)
    for (const [change, alter, message] of LINK_CHANGES)
      it(`refuses, through ${backend}, a restore from a copy whose symbolic link was ${change}, before anything is restored`, () => {
        symlinkSync('plain.txt', box.path('data/link\nto plain'));
        symlinkSync('..', box.path('data/up'));
        box.write({ 'config/site.collect': COLLECT, 'config/mirror.backup': MIRROR });
        const backup = runCli(['backup', ...args]);
        expect(backup.code, backup.stderr).toBe(0);
        // Both indexes record the links, each beside its checksums.
        expect(readFileSync(box.path('collect/site/backups/SHA256SUMS.links'), 'utf8')).toBe(
          'tree/link\\nto plain\tplain.txt\ntree/up\t..\n',
        );
        expect(readFileSync(box.path('mirror/site/hashes.txt'), 'utf8')).toMatch(/ \*hashes\.txt\.links$/m);
        const collected = fileContents(box.path('collect/site/backups'));
        alter(box.path('mirror/site'));
        rmSync(box.path('data'), { recursive: true });

        const restore =
          backend === 'apply'
            ? runCli(['restore', '--yes', ...args])
            : runScript(box, 'restore.sh', ['--restore', ...args], ['--yes']);
        expect(restore.code).toBe(1);
        const output = restore.stdout + restore.stderr;
        expect(output).toContain(message);
        expect(output).toContain('1 symbolic link(s) of the tree differ from hashes.txt.links');
        expect(output).toMatch(
          /failed with exit code 1: step \d+ of \d+ at mirror\.backup:5 \[filter index\]/,
        );
        expect(existsSync(box.path('data'))).toBe(false);
        expect(fileContents(box.path('collect/site/backups'))).toEqual(collected);
        // The check that failed leaves nothing behind it.
        expect(scratchFiles(box)).toEqual([]);
      });

  it.each(['apply', 'script'] as const)(
    'leaves no partial index behind when the checksum tool fails part way, through %s',
    (backend) => {
      box.write({ 'config/site.collect': COLLECT });
      expect(runCli(['backup', ...args]).code).toBe(0);
      const index = readFileSync(box.path('collect/site/backups/SHA256SUMS'), 'utf8');
      // sha256sum itself, which fails once it has written the checksums (a read error at the end):
      // only when it writes an index (-b), not when a run checks its state files.
      const real = spawnSync('which', ['sha256sum'], { encoding: 'utf8' }).stdout.trim();
      box.write({
        'bin/sha256sum': `#!/bin/sh\ncase " $* " in *" -b "*) ${real} "$@"; echo 'sha256sum: read error' >&2; exit 1 ;; esac\nexec ${real} "$@"\n`,
      });
      chmodSync(box.path('bin/sha256sum'), 0o755);
      writeFileSync(box.path('data/plain.txt'), 'changed\n');
      const env = { ...process.env, PATH: `${box.path('bin')}:${process.env.PATH}` };
      let failed: { code: number | null; stderr: string };
      if (backend === 'apply') failed = runCli(['backup', ...args], { PATH: env.PATH });
      else {
        const plan = runCli(['plan', ...args]);
        writeFileSync(box.path('backup.sh'), plan.stdout);
        const run = spawnSync('bash', [box.path('backup.sh')], { encoding: 'utf8', env });
        failed = { code: run.status, stderr: run.stderr };
      }
      expect(failed.code, failed.stderr).toBe(1);
      expect(failed.stderr).toContain('sha256sum: read error');
      expect(readFileSync(box.path('collect/site/backups/SHA256SUMS'), 'utf8')).toBe(index);
      expect(scratchFiles(box)).toEqual([]);
    },
  );

  it('restores through both backends the links a copy holds as indexed', () => {
    symlinkSync('plain.txt', box.path('data/link\nto plain'));
    box.write({ 'config/site.collect': COLLECT, 'config/mirror.backup': MIRROR });
    expect(runCli(['backup', ...args]).code).toBe(0);
    rmSync(box.path('data'), { recursive: true });
    const applied = runCli(['restore', '--yes', ...args]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(readlinkSync(box.path('data/link\nto plain'))).toBe('plain.txt');
    rmSync(box.path('data'), { recursive: true });
    const scripted = runScript(box, 'restore.sh', ['--restore', ...args], ['--yes']);
    expect(scripted.code, scripted.stderr).toBe(0);
    expect(readlinkSync(box.path('data/link\nto plain'))).toBe('plain.txt');
  });

  it('restores from an index written before links were indexed, naming the links it did not check', () => {
    symlinkSync('plain.txt', box.path('data/link'));
    box.write({ 'config/site.collect': COLLECT });
    expect(runCli(['backup', ...args]).code).toBe(0);
    // An earlier version's index: its checksums only, no link index beside it.
    const tree = box.path('collect/site/backups');
    rmSync(`${tree}/SHA256SUMS.links`);
    const sums = readFileSync(`${tree}/SHA256SUMS`, 'utf8');
    writeFileSync(`${tree}/SHA256SUMS`, sums.replace(/^.* \*SHA256SUMS\.links\n/m, ''));
    rmSync(box.path('data'), { recursive: true });
    for (const backend of ['apply', 'script'] as const) {
      const restore =
        backend === 'apply'
          ? runCli(['restore', '--yes', ...args])
          : runScript(box, 'restore.sh', ['--restore', ...args], ['--yes']);
      expect(restore.code, restore.stderr).toBe(0);
      expect(restore.stdout + restore.stderr).toContain(
        '1 symbolic link(s) not checked: SHA256SUMS does not list SHA256SUMS.links (written before links were indexed)',
      );
      expect(readlinkSync(box.path('data/link'))).toBe('plain.txt');
      rmSync(box.path('data'), { recursive: true });
    }
  });

  for (const backend of ['apply', 'script'] as const)
    it(`refuses, through ${backend}, a listed file replaced by a named pipe, without reading it`, () => {
      box.write({ 'config/site.collect': COLLECT });
      expect(runCli(['backup', ...args]).code).toBe(0);
      rmSync(box.path('collect/site/backups/tree/plain.txt'));
      expect(spawnSync('mkfifo', [box.path('collect/site/backups/tree/plain.txt')]).status).toBe(0);
      rmSync(box.path('data'), { recursive: true });
      const restore =
        backend === 'apply'
          ? runCli(['restore', '--yes', ...args])
          : runScript(box, 'restore.sh', ['--restore', ...args], ['--yes']);
      expect(restore.code).toBe(1);
      expect(restore.stdout + restore.stderr).toContain(
        'tree/plain.txt: missing, or no longer a regular file',
      );
      expect(existsSync(box.path('data'))).toBe(false);
      expect(scratchFiles(box)).toEqual([]);
    });
});
