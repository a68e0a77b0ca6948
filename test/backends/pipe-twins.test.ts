import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import { runExec } from '../../src/backends/execute/run-exec.js';
import type { ExecCommand } from '../../src/graph/command.js';
import { sandboxPerFile } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('bash', 'sh', 'head', 'gzip', 'tee');
const box = sandboxPerFile('polyarchiv-pipe-');

/** The script's line for the command, run as the script runs it: bash under pipefail. */
function inBash(command: ExecCommand): number {
  const run = spawnSync('bash', ['-c', `set -o pipefail\n${commandLine(command)}`], { stdio: 'ignore' });
  return run.status ?? 128 + 9;
}

function inApply(command: ExecCommand): Promise<number> {
  return runExec(command, { workDir: box.root, secrets: new Map(), processes: new Set(), output: () => {} });
}

const sh = (script: string): string[] => ['sh', '-c', script];

describe.runIf(canRun)('a pipe of tools: apply and the script agree on its status', () => {
  const cases: [string, ExecCommand, number][] = [
    ['both succeed', { kind: 'exec', argv: sh('echo a'), pipeline: [['cat']] }, 0],
    ['the first fails', { kind: 'exec', argv: sh('echo a; exit 3'), pipeline: [['cat']] }, 3],
    ['the second fails', { kind: 'exec', argv: sh('echo a'), pipeline: [sh('cat >/dev/null; exit 4')] }, 4],
    [
      'both fail: the second wins',
      { kind: 'exec', argv: sh('exit 3'), pipeline: [sh('cat >/dev/null; exit 5')] },
      5,
    ],
    ['the first cannot start', { kind: 'exec', argv: ['/nonexistent/tool'], pipeline: [['cat']] }, 127],
    ['the second cannot start', { kind: 'exec', argv: sh('echo a'), pipeline: [['/nonexistent/tool']] }, 127],
    [
      'three, the middle fails: its status',
      { kind: 'exec', argv: sh('echo a'), pipeline: [sh('cat >/dev/null; exit 6'), ['cat']] },
      6,
    ],
    [
      'three, the middle and the last fail: the last wins',
      { kind: 'exec', argv: sh('echo a'), pipeline: [sh('cat; exit 6'), sh('cat >/dev/null; exit 7')] },
      7,
    ],
    [
      'three, the first fails: its status',
      { kind: 'exec', argv: sh('echo a; exit 3'), pipeline: [['cat'], ['cat']] },
      3,
    ],
    [
      'three, the middle cannot start',
      { kind: 'exec', argv: sh('echo a'), pipeline: [['/nonexistent/tool'], ['cat']] },
      127,
    ],
  ];

  it.each(cases)('%s', async (_, command, expected) => {
    expect(inBash(command)).toBe(expected);
    expect(await inApply(command)).toBe(expected);
  });

  // node connects its children with a socket pair, not a pipe: a tool that writes after the other
  // stopped reading gets an error (ECONNRESET) instead of SIGPIPE. Its status differs (1 instead of
  // 141); the step fails in both.
  it('fails when the second stops reading before the first is done', async () => {
    const command: ExecCommand = {
      kind: 'exec',
      argv: sh('yes'),
      pipeline: [['head', '-c', '1']],
      stdout: '/dev/null',
    };
    expect(inBash(command)).toBe(141);
    expect(await inApply(command)).not.toBe(0);
  });

  it('passes every byte from the first to the second, from stdin to stdout', async () => {
    const input = box.path('input');
    box.write({ input: 'line of text\n'.repeat(400_000) });
    for (const [how, runner] of [
      ['bash', async (c: ExecCommand) => inBash(c)],
      ['apply', inApply],
    ] as const) {
      const output = box.path(`output-${how}`);
      const command: ExecCommand = {
        kind: 'exec',
        argv: ['gzip', '-c', '-n'],
        stdin: input,
        pipeline: [['gzip', '-d', '-c']],
        stdout: output,
      };
      expect(await runner(command), how).toBe(0);
      expect(readFileSync(output).equals(readFileSync(input)), how).toBe(true);
    }
  });

  it('passes every byte through three programs, one of them writing a copy aside (tee)', async () => {
    const input = box.path('input3');
    box.write({ input3: 'another line\n'.repeat(400_000) });
    for (const [how, runner] of [
      ['bash', async (c: ExecCommand) => inBash(c)],
      ['apply', inApply],
    ] as const) {
      const aside = box.path(`aside-${how}.gz`);
      const output = box.path(`output3-${how}`);
      const command: ExecCommand = {
        kind: 'exec',
        argv: ['gzip', '-c', '-n'],
        stdin: input,
        pipeline: [
          ['tee', '--', aside],
          ['gzip', '-d', '-c'],
        ],
        stdout: output,
      };
      expect(await runner(command), how).toBe(0);
      expect(readFileSync(output).equals(readFileSync(input)), how).toBe(true);
      expect(gunzipSync(readFileSync(aside)).equals(readFileSync(input)), how).toBe(true);
    }
  });
});
