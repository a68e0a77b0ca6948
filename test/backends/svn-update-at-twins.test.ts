import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import { svnUpdateAt } from '../../src/backends/execute/svn-update-at.js';
import type { SvnUpdateAtCommand } from '../../src/graph/helper-commands.js';
import { STARTED_REVPROP, svnUpdateCommands } from '../../src/graph/svn-commands.js';
import { runHelper, useWorkDir } from '../helpers/partials.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('bash', 'svn', 'svnadmin', 'awk');

let box: Sandbox;
const seconds = (iso: string): string => String(Date.parse(iso) / 1000);

function svn(args: readonly string[]): string {
  const run = spawnSync('svn', ['--non-interactive', ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`svn ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

/**
 * A commit of `text` into `dir` of the repository, dated `date` by svn, with the start of its run
 * when a run made it (a commit by hand has none).
 */
function commit(dir: string, text: string, date: string, started?: string): void {
  const work = box.path('work');
  writeFileSync(`${work}/${dir}/file.txt`, `${text}\n`);
  svn([
    'commit',
    '-q',
    '-m',
    text,
    ...(started === undefined ? [] : [`--with-revprop=${STARTED_REVPROP}=${seconds(started)}`]),
    work,
  ]);
  const revision = svn(['info', '--show-item=revision', `file://${box.path('repo')}`]).trim();
  svn(['propset', '-q', '--revprop', '-r', revision, 'svn:date', date, `file://${box.path('repo')}`]);
}

beforeAll(() => {
  if (!canRun) return;
  box = makeSandbox('polyarchiv-svn-update-at-twin-');
  spawnSync('svnadmin', ['create', box.path('repo')]);
  // Dates set after the commit, as svn allows only when the repository's hook says so.
  writeFileSync(box.path('repo/hooks/pre-revprop-change'), '#!/bin/sh\nexit 0\n');
  chmodSync(box.path('repo/hooks/pre-revprop-change'), 0o755);
  svn(['checkout', '-q', `file://${box.path('repo')}`, box.path('work')]);
  svn(['mkdir', '-q', box.path('work/point'), box.path('work/other')]);
  writeFileSync(box.path('work/point/file.txt'), 'empty\n');
  writeFileSync(box.path('work/other/file.txt'), 'empty\n');
  svn(['add', '-q', box.path('work/point/file.txt'), box.path('work/other/file.txt')]);
  // r1: the directories, before every run.
  svn(['commit', '-q', '-m', 'layout', box.path('work')]);
  svn([
    'propset',
    '-q',
    '--revprop',
    '-r',
    '1',
    'svn:date',
    '2026-11-01T12:00:00.000000Z',
    `file://${box.path('repo')}`,
  ]);
  // r2: a run that started at 03:00 and committed at 03:05.
  commit('point', 'first run', '2026-11-02T03:05:00.000000Z', '2026-11-02T03:00:00Z');
  // r3: by hand, elsewhere in the repository, half a second into its second.
  commit('other', 'by hand', '2026-11-03T03:00:00.500000Z');
  // r4: by hand, in the collect point's directory.
  commit('point', 'by hand here', '2026-11-03T04:00:00.000000Z');
  // r5 and r6: two runs.
  commit('point', 'second run', '2026-11-04T03:05:00.000000Z', '2026-11-04T03:00:00Z');
  commit('point', 'third run', '2026-11-05T03:05:00.000000Z', '2026-11-05T03:00:00Z');
});

afterAll(() => box?.remove());

/**
 * The update at `at` of a working copy of the collect point's directory (or of `dir`), as a
 * restore plans it.
 */
function updateAt(at: string, dir = '/point'): SvnUpdateAtCommand {
  const commands = svnUpdateCommands(
    {
      workingCopy: box.path('restored'),
      repository: { url: `file://${box.path('repo')}${dir}`, configDir: 'svn-config' },
      at,
    },
    {},
  );
  const update = commands.at(-1);
  if (update?.kind !== 'svn-update-at') throw new Error('not an update at a time');
  return update;
}

/** A working copy at HEAD, as the restore's checkout leaves it before the update. */
function checkedOut(dir = '/point'): void {
  spawnSync('rm', ['-rf', box.path('restored')]);
  svn(['checkout', '-q', `file://${box.path('repo')}${dir}`, box.path('restored')]);
}

type Outcome = { code: number; said: string[]; revision: string; file: string | undefined };

function outcome(code: number, said: string[]): Outcome {
  const file = box.path('restored/file.txt');
  return {
    code,
    said,
    revision: svn(['info', '--show-item=revision', box.path('restored')]).trim(),
    file: existsSync(file) ? readFileSync(file, 'utf8') : undefined,
  };
}

/** The run's work directory, which the script removes when it ends. */
function workDir(): string {
  mkdirSync(box.path('run'), { recursive: true });
  return box.path('run');
}

function viaScript(cmd: SvnUpdateAtCommand): Outcome {
  const { code, said } = runHelper(
    'helpers-svn-update-at.hbs',
    `${useWorkDir(workDir())}; ${commandLine(cmd)}`,
  );
  return outcome(code, said);
}

async function viaExecutor(cmd: SvnUpdateAtCommand): Promise<Outcome> {
  const said: string[] = [];
  const code = await svnUpdateAt(
    cmd,
    { workDir: workDir(), secrets: new Map(), processes: new Set(), output: () => undefined },
    (line) => said.push(line),
    (line) => said.push(line),
  );
  return outcome(code, said);
}

/** The outcomes of the helper and of its twin, each on a fresh working copy of `dir`: equal. */
async function bothAgree(cmd: SvnUpdateAtCommand, dir?: string): Promise<Outcome[]> {
  const results: Outcome[] = [];
  for (const backend of [viaScript, viaExecutor]) {
    checkedOut(dir);
    results.push(await backend(cmd));
  }
  expect(results[1]).toEqual(results[0]);
  return results;
}

describe.runIf(canRun)('polyarchiv_svn_update_at and svnUpdateAt agree on a real repository', () => {
  it.each([
    ["at a run's start, before its commit: that run's revision", '2026-11-02T03:00:00Z', ['2', 'first run']],
    ["a second before a run's start: the revision before it", '2026-11-02T02:59:59Z', ['1', 'empty']],
    ['during a run, after its commit', '2026-11-02T03:06:00Z', ['2', 'first run']],
    [
      'a commit by hand elsewhere, of the same second: the repository then, by its date',
      '2026-11-03T03:00:00Z',
      ['3', 'first run'],
    ],
    ['a commit by hand in the directory, by its date', '2026-11-03T04:00:00Z', ['4', 'by hand here']],
    ["a run's start after a commit by hand: the run's revision", '2026-11-04T03:00:00Z', ['5', 'second run']],
    ['after every revision: the last', '2100-01-01T00:00:00Z', ['6', 'third run']],
  ] as const)('%s', async (_, at, expected) => {
    const cmd = updateAt(at);
    const results = await bothAgree(cmd);
    expect(results[0]).toEqual(
      expected === undefined
        ? {
            code: 3,
            said: [
              `  no revision of file://${box.path('repo')}/point was made at or before ${at}: nothing was restored`,
            ],
            revision: '6',
            file: 'third run\n',
          }
        : { code: 0, said: [`  revision ${expected[0]}`], revision: expected[0], file: `${expected[1]}\n` },
    );
  });

  it('before every revision of the repository: none, nothing changes', async () => {
    const at = '2026-11-01T00:00:00Z';
    const cmd = updateAt(at, '');
    const results = await bothAgree(cmd, '');
    expect(results[0]).toEqual({
      code: 3,
      said: [`  no revision of file://${box.path('repo')} was made at or before ${at}: nothing was restored`],
      revision: '6',
      file: undefined,
    });
  });

  it("before the collect point's directory existed: svn's failure, passed on, nothing changes", async () => {
    const cmd = updateAt('2026-11-01T00:00:00Z');
    const results = await bothAgree(cmd);
    expect(results[0]).toMatchObject({ code: 1, said: [], revision: '6', file: 'third run\n' });
  });

  it("passes on svn's failure to list the revisions, changing nothing", async () => {
    const cmd = {
      ...updateAt('2100-01-01T00:00:00Z'),
      list: ['svn', '--non-interactive', 'log', '--xml', 'file:///nonexistent@'],
    };
    const results = await bothAgree(cmd);
    expect(results[0]).toMatchObject({ code: 1, said: [], revision: '6', file: 'third run\n' });
  });

  it("says a restore's words after each svn failure: the list's, the update's", async () => {
    const unreadable = 'the repository could not be read (svn says why above): it\'s "$HOME"';
    const list = {
      ...updateAt('2100-01-01T00:00:00Z'),
      list: ['svn', '--non-interactive', 'log', '--xml', 'file:///nonexistent@'],
      unreadable,
    };
    const listed = await bothAgree(list);
    expect(listed[0]).toMatchObject({ code: 1, said: [`  ${unreadable}`], revision: '6' });
    const update = { ...updateAt('2026-11-01T00:00:00Z'), unreadable };
    const updated = await bothAgree(update);
    expect(updated[0]).toMatchObject({ code: 1, said: [`  ${unreadable}`], revision: '6' });
  });
});
