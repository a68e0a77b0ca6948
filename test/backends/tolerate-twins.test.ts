import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import { runCommand } from '../../src/backends/execute/run-unit.js';
import type { ExecCommand } from '../../src/graph/command.js';
import { partialFile } from '../helpers/partials.js';
import { makeSandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('bash', 'sh');
const box = makeSandbox('polyarchiv-tolerate-');
afterAll(() => box.remove());

/**
 * The command's line in a unit of the script: under errexit, with the ERR trap recording the
 * status it reports for the failed step (the script's polyarchiv_on_error is given `$?`).
 */
function inScript(command: ExecCommand): { status: number; reported: string } {
  const run = spawnSync(
    'bash',
    [
      '-c',
      `set -Eeuo pipefail; source "$1"; trap 'printf %s "$?" >&2' ERR; ${commandLine(command)}`,
      'bash',
      partialFile('helpers.hbs'),
    ],
    { encoding: 'utf8' },
  );
  return { status: run.status ?? -1, reported: run.stderr };
}

const NEVER = () => undefined;

function inApply(command: ExecCommand): Promise<number> {
  const now = new Date();
  return runCommand(
    command,
    { showCommands: false, quiet: true, say: () => {}, clock: () => now, started: now, interrupted: NEVER },
    { workDir: box.root, secrets: new Map(), processes: new Set(), output: () => {} },
  );
}

const exiting = (status: number): ExecCommand => ({
  kind: 'exec',
  argv: ['sh', '-c', `exit ${status}`],
  alsoSucceedsOn: 3,
});

describe.runIf(canRun)('a command with a second status of success: apply and the script agree', () => {
  it.each([
    ['succeeds', 0, 0],
    ['fails with the tolerated status: success', 3, 0],
    ['fails otherwise: that status, reported as the failed step', 4, 4],
    ['fails as a missing tool does: passed on', 127, 127],
  ])('%s', async (_, status, expected) => {
    const command = exiting(status);
    const script = inScript(command);
    expect(script.status).toBe(expected);
    expect(script.reported).toBe(expected === 0 ? '' : String(expected));
    expect(await inApply(command)).toBe(expected);
  });

  it('keeps a command without one as it was', async () => {
    const command: ExecCommand = { kind: 'exec', argv: ['sh', '-c', 'exit 3'] };
    expect(commandLine(command)).not.toContain('polyarchiv_tolerate');
    expect(inScript(command).status).toBe(3);
    expect(await inApply(command)).toBe(3);
  });
});
