import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import { execIfChanged } from '../../src/backends/execute/exec-if-changed.js';
import { runCommand } from '../../src/backends/execute/run-unit.js';
import type { ExecIfChangedCommand } from '../../src/graph/command.js';
import { partialFile, useWorkDir } from '../helpers/partials.js';
import { sandboxesPerTest } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const partial = (name: string) => partialFile(`${name}.hbs`);
const canRun = haveTools('bash', 'sh');

const newSandbox = sandboxesPerTest();

/** A probe that exits with `status`, and a command that records that it ran (and may fail). */
function command(root: string, status: number, runStatus = 0): ExecIfChangedCommand {
  return {
    kind: 'exec-if-changed',
    probe: ['sh', '-c', `exit ${status}`],
    run: ['sh', '-c', `echo ran >> "$1"; exit ${runStatus}`, 'sh', `${root}/ran`],
    unchanged: "nothing changed since the last commit (it's fine)",
  };
}

/** `recorded`: why the step fails, as its failure records it (polyarchiv_say_why, sayWhy). */
type Outcome = { code: number; said: string[]; ran: string; recorded: string };

function viaScript(cmd: ExecIfChangedCommand, root: string): Outcome {
  const run = spawnSync(
    'bash',
    [
      '-c',
      `set -Eeuo pipefail; source "$1"; source "$2"; polyarchiv_unit_file="$3"; rc=0; ${commandLine(cmd)} || rc=$?; printf %s "\${polyarchiv_explained}"; exit "\${rc}"`,
      'bash',
      partial('helpers'),
      partial('helpers-exec-if-changed'),
      `${root}/unit`,
    ],
    { encoding: 'utf8' },
  );
  const said = run.stderr.split('\n').filter((l) => l.startsWith('polyarchiv: '));
  return {
    code: run.status ?? -1,
    said: said.map((l) => l.slice('polyarchiv: '.length)),
    ran: ranOf(root),
    recorded: run.stdout,
  };
}

async function viaExecutor(cmd: ExecIfChangedCommand, root: string, work = root): Promise<Outcome> {
  const said: string[] = [];
  let recorded = '';
  const explain = (why: string) => {
    recorded = why;
  };
  const say = (line: string) => said.push(line);
  const code = await execIfChanged(
    cmd,
    { workDir: work, secrets: new Map(), processes: new Set(), explain },
    say,
    say,
  );
  return { code, said, ran: ranOf(root), recorded };
}

function ranOf(root: string): string {
  return existsSync(`${root}/ran`) ? readFileSync(`${root}/ran`, 'utf8') : '';
}

describe.runIf(canRun)('polyarchiv_exec_if_changed and execIfChanged agree', () => {
  it.each([
    ['nothing changed (the probe exits 0)', 0, 0, { code: 0, ran: '' }],
    ['something changed (the probe exits 1)', 1, 0, { code: 0, ran: 'ran\n' }],
    ['the command fails', 1, 3, { code: 3, ran: 'ran\n' }],
    ['the probe fails (exit 128)', 128, 0, { code: 128, ran: '' }],
  ] as const)('when %s', async (_, probe, runStatus, expected) => {
    const results: Outcome[] = [];
    for (const backend of [viaScript, viaExecutor]) {
      const box = newSandbox('polyarchiv-twin-');
      results.push(await backend(command(box.root, probe, runStatus), box.root));
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]).toMatchObject(expected);
    expect(results[0]?.said).toEqual(
      probe === 0 ? ["  nothing changed since the last commit (it's fine)"] : [],
    );
  });
});

describe.runIf(canRun)("polyarchiv_exec_if_changed's unreadable words and its twin", () => {
  const UNREADABLE = 'the repository file:///srv/repo could not be read: it\'s "$HOME"';

  it.each([
    ['the command fails: its words, said after its lines and recorded', 3, [`  ${UNREADABLE}`], UNREADABLE],
    ['the command succeeds: nothing said', 0, [], ''],
  ] as const)('%s', async (_, runStatus, said, recorded) => {
    const results: Outcome[] = [];
    for (const backend of [viaScript, viaExecutor]) {
      const box = newSandbox('polyarchiv-twin-');
      results.push(await backend({ ...command(box.root, 1, runStatus), unreadable: UNREADABLE }, box.root));
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]).toEqual({ code: runStatus, said, ran: 'ran\n', recorded });
  });
});

describe.runIf(canRun)("polyarchiv_exec_if_changed's words of what the command printed, and its twin", () => {
  const UNREADABLE = 'the repository could not be read';
  const REFUSED = "the server refused the user and password of option 'remote_url' (site.collect:4 [point])";
  const explains = [{ status: 'other', printed: 'E215004', message: REFUSED }] as const;
  /** A command that prints `line` on its error output and exits 1. */
  const printing = (root: string, line: string): ExecIfChangedCommand => ({
    ...command(root, 1, 1),
    run: ['sh', '-c', `echo ran >> "$1"; echo "${line}" >&2; exit 1`, 'sh', `${root}/ran`],
    unreadable: UNREADABLE,
    explains,
  });

  it.each([
    [
      'a text an explanation names: its words, in place of the unreadable ones',
      'svn: E215004: No more credentials',
      REFUSED,
    ],
    ['any other text: the unreadable words', 'svn: E170013: Unable to connect', UNREADABLE],
  ] as const)('%s', async (_, line, why) => {
    const results: Outcome[] = [];
    for (const backend of [viaScript, viaExecutor]) {
      const box = newSandbox('polyarchiv-twin-');
      results.push(await backend(printing(box.root, line), box.root));
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]).toEqual({ code: 1, said: [`  ${why}`], ran: 'ran\n', recorded: why });
  });

  it("shows the command's own lines before the words, and leaves no file of them", () => {
    const box = newSandbox('polyarchiv-twin-');
    const run = spawnSync(
      'bash',
      [
        '-c',
        `set -Eeuo pipefail; source "$1"; source "$2"; polyarchiv_unit_file="$3"; ${commandLine(printing(box.root, 'svn: E215004: No more credentials'))}`,
        'bash',
        partial('helpers'),
        partial('helpers-exec-if-changed'),
        `${box.root}/unit`,
      ],
      { encoding: 'utf8' },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`svn: E215004: No more credentials\npolyarchiv:   ${REFUSED}\n`);
    expect(existsSync(`${box.root}/unit.run-errors`)).toBe(false);
  });
});

describe.runIf(canRun)('under -q, polyarchiv_exec_if_changed and the unit runner say nothing', () => {
  // "Nothing changed" is no problem: -q prints problems only (a daily cron job mails nothing).
  it.each([
    ['nothing changed', 0, 0, 0],
    ['the command fails', 1, 3, 3],
  ] as const)('when %s', async (_, probe, runStatus, code) => {
    const box = newSandbox('polyarchiv-twin-');
    const cmd = command(box.root, probe, runStatus);
    const script = spawnSync(
      'bash',
      [
        '-c',
        `set -Eeuo pipefail; source "$1"; source "$2"; polyarchiv_quiet=true; ${commandLine(cmd)}`,
        'bash',
        partial('helpers'),
        partial('helpers-exec-if-changed'),
      ],
      { encoding: 'utf8' },
    );
    const said: string[] = [];
    const status = await runCommand(
      cmd,
      {
        showCommands: false,
        quiet: true,
        say: (line) => said.push(line),
        clock: () => new Date(),
        started: new Date(),
        interrupted: () => undefined,
      },
      { workDir: box.root, secrets: new Map(), processes: new Set() },
    );
    expect([script.status, status]).toEqual([code, code]);
    expect(script.stderr).toBe('');
    expect(said).toEqual([]);
  });
});

describe.runIf(canRun)('polyarchiv_exec_if_changed and execIfChanged agree on environment and input', () => {
  it('give the probe and the command the variables and the standard input', async () => {
    const results: Outcome[] = [];
    for (const backend of [viaScriptIn, viaExecutor]) {
      const box = newSandbox('polyarchiv-twin-');
      box.write({ 'work/input.txt': "line from 'input'\n" });
      const cmd: ExecIfChangedCommand = {
        kind: 'exec-if-changed',
        probe: ['sh', '-c', 'test "$X" = "value $1" || exit 2; exit 1', 'sh', 'x'],
        run: ['sh', '-c', 'read -r line; printf "%s / %s\\n" "$line" "$X" >> "$1"', 'sh', `${box.root}/ran`],
        unchanged: 'unchanged',
        env: { X: { literal: 'value x' } },
        stdin: { prefix: '', workFile: 'input.txt' },
      };
      results.push(await backend(cmd, box.root, `${box.root}/work`));
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]).toEqual({ code: 0, said: [], ran: "line from 'input' / value x\n", recorded: '' });
  });
});

/** As viaScript, with a work directory (which the script removes when it exits). */
function viaScriptIn(cmd: ExecIfChangedCommand, root: string, work: string): Outcome {
  const run = spawnSync(
    'bash',
    [
      '-c',
      `set -Eeuo pipefail; source "$1"; source "$2"; ${useWorkDir('$3')}; ${commandLine(cmd)}`,
      'bash',
      partial('helpers'),
      partial('helpers-exec-if-changed'),
      work,
    ],
    { encoding: 'utf8' },
  );
  return { code: run.status ?? -1, said: [], ran: ranOf(root), recorded: '' };
}
