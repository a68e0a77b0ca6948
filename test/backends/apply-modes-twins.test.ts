import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import { applyModes } from '../../src/backends/execute/apply-modes.js';
import { sweepWorkDirs } from '../../src/backends/execute/work-dir.js';
import type { ApplyModesCommand } from '../../src/graph/command.js';
import { MODES_FILE } from '../../src/graph/tree-modes.js';
import { partialFile } from '../helpers/partials.js';
import { type Sandbox, sandboxesPerTest } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('bash', 'find', 'chmod', 'chown', 'mkdir');
/** The built twin, which a process of another user can load. */
const BUILT = new URL('../../dist/backends/execute/apply-modes.js', import.meta.url).pathname;
const NOBODY = 65534;
const newSandbox = sandboxesPerTest();
const root = process.geteuid?.() === 0;
/** A name that is not UTF-8: the manifest and both twins keep it as bytes. */
const LATIN1 = Buffer.from('caf\xe9', 'latin1');

/** A checkout as git leaves it under umask 077: every file 0600, every directory 0700, no empty one. */
function checkout(box: Sandbox): string {
  const tree = box.path('tree');
  mkdirSync(`${tree}/sub/closed`, { recursive: true, mode: 0o700 });
  for (const name of ['plain.txt', 'new\nline', 'sub/secret.txt', 'sub/closed/inside.txt'])
    writeFileSync(`${tree}/${name}`, 'x\n', { mode: 0o600 });
  writeFileSync(Buffer.concat([Buffer.from(`${tree}/`), LATIN1]), 'x\n', { mode: 0o600 });
  symlinkSync('plain.txt', `${tree}/link`);
  return tree;
}

/** The manifest a backup wrote: records as find's MODES_FORMAT prints them, sorted by path. */
function manifest(tree: string, owner: string): void {
  const records = [
    `d/750/${owner}/empty`,
    `d/705/${owner}/empty/deeper`,
    `l/777/${owner}/link`,
    `f/640/${owner}/new\nline`,
    `f/604/${owner}/plain.txt`,
    `f/644/${owner}/gone.txt`,
    `d/500/${owner}/sub`,
    `d/500/${owner}/sub/closed`,
    `f/400/${owner}/sub/closed/inside.txt`,
    // Missing, in a directory closed to its owner: made before that directory is closed.
    `d/700/${owner}/sub/made`,
    `f/4750/${owner}/sub/secret.txt`,
  ].map((record) => Buffer.from(`${record}\0`));
  writeFileSync(
    `${tree}/${MODES_FILE}`,
    Buffer.concat([Buffer.from(`f/640/${owner}/`), LATIN1, Buffer.from('\0'), ...records]),
  );
}

/** Every entry's type, mode, owner and path, sorted. */
function listing(tree: string): string[] {
  const run = spawnSync('find', [tree, '-printf', '%y %m %U:%G %P\\0'], { encoding: 'latin1' });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout.split('\0').filter(Boolean).sort();
}

const command = (tree: string): ApplyModesCommand => ({
  kind: 'apply-modes',
  manifest: `${tree}/${MODES_FILE}`,
  tree,
});

function viaScript(tree: string) {
  return spawnSync(
    'bash',
    [
      '-c',
      `set -Eeuo pipefail; source "$1"; source "$2"; ${commandLine(command(tree))}`,
      'bash',
      partialFile('helpers.hbs'),
      partialFile('helpers-apply-modes.hbs'),
    ],
    { encoding: 'utf8' },
  );
}

describe.runIf(canRun)('polyarchiv_apply_modes and its twin', () => {
  const owner = root ? '1234:2345' : `${process.geteuid?.()}:${process.getegid?.()}`;

  it('give every entry its recorded mode (and owner as root), make the empty directories, and agree', () => {
    const trees: string[][] = [];
    for (const backend of ['script', 'executor'] as const) {
      const tree = checkout(newSandbox('polyarchiv-modes-'));
      manifest(tree, owner);
      if (backend === 'script') {
        const run = viaScript(tree);
        expect(run.status, run.stderr).toBe(0);
      } else expect(applyModes(command(tree))).toBe(0);
      // Closed directories last: what they hold was reached first.
      chmodSync(`${tree}/sub`, 0o700);
      chmodSync(`${tree}/sub/closed`, 0o700);
      trees.push(listing(tree));
    }
    const [script, executor] = trees as [string[], string[]];
    expect(executor).toEqual(script);
    const entries = script.map((line) => line.replace(/ \d+:\d+ /, ' '));
    expect(entries).toEqual(
      expect.arrayContaining([
        'd 750 empty',
        'd 705 empty/deeper',
        'f 640 new\nline',
        'f 604 plain.txt',
        'f 4750 sub/secret.txt',
        'f 400 sub/closed/inside.txt',
        'f 640 caf\xe9',
      ]),
    );
    // Nothing is made for an entry the tree does not hold but a directory.
    expect(entries.some((line) => line.endsWith(' gone.txt'))).toBe(false);
    if (root) expect(script.filter((line) => line.includes(' 1234:2345 ')).length).toBe(11);
  });

  it('change nothing, and fail saying so, when a record of the manifest is not one a backup writes', () => {
    for (const backend of ['script', 'executor'] as const) {
      const tree = checkout(newSandbox('polyarchiv-modes-'));
      const before = listing(tree);
      writeFileSync(
        `${tree}/${MODES_FILE}`,
        `d/750/${owner}/empty\0f/640/${owner}/plain.txt\0f/6x0/${owner}/new\0`,
      );
      const after = listing(tree);
      if (backend === 'script') {
        const run = viaScript(tree);
        expect(run.status).toBe(1);
        expect(run.stderr).toContain(`a record is not TYPE/MODE/UID:GID/PATH: f/6x0/${owner}`);
      } else expect(applyModes(command(tree))).toBe(1);
      // The directory the first record names was not made, the file it names not changed.
      expect(listing(tree)).toEqual(after);
      expect(after.length).toBe(before.length + 1);
    }
  });

  // apply keeps its lists in memory.
  it("keep the script's lists in the run's work directory, which the next run removes when the run is killed", () => {
    const box = newSandbox('polyarchiv-modes-');
    const tree = checkout(box);
    manifest(tree, owner);
    // Killed as it makes the missing directories, its lists written.
    box.write({ 'bin/xargs': '#!/bin/sh\nkill -KILL "$PPID"\n', 'tmp/.keep': '' });
    chmodSync(box.path('bin/xargs'), 0o755);
    const run = spawnSync(
      'bash',
      [
        '-c',
        `set -Eeuo pipefail; source "$1"; source "$2"; ${commandLine(command(tree))}`,
        'bash',
        partialFile('helpers.hbs'),
        partialFile('helpers-apply-modes.hbs'),
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, TMPDIR: box.path('tmp'), PATH: `${box.path('bin')}:${process.env.PATH}` },
      },
    );
    expect(run.signal, run.stderr).toBe('SIGKILL');
    sweepWorkDirs(box.path('tmp'), '');
    expect(readdirSync(box.path('tmp'))).toEqual(['.keep']);
  });

  it('leave a tree without a manifest as it is', () => {
    const trees: string[] = [];
    for (const backend of ['script', 'executor'] as const) {
      const tree = checkout(newSandbox('polyarchiv-modes-'));
      const before = listing(tree);
      if (backend === 'script') {
        const run = viaScript(tree);
        expect(run.status, run.stderr).toBe(0);
      } else expect(applyModes(command(tree))).toBe(0);
      expect(listing(tree)).toEqual(before);
      trees.push(readdirSync(tree).sort().join('\n'));
    }
    expect(trees[1]).toBe(trees[0]);
  });

  // Not root: owners are left as they are, and a directory closed to its owner is closed last.
  it.runIf(root && haveTools('setpriv', 'node'))('agree when not run as root', () => {
    const trees: string[][] = [];
    for (const backend of ['script', 'executor'] as const) {
      const box = newSandbox('polyarchiv-modes-');
      chmodSync(box.root, 0o755);
      const tree = checkout(box);
      manifest(tree, '1234:2345');
      // The helpers where that user reads them.
      copyFileSync(partialFile('helpers.hbs'), box.path('helpers.sh'));
      copyFileSync(partialFile('helpers-apply-modes.hbs'), box.path('helpers-apply-modes.sh'));
      spawnSync('chown', ['-R', `${NOBODY}:${NOBODY}`, box.root]);
      const setpriv = ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups'];
      const run =
        backend === 'script'
          ? spawnSync(
              'setpriv',
              [
                ...setpriv,
                'bash',
                '-c',
                `set -Eeuo pipefail; source "$1"; source "$2"; ${commandLine(command(tree))}`,
                'bash',
                box.path('helpers.sh'),
                box.path('helpers-apply-modes.sh'),
              ],
              { encoding: 'utf8' },
            )
          : spawnSync(
              'setpriv',
              [
                ...setpriv,
                process.execPath,
                '--input-type=module',
                '-e',
                `const { applyModes } = await import(${JSON.stringify(BUILT)}); process.exitCode = applyModes(${JSON.stringify(command(tree))});`,
              ],
              { encoding: 'utf8' },
            );
      expect(run.status, run.stderr).toBe(0);
      chownSync(box.root, 0, 0);
      trees.push(listing(tree));
    }
    const [script, executor] = trees as [string[], string[]];
    expect(executor).toEqual(script);
    expect(script).toEqual(
      expect.arrayContaining([
        `d 500 ${NOBODY}:${NOBODY} sub`,
        `d 500 ${NOBODY}:${NOBODY} sub/closed`,
        `f 400 ${NOBODY}:${NOBODY} sub/closed/inside.txt`,
        `d 705 ${NOBODY}:${NOBODY} empty/deeper`,
        `d 700 ${NOBODY}:${NOBODY} sub/made`,
      ]),
    );
  });
});
