import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import type { ExecCommand } from '../../src/graph/command.js';
import { applyCommand } from '../helpers/apply-command.js';
import { partialFile } from '../helpers/partials.js';
import { sandboxPerFile } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('bash', 'sh');
const box = sandboxPerFile('polyarchiv-after-failure-');

/** The command's line in a unit of the script: under errexit, the ERR trap reporting the status. */
function inScript(command: ExecCommand): { status: number; stdout: string; stderr: string } {
  const run = spawnSync(
    'bash',
    [
      '-c',
      `set -Eeuo pipefail; source "$1"; trap 'printf "trap %s\\n" "$?" >&2' ERR; ${commandLine(command)}`,
      'bash',
      partialFile('helpers.hbs'),
    ],
    { encoding: 'utf8' },
  );
  return { status: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
}

async function inApply(command: ExecCommand): Promise<{ status: number; output: string }> {
  const { status, output } = await applyCommand(command, box.root, { quiet: true });
  return { status, output };
}

const MARK = () => box.path("removed 'it' $HOME");

/** A command exiting with `status`, whose cleanup leaves MARK, says something and exits `cleanupStatus`. */
const exiting = (status: number, cleanupStatus = 0): ExecCommand => ({
  kind: 'exec',
  argv: ['sh', '-c', `exit ${status}`],
  alsoSucceedsOn: 3,
  cleanupOnFailure: ['sh', '-c', `: > "$1"; echo said; echo said >&2; exit ${cleanupStatus}`, 'sh', MARK()],
});

describe.runIf(canRun)('a command with a cleanup after its failure: apply and the script agree', () => {
  beforeEach(() => rmSync(MARK(), { force: true }));

  it.each([
    ['succeeds: no cleanup', 0, 0, 0, false],
    ['fails with a status that also means success: no cleanup', 3, 0, 0, false],
    ['fails: cleans up, fails with its own status', 4, 0, 4, true],
    ['fails, and so does its cleanup: fails with its own status', 4, 9, 4, true],
  ])('%s', async (_, status, cleanupStatus, expected, cleaned) => {
    const command = exiting(status, cleanupStatus);
    const script = inScript(command);
    expect(script.status).toBe(expected);
    // The cleanup says nothing: only the ERR trap's report of the command's own status.
    expect(script.stdout).toBe('');
    expect(script.stderr).toBe(expected === 0 ? '' : `trap ${expected}\n`);
    expect(existsSync(MARK())).toBe(cleaned);

    rmSync(MARK(), { force: true });
    const apply = await inApply(command);
    expect(apply).toEqual({ status: expected, output: '' });
    expect(existsSync(MARK())).toBe(cleaned);
  });

  it('keeps a command without one as it was', () => {
    const command: ExecCommand = { kind: 'exec', argv: ['sh', '-c', 'exit 4'] };
    expect(commandLine(command)).not.toContain('polyarchiv_after_failure');
  });
});
