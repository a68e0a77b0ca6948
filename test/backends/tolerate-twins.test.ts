import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import type { ExecCommand } from '../../src/graph/command.js';
import { applyCommand } from '../helpers/apply-command.js';
import { partialFile } from '../helpers/partials.js';
import { sandboxPerFile } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('bash', 'sh');
const box = sandboxPerFile('polyarchiv-tolerate-');

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

async function inApply(command: ExecCommand): Promise<number> {
  return (await applyCommand(command, box.root, { quiet: true })).status;
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

/** The command's line in a unit of the script, with what it says and the status the ERR trap reports. */
function saidInScript(command: ExecCommand): { status: number; stderr: string } {
  const run = spawnSync(
    'bash',
    [
      '-c',
      `set -Eeuo pipefail; polyarchiv_quiet=false; polyarchiv_unit_name=; source "$1"; trap 'printf "trap %s\\n" "$?" >&2' ERR; ${commandLine(command)}`,
      'bash',
      partialFile('helpers.hbs'),
    ],
    { encoding: 'utf8' },
  );
  return { status: run.status ?? -1, stderr: run.stderr };
}

async function saidInApply(command: ExecCommand): Promise<{ status: number; said: string[] }> {
  const { status, said } = await applyCommand(command, box.root, { quiet: true });
  return { status, said: [...said] };
}

describe.runIf(canRun)('a command with statuses explained in words: apply and the script agree', () => {
  const explaining = (status: number): ExecCommand => ({
    kind: 'exec',
    argv: ['sh', '-c', `exit ${status}`],
    explains: [
      { status: 9, message: "the server holds no file at /it's here" },
      { status: 3, message: 'the bucket $HOME does not exist' },
    ],
  });

  it.each([
    ['succeeds: says nothing', 0, undefined],
    [
      'fails with the first explained status: says why, fails with it',
      9,
      "the server holds no file at /it's here",
    ],
    ['fails with the second explained status: says why, fails with it', 3, 'the bucket $HOME does not exist'],
    ['fails otherwise: says nothing, fails with that status', 4, undefined],
  ])('%s', async (_, status, meaning) => {
    const command = explaining(status);
    const script = saidInScript(command);
    expect(script.status).toBe(status);
    expect(script.stderr).toBe(
      `${meaning === undefined ? '' : `polyarchiv:   ${meaning}\n`}${status === 0 ? '' : `trap ${status}\n`}`,
    );
    const apply = await saidInApply(command);
    expect(apply.status).toBe(status);
    expect(apply.said).toEqual(meaning === undefined ? [] : [`  ${meaning}`]);
  });

  it('says why before tolerating another status', async () => {
    const command: ExecCommand = { ...explaining(5), alsoSucceedsOn: 5 };
    expect(saidInScript(command)).toEqual({ status: 0, stderr: '' });
    expect((await saidInApply(command)).status).toBe(0);
  });
});
