import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import { gitResetAt } from '../../src/backends/execute/git-reset-at.js';
import type { Command, GitResetAtCommand } from '../../src/graph/command.js';
import { gitFetchCommands } from '../../src/graph/git-commands.js';
import { git } from '../helpers/git-case.js';
import { runHelper } from '../helpers/partials.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('bash', 'git');

let box: Sandbox;
/** The commits of the remote branch by the text of their file. */
const commits = new Map<string, string>();

/** A commit of `text` dated `date` (committer and author), pushed to the remote's branch. */
function commit(text: string, date: string): void {
  const work = box.path('work');
  writeFileSync(`${work}/file.txt`, `${text}\n`);
  const env = { GIT_COMMITTER_DATE: date, GIT_AUTHOR_DATE: date };
  git(['-C', work, 'add', 'file.txt'], env);
  git(['-C', work, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', text], env);
  commits.set(text, git(['-C', work, 'rev-parse', 'HEAD']).trim());
}

beforeAll(() => {
  if (!canRun) return;
  box = makeSandbox('polyarchiv-git-reset-twin-');
  git(['init', '-q', '--bare', box.path('remote.git')]);
  git(['init', '-q', box.path('work')]);
  commit('first', '2026-11-02T03:00:00Z');
  // 03:00 in Paris is 02:00 UTC: git keeps the offset, and compares the instant.
  commit('paris', '2026-11-03T03:00:00+01:00');
  commit('tie one', '2026-11-04T03:00:00Z');
  commit('tie two', '2026-11-04T03:00:00Z');
  commit('last', '2026-11-05T03:00:00Z');
  git(['-C', box.path('work'), 'push', '-q', box.path('remote.git'), 'HEAD:refs/heads/backups']);
});

afterAll(() => box?.remove());

/** The fetch of a restore at `at`, as the plan builds it: init, fetch, then the reset at a time. */
function fetchAt(at: string, branch = 'backups'): { before: Command[]; reset: GitResetAtCommand } {
  const commands = gitFetchCommands(
    {
      workTree: box.path('restored'),
      remote: { url: box.path('remote.git') },
      branch,
      shown: 'the remote',
      missing: 'the remote holds no copy',
      unreadable: 'the remote could not be read',
      at,
    },
    {},
  );
  const reset = commands.at(-1);
  if (reset?.kind !== 'git-reset-at') throw new Error('not a reset at a time');
  return { before: commands.slice(0, -1), reset };
}

/** A fresh work tree, fetched as the restore fetches it (a branch that is missing fetches nothing). */
function fetched(before: readonly Command[]): void {
  spawnSync('rm', ['-rf', box.path('restored')]);
  for (const command of before)
    if (command.kind === 'exec') spawnSync(command.argv[0] as string, command.argv.slice(1) as string[]);
}

type Outcome = { code: number; said: string[]; head: string | undefined; file: string | undefined };

function outcome(code: number, said: string[]): Outcome {
  const head = spawnSync(
    'git',
    ['--git-dir', box.path('restored/.git'), 'rev-parse', '--verify', '-q', 'HEAD'],
    {
      encoding: 'utf8',
    },
  );
  const file = box.path('restored/file.txt');
  return {
    code,
    said,
    head: head.status === 0 ? head.stdout.trim() : undefined,
    file: existsSync(file) ? readFileSync(file, 'utf8') : undefined,
  };
}

function viaScript(cmd: GitResetAtCommand): Outcome {
  const { code, said } = runHelper('helpers-git-reset-at.hbs', commandLine(cmd));
  return outcome(code, said);
}

async function viaExecutor(cmd: GitResetAtCommand): Promise<Outcome> {
  const said: string[] = [];
  const code = await gitResetAt(
    cmd,
    { workDir: box.root, secrets: new Map(), processes: new Set(), output: () => undefined },
    (line) => said.push(line),
    (line) => said.push(line),
  );
  return outcome(code, said);
}

describe.runIf(canRun)('polyarchiv_git_reset_at and gitResetAt agree on a real history', () => {
  it.each([
    ['before every commit: none, nothing checked out', '2026-11-01T00:00:00Z', undefined],
    ['at the exact time of one: it is not after', '2026-11-02T03:00:00Z', 'first'],
    ['one second before it', '2026-11-02T02:59:59Z', undefined],
    ['between two', '2026-11-02T12:00:00Z', 'first'],
    ['a commit dated in another zone, compared as an instant', '2026-11-03T02:00:00Z', 'paris'],
    ['two commits of one second: the later one of the history', '2026-11-04T12:00:00Z', 'tie two'],
    ['after every commit: the head', '2100-01-01T00:00:00Z', 'last'],
  ] as const)('%s', async (_, at, text) => {
    const { before, reset } = fetchAt(at);
    const results: Outcome[] = [];
    for (const backend of [viaScript, viaExecutor]) {
      fetched(before);
      results.push(await backend(reset));
    }
    expect(results[1]).toEqual(results[0]);
    const chosen = text === undefined ? undefined : (commits.get(text) as string);
    expect(results[0]).toEqual({
      code: text === undefined ? 1 : 0,
      head: chosen,
      file: text === undefined ? undefined : `${text}\n`,
      said:
        chosen === undefined
          ? [`  no commit of branch backups of the remote was made at or before ${at}: nothing was restored`]
          : [
              expect.stringMatching(
                new RegExp(`^  commit ${chosen.slice(0, 8)}, made 2026-11-0\\dT0[23]:00:00[+Z]`),
              ),
            ],
    });
  });

  it("passes on git's failure to read the history (nothing fetched), changing nothing", async () => {
    const { before, reset } = fetchAt('2100-01-01T00:00:00Z', 'missing');
    const results: Outcome[] = [];
    for (const backend of [viaScript, viaExecutor]) {
      fetched(before);
      results.push(await backend(reset));
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]).toEqual({ code: 128, said: [], head: undefined, file: undefined });
  });
});
