import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import { type ExecCommand, explained } from '../../src/graph/command.js';
import { applyCommand } from '../helpers/apply-command.js';
import { partialFile, useWorkDir } from '../helpers/partials.js';
import { sandboxesPerTest } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('bash', 'sh');
const newSandbox = sandboxesPerTest();

const FILE = 'child.errors';
const REFUSED =
  "the ssh server refused the login with the key of option 'private_key' (vault.backup:10 [point])";

/**
 * A tool that starts a child which appends its lines (ssh's, ending with a carriage return) to the
 * file the variable names, then says a line of its own and ends with `status`.
 */
const tool = (status: number, child: string): ExecCommand => ({
  kind: 'exec',
  argv: [
    'sh',
    '-c',
    'sh -c \'printf "%s\\r\\n" "$1" >> "$CHILD_ERRORS"\' sh "$1"; echo "tool: failed" >&2; exit "$2"',
    'sh',
    child,
    String(status),
  ],
  env: { CHILD_ERRORS: { workFile: FILE } },
  childErrors: { workFile: FILE, prefix: 'subprocess ssh: ' },
});

const lines = (text: string): string[] =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.replace(/^polyarchiv: /, ''));

/** What the script's line says on its error output, its status, and whether the file is left. */
function inScript(command: ExecCommand, work: string): { status: number; said: string[]; left: boolean } {
  const run = spawnSync(
    'bash',
    [
      '-c',
      `set -Euo pipefail; source "$1"; ${useWorkDir('$2')}; ${commandLine(command)}`,
      'bash',
      partialFile('helpers.hbs'),
      work,
    ],
    { encoding: 'utf8' },
  );
  return { status: run.status ?? -1, said: lines(run.stderr), left: existsSync(join(work, FILE)) };
}

async function inApply(
  command: ExecCommand,
  work: string,
): Promise<{ status: number; said: string[]; left: boolean }> {
  const { status, errors } = await applyCommand(command, work);
  return { status, said: lines(errors), left: existsSync(join(work, FILE)) };
}

/** Both backends, each in a work directory of its own that holds what an earlier command left. */
async function both(command: ExecCommand) {
  const results = [];
  for (const run of [inScript, inApply]) {
    const work = mkdtempSync(join(newSandbox('polyarchiv-child-errors-').root, 'work-'));
    writeFileSync(join(work, FILE), 'a line of an earlier command\n');
    results.push(await run(command, work));
  }
  return results;
}

describe.runIf(canRun)('polyarchiv_child_errors and apply show what a child of the tool wrote', () => {
  it.each([
    ['succeeds', 0],
    ['fails', 1],
  ])('the child lines follow the tool, prefixed, the file removed, when the tool %s', async (_, status) => {
    const [script, apply] = await both(tool(status, 'Warning: Permanently added the host'));
    expect(script).toEqual({
      status,
      said: ['tool: failed', 'subprocess ssh: Warning: Permanently added the host'],
      left: false,
    });
    expect(apply).toEqual(script);
  });

  it("names the option that a child's line blames, the tool's errors kept until it ends", async () => {
    const command = explained(
      tool(1, 'root@127.0.0.1: Permission denied (publickey).'),
      [{ status: 'other', printed: 'Permission denied (publickey', message: REFUSED }],
      { kind: 'child-errors', of: 'test' },
    );
    const [script, apply] = await both(command);
    expect(script).toEqual({
      status: 1,
      said: [
        'tool: failed',
        'subprocess ssh: root@127.0.0.1: Permission denied (publickey).',
        `  ${REFUSED}`,
      ],
      left: false,
    });
    expect(apply).toEqual(script);
  });
});
