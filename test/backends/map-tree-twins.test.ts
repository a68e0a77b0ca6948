import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import { mapTree } from '../../src/backends/execute/map-tree.js';
import { HOLDING_DIR } from '../../src/graph/build-commands.js';
import type { MapTreeCommand } from '../../src/graph/command.js';
import { ODD_FILES, writeTree } from '../helpers/odd-files.js';
import { partialFile } from '../helpers/partials.js';
import { type Sandbox, sandboxesPerTest } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { snapshotTree } from '../helpers/tree.js';

const canRun = haveTools('bash', 'find', 'mktemp', 'touch', 'tr');
const newSandbox = sandboxesPerTest();

/**
 * A tool that writes its input upper-cased and logs each input it was given: what the trees hold
 * and which files were written again can both be compared. It fails on a file named `poison`.
 * Each input is logged in a file of its own: the tools run side by side, and bash writes a name
 * that holds a newline in two pieces, so appends to one log could interleave.
 */
function tool(box: Sandbox): string[] {
  const script = box.path('tool.sh');
  writeFileSync(
    script,
    [
      '#!/bin/bash',
      '# usage: tool.sh --output FILE -- INPUT',
      'out=$2 in=$4',
      `printf '%s' "\${in##*/from/}" > "$(mktemp -p '${box.path('ran')}')"`,
      '[[ ${in##*/} != poison ]] || { echo "cannot read poison" >&2; exit 7; }',
      'tr a-z A-Z < "$in" > "$out"',
      '',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  return [script];
}

function command(box: Sandbox): MapTreeCommand {
  return {
    kind: 'map-tree',
    from: box.path('from'),
    to: box.path('to'),
    hold: HOLDING_DIR,
    tool: tool(box),
    excludes: ['./skipped'],
  };
}

type Outcome = { code: number; said: string[]; ran: string[]; tree: Record<string, string> };

function ran(box: Sandbox): string[] {
  return readdirSync(box.path('ran'))
    .map((name) => {
      const log = join(box.path('ran'), name);
      const input = readFileSync(log, 'utf8');
      rmSync(log);
      return input;
    })
    .sort();
}

function viaScript(box: Sandbox): Outcome {
  const run = spawnSync(
    'bash',
    [
      '-c',
      `set -Eeuo pipefail; source "$1"; source "$2"; ${commandLine(command(box))}`,
      'bash',
      partialFile('helpers.hbs'),
      partialFile('helpers-map-tree.hbs'),
    ],
    { encoding: 'utf8' },
  );
  const said = run.stderr.split('\n').filter((l) => l.startsWith('polyarchiv: '));
  return outcome(
    box,
    run.status ?? -1,
    said.map((l) => l.slice('polyarchiv: '.length)),
  );
}

async function viaExecutor(box: Sandbox): Promise<Outcome> {
  const said: string[] = [];
  const code = await mapTree(
    command(box),
    { workDir: box.root, secrets: new Map(), processes: new Set() },
    (line) => said.push(line.replaceAll(box.root, '<box>')),
  );
  return outcome(box, code, said);
}

function outcome(box: Sandbox, code: number, said: string[]): Outcome {
  return {
    code,
    said: said.map((l) => l.replaceAll(box.root, '<box>')),
    ran: ran(box),
    tree: snapshotTree(box.path('to')),
  };
}

/** The same history of `from` through both backends, each step compared. */
async function history(steps: ((box: Sandbox) => void)[]): Promise<Outcome[][]> {
  const results: Outcome[][] = [];
  for (const backend of [viaScript, viaExecutor]) {
    const box = newSandbox('polyarchiv-twin-map-');
    mkdirSync(box.path('to'));
    mkdirSync(box.path('ran'));
    const outcomes: Outcome[] = [];
    for (const step of steps) {
      step(box);
      outcomes.push(await backend(box));
    }
    results.push(outcomes);
  }
  return results;
}

describe.runIf(canRun)('polyarchiv_map_tree and mapTree agree', () => {
  it('write every file, then only what changed, and remove what went', async () => {
    const [script, executor] = await history([
      (box) => {
        writeTree(box.path('from'), ODD_FILES);
        writeTree(box.path('from'), {
          'skipped/x': 'never read\n',
          'deep/.~polyarchiv~/held': 'never read\n',
        });
        symlinkSync('plain.txt', box.path('from/link to plain'));
        chmodSync(box.path('from/plain.txt'), 0o640);
        mkdirSync(box.path('from/locked'), { mode: 0o555 });
      },
      () => {},
      (box) => {
        writeFileSync(box.path('from/plain.txt'), 'changed\n');
        // Rewritten with its old modification time: its change time tells.
        writeFileSync(box.path('from/with space.txt'), 'same time\n');
        utimesSync(box.path('from/with space.txt'), new Date(0), new Date(0));
        rmSync(box.path('from/new\nline'));
        rmSync(box.path('from/-dir with space'), { recursive: true });
        rmSync(box.path('from/link to plain'));
        writeFileSync(box.path('from/link to plain'), 'a file now\n');
      },
    ]);
    expect(executor).toEqual(script);
    const [first, second, third] = script as [Outcome, Outcome, Outcome];
    expect(first.code).toBe(0);
    expect(first.ran).toHaveLength(Object.keys(ODD_FILES).length);
    expect(first.tree['plain.txt']).toMatch(/^file 640 /);
    expect(first.tree.locked).toBe('dir 555');
    expect(first.tree['link to plain']).toBe('link -> plain.txt');
    expect(Object.keys(first.tree).some((k) => k.includes('skipped') || k.includes('.~polyarchiv~'))).toBe(
      false,
    );
    expect(second.ran).toEqual([]);
    expect(third.ran).toEqual(['link to plain', 'plain.txt', 'with space.txt']);
    expect(Object.keys(third.tree).some((k) => k.startsWith('new') || k.startsWith('-dir'))).toBe(false);
  });

  it("fail with the tool's status and words on a file among many, its previous output kept", async () => {
    const files = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`file ${i}`, `file ${i}\n`]));
    const [script, executor] = await history([
      (box) => {
        writeTree(box.path('from'), { ...files, poison: 'p\n' });
        // The output an earlier run wrote: older than its input, so written again, and failing.
        writeFileSync(box.path('to/poison'), 'previous output\n');
        utimesSync(box.path('to/poison'), new Date(0), new Date(0));
      },
    ]);
    // Which other files were written before the failure stopped the rest depends on the timing.
    for (const [failed] of [script, executor] as [Outcome][]) {
      expect(failed.code).toBe(7);
      expect(failed.said).toEqual(['  <box>/tool.sh failed on <box>/from/poison']);
      expect(failed.ran).toContain('poison');
      expect(failed.tree.poison).toBe(script?.[0]?.tree.poison);
      expect(failed.tree.poison).toMatch(/^file \d+ \w+ 16$/);
      expect(Object.keys(failed.tree).some((k) => k.includes('.~polyarchiv~'))).toBe(false);
    }
  });

  it('copy named pipes, sockets and devices as they are, once, and replace them when they change kind', async () => {
    const inode = (box: Sandbox, name: string) => lstatSync(box.path('to', name)).ino;
    const inodes: number[][] = [];
    const [script, executor] = await history([
      (box) => {
        writeTree(box.path('from'), { 'plain.txt': 'plain\n', 'will be a pipe': 'a file\n' });
        expect(spawnSync('mkfifo', ['-m', '0600', box.path('from/pipe')]).status).toBe(0);
        const bind = 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])';
        expect(spawnSync('python3', ['-c', bind, box.path('from/sock')]).status).toBe(0);
        if (process.geteuid?.() === 0)
          expect(spawnSync('mknod', [box.path('from/null'), 'c', '1', '3']).status).toBe(0);
      },
      (box) => {
        inodes.push([inode(box, 'pipe'), inode(box, 'sock')]);
      },
      (box) => {
        inodes.push([inode(box, 'pipe'), inode(box, 'sock')]);
        rmSync(box.path('from/pipe'));
        writeFileSync(box.path('from/pipe'), 'a file now\n');
        rmSync(box.path('from/will be a pipe'));
        expect(spawnSync('mkfifo', [box.path('from/will be a pipe')]).status).toBe(0);
      },
    ]);
    expect(executor).toEqual(script);
    const [first, second, third] = script as [Outcome, Outcome, Outcome];
    expect(first.code).toBe(0);
    // Only regular files go through the tool.
    expect(first.ran).toEqual(['plain.txt', 'will be a pipe']);
    expect(first.tree.pipe).toBe('fifo 600');
    expect(first.tree.sock).toMatch(/^socket /);
    if (process.geteuid?.() === 0) expect(first.tree.null).toBe('char device 259 644');
    // Unchanged: neither copied again.
    expect(second.ran).toEqual([]);
    expect(inodes[0]).toEqual(inodes[1]);
    expect(inodes[2]).toEqual(inodes[3]);
    expect(third.ran).toEqual(['pipe']);
    expect(third.tree['will be a pipe']).toMatch(/^fifo /);
    expect(third.tree.pipe).toMatch(/^file /);
  });

  it.runIf(process.geteuid?.() === 0)(
    'keep the set-user-ID, set-group-ID and sticky bits of files and directories, owners changed',
    async () => {
      const [script, executor] = await history([
        (box) => {
          writeTree(box.path('from'), { 'bin/su-like': 'x\n', 'bin/sg-like': 'y\n', 'shared/f': 'z\n' });
          for (const [path, mode] of [
            ['bin/su-like', 0o4755],
            ['bin/sg-like', 0o2711],
            ['shared', 0o3775],
          ] as const) {
            chownSync(box.path('from', path), 1234, 5678);
            chmodSync(box.path('from', path), mode);
          }
        },
      ]);
      expect(executor).toEqual(script);
      expect(script?.[0]?.tree['bin/su-like']).toMatch(/^file 4755 /);
      expect(script?.[0]?.tree['bin/sg-like']).toMatch(/^file 2711 /);
      expect(script?.[0]?.tree.shared).toBe('dir 3775');
    },
  );

  it("fail with the tool's status, naming the file, and keep what was written whole", async () => {
    const [script, executor] = await history([
      (box) => writeTree(box.path('from'), { 'a.txt': 'a\n', poison: 'p\n' }),
    ]);
    expect(executor).toEqual(script);
    expect(script?.[0]).toMatchObject({ code: 7, said: ['  <box>/tool.sh failed on <box>/from/poison'] });
  });
});
