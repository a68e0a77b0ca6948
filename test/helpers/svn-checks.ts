import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { CLI, runCli } from './cli.js';
import { commandLinesHolding, filesHolding } from './secret-scan.js';
import { type Backend, headFiles, runSvn, type SvnCase, youngest } from './svn-case.js';
import { fileContents } from './tree.js';

export function state(t: SvnCase) {
  return JSON.parse(readFileSync(t.box.path('collect/metadata/collect_point/journal.json'), 'utf8'));
}

export function setRemoteUrl(t: SvnCase, url: string): void {
  const file = t.box.path('config/journal.collect');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/remote_url = .*/, `remote_url = ${url}`));
}

/** Now, to the second, in UTC, after a pause that puts it between two revisions' seconds. */
function secondBetween(): string {
  spawnSync('sleep', ['1.1']);
  const at = `${new Date().toISOString().slice(0, 19)}Z`;
  spawnSync('sleep', ['1.1']);
  return at;
}

/**
 * Two backups, a time between them, a restore at that time: the first revision's files, taken from
 * the repository with or without a backup point's copy; the next backup commits on top of HEAD. A
 * time before the first revision fails, the working copy and the live data left as they were.
 */
export function restoreAtRoundTrip(t: SvnCase, backend: Backend): void {
  const early = secondBetween();
  const first = runSvn(t, backend);
  expect(first.code, first.stdout + first.stderr).toBe(0);
  const saved = fileContents(t.box.path('data'));
  const between = secondBetween();
  writeFileSync(t.box.path('data/plain.txt'), 'changed\n');
  writeFileSync(t.box.path('data/second.txt'), 'second\n');
  const second = runSvn(t, backend);
  expect(second.code, second.stdout + second.stderr).toBe(0);
  expect(youngest(t.repository)).toBe(2);

  expectRestored(t, runSvn(t, backend, 'restore', ['--at', between]), saved);
  // The working copy, left at the first revision, commits the next change on top of the second.
  backupAfter(t, backend, 3);
  expect(headFiles(t.repository)).toEqual(Object.keys(fileContents(t.box.path('data'))).sort());

  const live = fileContents(t.box.path('data'));
  const copy = fileContents(`${t.local}/files`);
  const none = runSvn(t, backend, 'restore', ['--at', early]);
  expect(none.code).toBe(1);
  expect(none.stderr).toMatch(
    new RegExp(`no revision of \\S+ was made at or before ${early}: nothing was restored`),
  );
  expect(fileContents(t.box.path('data'))).toEqual(live);
  expect(fileContents(`${t.local}/files`)).toEqual(copy);
}

/**
 * Two backups, the second one's commit seconds after its run started (a hook before its sources
 * sleeps), then a restore --at the time its state records, the run's start: that run's revision,
 * which records that start (polyarchiv:started), although svn dates it later.
 */
export function restoreAtRunStart(t: SvnCase, backend: Backend): void {
  const first = runSvn(t, backend);
  expect(first.code, first.stdout + first.stderr).toBe(0);
  writeFileSync(t.box.path('data/plain.txt'), 'changed\n');
  const saved = fileContents(t.box.path('data'));
  const file = t.box.path('config/journal.collect');
  writeFileSync(
    file,
    readFileSync(file, 'utf8').replace(
      '[source "files"]',
      '[hook "slow"]\nengine = command\nevents = before_backup\ncommand = sleep 2.2\n\n[source "files"]',
    ),
  );
  const second = runSvn(t, backend);
  expect(second.code, second.stdout + second.stderr).toBe(0);
  expect(youngest(t.repository)).toBe(2);
  const started: string = state(t).last_success;
  const recorded = spawnSync(
    'svnlook',
    ['propget', '--revprop', '-r', '2', t.repository, 'polyarchiv:started'],
    {
      encoding: 'utf8',
    },
  );
  expect(recorded.stdout.trim()).toBe(String(Date.parse(started) / 1000));
  const committed = spawnSync('svnlook', ['date', '-r', '2', t.repository], { encoding: 'utf8' }).stdout;
  expect(Date.parse(committed.slice(0, 19).replace(' ', 'T'))).toBeGreaterThan(Date.parse(started));

  writeFileSync(t.box.path('data/plain.txt'), 'lost\n');
  expectRestored(t, runSvn(t, backend, 'restore', ['--at', started]), saved);
}

/**
 * Two backups also mirrored by a plain synchronize point, a rebuilt machine (no collect point, no
 * state), a restore --from the mirror at a time between them: the mirror's newest working copy,
 * updated to the first revision; the next backup commits on top of HEAD.
 */
export function restoreAtFromMirror(t: SvnCase, backend: Backend): void {
  t.box.write({
    'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
  });
  const first = runSvn(t, backend);
  expect(first.code, first.stdout + first.stderr).toBe(0);
  const saved = fileContents(t.box.path('data'));
  const between = secondBetween();
  writeFileSync(t.box.path('data/plain.txt'), 'changed\n');
  const second = runSvn(t, backend);
  expect(second.code, second.stdout + second.stderr).toBe(0);
  expect(youngest(t.repository)).toBe(2);

  rmSync(t.box.path('collect'), { recursive: true });
  expectRestored(t, runSvn(t, backend, 'restore', ['--from', 'mirror', '--at', between]), saved);
  backupAfter(t, backend, 3);
}

/**
 * Two backups with a change between (two revisions), a third with nothing to commit (no revision),
 * the collect point and the source lost, a restore: the same bytes; then local damage repaired.
 */
export function roundTrip(t: SvnCase, backend: Backend): void {
  const first = runSvn(t, backend);
  expect(first.code, first.stdout + first.stderr).toBe(0);
  expect(youngest(t.repository)).toBe(1);

  writeFileSync(t.box.path('data/new file.txt'), 'new\n');
  rmSync(t.box.path('data/plain.txt'));
  rmSync(t.box.path('data/peg@1'), { recursive: true });
  // A file that becomes a directory.
  rmSync(t.box.path('data/user@host.txt'));
  mkdirSync(t.box.path('data/user@host.txt'));
  writeFileSync(t.box.path('data/user@host.txt/inside'), 'inside\n');
  const second = runSvn(t, backend);
  expect(second.code, second.stdout + second.stderr).toBe(0);
  const unchanged = runSvn(t, backend);
  expect(unchanged.code, unchanged.stdout + unchanged.stderr).toBe(0);
  expect(youngest(t.repository)).toBe(2);
  expect(headFiles(t.repository)).toEqual(Object.keys(fileContents(t.box.path('data'))).sort());

  const saved = fileContents(t.box.path('data'));
  rmSync(t.box.path('collect'), { recursive: true });
  rmSync(t.box.path('data'), { recursive: true });
  const restore = runSvn(t, backend, 'restore');
  expect(restore.code, restore.stdout + restore.stderr).toBe(0);
  expect(fileContents(t.box.path('data'))).toEqual(saved);
  expect(fileContents(`${t.local}/files`)).toEqual(saved);

  // What a failed run or a hand left in the working copy goes; its changes are reverted.
  writeFileSync(`${t.local}/files/new file.txt`, 'damaged\n');
  writeFileSync(`${t.local}/files/stray@.txt`, 'stray\n');
  rmSync(`${t.local}/files/x.o`);
  rmSync(t.box.path('data'), { recursive: true });
  expectRestored(t, runSvn(t, backend, 'restore'), saved);
  // The restored working copy goes on: the next backup commits a third revision.
  backupAfter(t, backend, 3);
}

/** A restore that succeeded and gave `saved` back, to the live data and to the working copy. */
function expectRestored(t: SvnCase, restore: ReturnType<typeof runSvn>, saved: Record<string, string>): void {
  expect(restore.code, restore.stdout + restore.stderr).toBe(0);
  expect(fileContents(t.box.path('data'))).toEqual(saved);
  expect(fileContents(`${t.local}/files`)).toEqual(saved);
}

/** A backup of one more file, committed as `revision`. */
function backupAfter(t: SvnCase, backend: Backend, revision: number): void {
  writeFileSync(t.box.path('data/after.txt'), 'after\n');
  const after = runSvn(t, backend);
  expect(after.code, after.stdout + after.stderr).toBe(0);
  expect(youngest(t.repository)).toBe(revision);
}

/**
 * Two backups (apply, then the script) while the server holds each commit for seconds, every
 * process's command line read meanwhile: none of `needles` (a password and its spellings) in argv,
 * the plan, the output, the collect directory, HOME or the temporary directory the run worked in;
 * the plan reads the secret from `secretVariable`.
 */
export async function watchSlowCommits(t: SvnCase, needles: readonly string[], secretVariable: string) {
  // The server holds the commit for a while: long enough to read every command line meanwhile.
  const hook = join(t.repository, 'hooks/pre-commit');
  writeFileSync(hook, '#!/bin/sh\nsleep 4\n');
  chmodSync(hook, 0o755);
  const before = youngest(t.repository);

  const script = runCli(['plan', ...t.args], t.env);
  expect(script.code).toBe(0);
  for (const needle of needles) expect(script.stdout).not.toContain(needle);
  expect(script.stdout).toContain(`\${${secretVariable}:?}`);

  for (const backend of ['apply', 'script'] as const) {
    writeFileSync(t.box.path('data/run.txt'), `${backend}\n`);
    const argv =
      backend === 'apply'
        ? [CLI, 'backup', ...t.args]
        : [CLI, 'plan', ...t.args, '--include-secrets', '--out', t.box.path('backup.sh')];
    if (backend === 'script') expect(runCli(argv.slice(1), t.env).code).toBe(0);
    const child =
      backend === 'apply'
        ? spawn(process.execPath, argv, { env: { ...process.env, ...t.env } })
        : spawn('bash', [t.box.path('backup.sh')], { env: { ...process.env, ...t.env } });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    const seen: string[] = [];
    let committing = false;
    while (child.exitCode === null) {
      if (commandLinesHolding('commit', t.box.root).some((l) => l.includes('svn'))) committing = true;
      for (const needle of needles) seen.push(...commandLinesHolding(needle));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await exited, output).toBe(0);
    // The scan ran while svn committed, or it proved nothing.
    expect(committing).toBe(true);
    expect(seen).toEqual([]);
    for (const needle of needles) {
      expect(output).not.toContain(needle);
      for (const dir of ['collect', 'home', 'tmp']) expect(filesHolding(t.box.path(dir), needle)).toEqual([]);
    }
    // The run's work directory, where svn's configuration was, is gone.
    expect(readdirSync(t.box.path('tmp'))).toEqual([]);
  }
  expect(youngest(t.repository)).toBe(before + 2);
}
