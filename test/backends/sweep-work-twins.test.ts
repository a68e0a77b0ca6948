import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  utimesSync,
} from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { shellWord } from '../../src/backends/bash/shell-word.js';
import { makeWorkDir, removeWorkDir, sweepWorkDirs } from '../../src/backends/execute/work-dir.js';
import { helperCall } from '../../src/backends/helper-calls.js';
import {
  HELPERS as CONTRACTS,
  EMPTY_WORK_DIR_MINUTES,
  WORK_DIR_MARK,
} from '../../src/graph/helper-contracts.js';
import { partialFile, useWorkDir } from '../helpers/partials.js';
import { type Sandbox, sandboxesPerTest } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { snapshotTree } from '../helpers/tree.js';

const HELPERS = partialFile('helpers.hbs');
const canRun = haveTools('bash', 'flock');

// Registered first, so run last: the holders let go of their directories before they are removed.
const newSandbox = sandboxesPerTest();
const holders: ChildProcess[] = [];
afterEach(() => {
  for (const holder of holders.splice(0))
    if (holder.pid !== undefined && holder.exitCode === null && holder.signalCode === null)
      process.kill(-holder.pid, 'SIGKILL');
});

/** A live run: the directory's lock held by a process until the test ends. */
async function heldElsewhere(dir: string): Promise<void> {
  const holder = spawn('flock', ['--nonblock', dir, 'sh', '-c', 'echo held; exec sleep 60'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  holders.push(holder);
  await new Promise<void>((resolve, reject) => {
    holder.stdout?.once('data', () => resolve());
    holder.once('exit', (code) => reject(new Error(`the holder ended with ${code}`)));
  });
}

const isRoot = process.geteuid?.() === 0;

/** Dates `path` as last changed `minutes` ago. */
function unchangedFor(path: string, minutes: number): void {
  const then = new Date(Date.now() - minutes * 60_000);
  utimesSync(path, then, then);
}

/**
 * Runs' directories in `tmp/` as runs leave them: dead ones with password files (one holding only
 * a hidden file and a subdirectory), a live one, the run's own, empty ones (one just made, one
 * left unchanged a little less long than a sweep waits for, and one of a run killed before it
 * marked it, left longer), and names or kinds no run makes (a symbolic link to a directory
 * elsewhere, a file, a longer name, another prefix), and, as root, a dead one of another user.
 */
async function leftovers(box: Sandbox): Promise<void> {
  box.write({
    'tmp/polyarchiv.dead01/restic-location-SECRET': 'rest:http://user:secret@host/\n',
    'tmp/polyarchiv.dead02/.hidden': 'secret\n',
    'tmp/polyarchiv.dead02/svn/config': 'secret\n',
    'tmp/polyarchiv.live01/webdav-curl.conf': 'user = "backup:secret"\n',
    'tmp/polyarchiv.own001/my.cnf': 'password=secret\n',
    'tmp/polyarchiv.file01': 'a file\n',
    'tmp/polyarchiv.longer1/my.cnf': 'password=secret\n',
    'tmp/tmp.abcdefghij/my.cnf': 'password=secret\n',
    'elsewhere/kept': 'kept\n',
  });
  mkdirSync(box.path('tmp/polyarchiv.empty1'));
  mkdirSync(box.path('tmp/polyarchiv.empty2'));
  unchangedFor(box.path('tmp/polyarchiv.empty2'), EMPTY_WORK_DIR_MINUTES - 1);
  mkdirSync(box.path('tmp/polyarchiv.killed'));
  unchangedFor(box.path('tmp/polyarchiv.killed'), EMPTY_WORK_DIR_MINUTES + 1);
  symlinkSync('../elsewhere', box.path('tmp/polyarchiv.link01'));
  if (isRoot) {
    box.write({ 'tmp/polyarchiv.other1/my.cnf': 'password=secret\n' });
    chownSync(box.path('tmp/polyarchiv.other1'), 65534, 65534);
  }
  await heldElsewhere(box.path('tmp/polyarchiv.live01'));
}

function viaScript(parent: string, own: string, cwd?: string): void {
  const call = helperCall(CONTRACTS.sweepWork, { parent: shellWord(parent), own: shellWord(own) });
  const run = spawnSync(
    'bash',
    ['-c', `set -Eeuo pipefail; source "$1"; ${useWorkDir('')}; ${call}`, 'bash', HELPERS],
    { encoding: 'utf8', ...(cwd === undefined ? {} : { cwd }) },
  );
  expect(run.status, run.stderr).toBe(0);
  expect(run.stderr).toBe('');
}

describe.runIf(canRun)('polyarchiv_sweep_work and sweepWorkDirs agree', () => {
  it("remove dead runs' directories of this user only, never a live run's, a new empty one or a link", async () => {
    const trees: Record<string, string>[] = [];
    for (const backend of ['script', 'executor']) {
      const box = newSandbox('polyarchiv-twin-');
      await leftovers(box);
      if (backend === 'script') viaScript(box.path('tmp'), box.path('tmp/polyarchiv.own001'));
      else sweepWorkDirs(box.path('tmp'), box.path('tmp/polyarchiv.own001'));
      const tree = snapshotTree(box.root);
      trees.push(tree);
      const kept = Object.keys(tree).filter((key) => key.startsWith('tmp/') && !key.slice(4).includes('/'));
      expect([backend, kept.sort()]).toEqual([
        backend,
        [
          'tmp/polyarchiv.empty1',
          'tmp/polyarchiv.empty2',
          'tmp/polyarchiv.file01',
          'tmp/polyarchiv.link01',
          'tmp/polyarchiv.live01',
          'tmp/polyarchiv.longer1',
          ...(isRoot ? ['tmp/polyarchiv.other1'] : []),
          'tmp/polyarchiv.own001',
          'tmp/tmp.abcdefghij',
        ],
      ]);
      expect(readFileSync(box.path('elsewhere/kept'), 'utf8')).toBe('kept\n');
    }
    expect(trees[1]).toEqual(trees[0]);
  });

  // find, which the script asks about empty ones, would take such a path for an option.
  it("remove a dead run's empty directory in a TMPDIR given as a relative path that starts with a dash", () => {
    for (const backend of ['script', 'executor']) {
      const box = newSandbox('polyarchiv-twin-');
      mkdirSync(box.path('-tmp/polyarchiv.killed'), { recursive: true });
      unchangedFor(box.path('-tmp/polyarchiv.killed'), EMPTY_WORK_DIR_MINUTES + 1);
      if (backend === 'script') viaScript('-tmp', '', box.root);
      else sweepWorkDirs(box.path('-tmp'), '');
      expect([backend, readdirSync(box.path('-tmp'))]).toEqual([backend, []]);
    }
  });

  it("mark a live run's directory, which a sweep leaves however long the run has written nothing there", async () => {
    const box = newSandbox('polyarchiv-twin-');
    // The script's, as it makes it when it starts: a run that writes nothing until it is told.
    const script = spawn(
      'bash',
      ['-c', `source "$1"; printf '%s\\n' "\${polyarchiv_work}"; read -r _`, 'bash', HELPERS],
      { stdio: ['pipe', 'pipe', 'inherit'], detached: true, env: { ...process.env, TMPDIR: box.root } },
    );
    holders.push(script);
    const scriptDir = await new Promise<string>((resolve, reject) => {
      script.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8').trim()));
      script.once('exit', (code) => reject(new Error(`the script ended with ${code}`)));
    });
    const tmp = process.env.TMPDIR;
    process.env.TMPDIR = box.root;
    try {
      const work = makeWorkDir();
      if (work instanceof Error) throw work;
      for (const dir of [scriptDir, work.path]) {
        expect(readdirSync(dir)).toEqual([WORK_DIR_MARK]);
        unchangedFor(dir, EMPTY_WORK_DIR_MINUTES + 60);
      }
      sweepWorkDirs(box.root, '');
      viaScript(box.root, '');
      expect([existsSync(scriptDir), existsSync(work.path)]).toEqual([true, true]);
      removeWorkDir(work);
      const ended = new Promise((resolve) => script.once('exit', resolve));
      script.stdin?.end('\n');
      await ended;
      expect(readdirSync(box.root)).toEqual([]);
    } finally {
      if (tmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmp;
    }
  });

  it('make a locked directory named as the script names it, which a sweep leaves while it is held', () => {
    const box = newSandbox('polyarchiv-twin-');
    const tmp = process.env.TMPDIR;
    process.env.TMPDIR = box.path('');
    try {
      const work = makeWorkDir();
      if (work instanceof Error) throw work;
      expect(work.path).toMatch(/\/polyarchiv\.[^/]{6}$/);
      box.write({ [`${work.path.slice(box.root.length + 1)}/my.cnf`]: 'password=secret\n' });
      sweepWorkDirs(box.root, '');
      viaScript(box.root, '');
      expect(readFileSync(`${work.path}/my.cnf`, 'utf8')).toBe('password=secret\n');
      removeWorkDir(work);
      expect(spawnSync('ls', ['-A', box.root], { encoding: 'utf8' }).stdout).toBe('');
    } finally {
      if (tmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmp;
    }
  });
});
