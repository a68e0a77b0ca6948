import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import { svnStage } from '../../src/backends/execute/svn-stage.js';
import type { SvnStageCommand } from '../../src/graph/command.js';
import { partialFile, useWorkDir } from '../helpers/partials.js';
import { type Sandbox, sandboxesPerTest } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('bash', 'svn', 'svnadmin');
const UTF8 = { ...process.env, LC_ALL: 'C.UTF-8' };

const newSandbox = sandboxesPerTest();

function svn(args: readonly string[]) {
  const run = spawnSync('svn', ['--non-interactive', ...args], { encoding: 'utf8', env: UTF8 });
  if (run.status !== 0) throw new Error(`svn ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

/**
 * A working copy of a committed tree of odd names, then changed as a run of the sources changes
 * it: files and a directory gone, a file become a directory, new entries (with `@`, spaces, quotes
 * and unicode), and a holding directory of an interrupted copy that must stay out.
 */
function changedWorkingCopy(box: Sandbox): string {
  const repo = box.path('repo');
  spawnSync('svnadmin', ['create', repo]);
  const wc = box.path('wc@here');
  svn(['checkout', '--quiet', '--', `file://${repo}`, wc]);
  box.write({
    'wc@here/gone.txt': 'gone\n',
    'wc@here/@gone at': 'gone\n',
    'wc@here/gone dir@/inner': 'gone\n',
    'wc@here/becomes dir': 'file\n',
    'wc@here/kept.txt': 'kept\n',
  });
  svn(['add', '--quiet', '--force', '--', `${wc}@`]);
  svn(['commit', '--quiet', '--message=first', '--', `${wc}@`]);
  rmSync(`${wc}/gone.txt`);
  rmSync(`${wc}/@gone at`);
  rmSync(`${wc}/gone dir@`, { recursive: true });
  rmSync(`${wc}/becomes dir`);
  mkdirSync(`${wc}/becomes dir`);
  box.write({
    'wc@here/becomes dir/inside': 'inside\n',
    'wc@here/new \'q\' "dq" $x ✓@': 'new\n',
    'wc@here/-dash.o': 'new\n',
    'wc@here/new dir/.~polyarchiv~/held': 'held\n',
  });
  return wc;
}

function command(box: Sandbox, wc: string): SvnStageCommand {
  mkdirSync(box.path('work'), { recursive: true });
  return {
    kind: 'svn-stage',
    workingCopy: wc,
    targets: { prefix: '', workFile: 'targets' },
    svn: [
      'svn',
      '--non-interactive',
      `--config-dir=${box.path('svn-config')}`,
      '--config-option',
      'config:miscellany:global-ignores=.~polyarchiv~',
    ],
    env: { LC_ALL: { literal: 'C.UTF-8' } },
  };
}

function viaScript(cmd: SvnStageCommand, box: Sandbox): number {
  const run = spawnSync(
    'bash',
    [
      '-c',
      `set -Eeuo pipefail; source "$1"; source "$2"; ${useWorkDir('$3')}; ${commandLine(cmd)}`,
      'bash',
      partialFile('helpers.hbs'),
      partialFile('helpers-svn.hbs'),
      box.path('work'),
    ],
    { encoding: 'utf8' },
  );
  return run.status ?? -1;
}

async function viaExecutor(cmd: SvnStageCommand, box: Sandbox): Promise<number> {
  return svnStage(cmd, { workDir: box.path('work'), secrets: new Map(), processes: new Set() });
}

/** What the working copy would commit, with the sandbox's path masked. */
function status(wc: string, box: Sandbox): string[] {
  return svn(['status', '--', `${wc}@`])
    .replaceAll(box.root, '<box>')
    .split('\n')
    .filter(Boolean)
    .sort();
}

describe.runIf(canRun)('polyarchiv_svn_stage and svnStage agree', () => {
  it('stage deletions, kind changes and additions of odd names, never a holding directory', async () => {
    const results: { code: number; status: string[] }[] = [];
    for (const backend of [viaScript, viaExecutor]) {
      const box = newSandbox('polyarchiv-svn-twin-');
      const wc = changedWorkingCopy(box);
      const code = await backend(command(box, wc), box);
      results.push({ code, status: status(wc, box) });
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]).toEqual({
      code: 0,
      status: [
        'A       <box>/wc@here/-dash.o',
        'A       <box>/wc@here/becomes dir/inside',
        'A       <box>/wc@here/new dir',
        `A       <box>/wc@here/new 'q' "dq" $x ✓@`,
        'D       <box>/wc@here/@gone at',
        'D       <box>/wc@here/gone dir@',
        'D       <box>/wc@here/gone.txt',
        'R       <box>/wc@here/becomes dir',
      ].sort(),
    });
  });

  it('fail with svn status when the directory is not a working copy, having changed nothing', async () => {
    const codes: number[] = [];
    for (const backend of [viaScript, viaExecutor]) {
      const box = newSandbox('polyarchiv-svn-twin-');
      box.write({ 'plain/file.txt': 'file\n' });
      codes.push(await backend(command(box, box.path('plain')), box));
    }
    expect(codes[1]).toBe(codes[0]);
    expect(codes[0]).not.toBe(0);
  });
});
