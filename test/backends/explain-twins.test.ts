import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import type { RcloneTransport } from '../../src/graph/action.js';
import type { ExecCommand } from '../../src/graph/command.js';
import { getFileCommands } from '../../src/graph/transport-commands.js';
import { applyCommand } from '../helpers/apply-command.js';
import { partialFile, useWorkDir } from '../helpers/partials.js';
import { sandboxPerFile } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('bash', 'sh');
const box = sandboxPerFile('polyarchiv-explain-');

/** Lines said on the error output, without the prefix of polyarchiv's own. */
const lines = (text: string): string[] =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.replace(/^polyarchiv: /, ''));

/** The command's line in the script (polyarchiv_explain after it): its status and what it said. */
function inScript(command: ExecCommand): { status: number; said: string[] } {
  const run = spawnSync(
    'bash',
    [
      '-c',
      `set -Euo pipefail; source "$1"; ${useWorkDir('$2')}; ${commandLine(command)}`,
      'bash',
      partialFile('helpers.hbs'),
      // A directory of its own: the script removes its work directory when it ends.
      mkdtempSync(join(box.root, 'work-')),
    ],
    { encoding: 'utf8' },
  );
  return { status: run.status ?? -1, said: lines(run.stderr) };
}

/** The same command run by apply: its status, and its own and the tool's error lines in order. */
async function inApply(command: ExecCommand): Promise<{ status: number; said: string[] }> {
  const { status, errors } = await applyCommand(command, box.root);
  return { status, said: lines(errors) };
}

/** A tool that ends with `status`, and what some of its statuses mean (3 twice: the first counts). */
const exiting = (status: number): ExecCommand => ({
  kind: 'exec',
  argv: ['sh', '-c', `exit ${status}`],
  explains: [
    { status: 3, message: 'nothing was transferred: the file is not on the server' },
    { status: 4, message: "the server's certificate was refused" },
    { status: 3, message: 'a second meaning of 3, never said' },
  ],
});

describe.runIf(canRun)('polyarchiv_explain and apply say the same meaning of a failed status', () => {
  it.each([
    ['succeeds: nothing said', 0, []],
    [
      'fails with a status it explains: its meaning',
      3,
      ['  nothing was transferred: the file is not on the server'],
    ],
    ['fails with another status it explains', 4, ["  the server's certificate was refused"]],
    ['fails with a status it does not explain: nothing said', 5, []],
  ] as [string, number, string[]][])('%s', async (_, status, said) => {
    const command = exiting(status);
    const script = inScript(command);
    const apply = await inApply(command);
    expect(script).toEqual({ status, said });
    expect(apply).toEqual(script);
  });
});

/** A tool that says something on its error output, then ends with `status`, its errors kept until it ends. */
const sayingThenExiting = (status: number): ExecCommand => ({
  ...exiting(status),
  argv: ['sh', '-c', `echo "Failed to lsjson: directory not found" >&2; exit ${status}`],
  errorsUntilEnd: 'explain-errors.errors',
});

describe.runIf(canRun)(
  "polyarchiv_explain_errors and apply show the tool's errors unless they say its status",
  () => {
    it.each([
      ['succeeds: what the tool said is shown', 0, ['Failed to lsjson: directory not found']],
      [
        'fails with a status it explains: its meaning only',
        3,
        ['  nothing was transferred: the file is not on the server'],
      ],
      ['fails otherwise: what the tool said', 5, ['Failed to lsjson: directory not found']],
    ] as [string, number, string[]][])('%s', async (_, status, said) => {
      const script = inScript(sayingThenExiting(status));
      expect(script).toEqual({ status, said });
      expect(await inApply(sayingThenExiting(status))).toEqual(script);
    });

    // A check of a copy on a server: any failure but "not found" is said after rclone's own lines.
    const withOther = (status: number): ExecCommand => ({
      ...sayingThenExiting(status),
      explains: [
        { status: 3, message: 'the backup point holds no copy' },
        { status: 'other', message: 'the copy could not be read (rclone says why above)' },
      ],
    });
    it.each([
      ['succeeds: what the tool said, nothing more', 0, ['Failed to lsjson: directory not found']],
      ['a status said in words of its own: those only', 3, ['  the backup point holds no copy']],
      [
        'any other failure: what the tool said, then the catch-all',
        7,
        ['Failed to lsjson: directory not found', '  the copy could not be read (rclone says why above)'],
      ],
    ] as [string, number, string[]][])('with a catch-all, %s', async (_, status, said) => {
      const script = inScript(withOther(status));
      expect(script).toEqual({ status, said });
      expect(await inApply(withOther(status))).toEqual(script);
    });
  },
);

describe.runIf(canRun)('an explanation of a text the tool printed, in both backends', () => {
  // restic's status is 1 for a wrong password as for every other failure: its words tell.
  const restic = (status: number, printed: string): ExecCommand => ({
    kind: 'exec',
    argv: ['sh', '-c', `echo "Fatal: ${printed}" >&2; exit ${status}`],
    errorsUntilEnd: 'explain-printed.errors',
    explains: [
      { status: 3, message: 'no snapshot' },
      {
        status: 'other',
        printed: 'wrong password or no key found',
        message: "option 'password' (vault.backup:4) is wrong",
      },
      { status: 'other', printed: 'wrong', message: 'a second text that matches, never said' },
      { status: 'other', message: 'the repository could not be read' },
    ],
  });
  it.each([
    [
      'succeeds: what the tool said, nothing more',
      0,
      'wrong password or no key found',
      ['Fatal: wrong password or no key found'],
    ],
    [
      'a status said in words of its own: those only, whatever it printed',
      3,
      'wrong password or no key found',
      ['  no snapshot'],
    ],
    [
      'a failure whose words it names: what the tool said, then the option',
      1,
      'wrong password or no key found',
      ['Fatal: wrong password or no key found', "  option 'password' (vault.backup:4) is wrong"],
    ],
    [
      'any other failure: what the tool said, then the catch-all',
      1,
      'unable to open config file',
      ['Fatal: unable to open config file', '  the repository could not be read'],
    ],
  ] as [string, number, string, string[]][])('%s', async (_, status, printed, said) => {
    const script = inScript(restic(status, printed));
    expect(script).toEqual({ status, said });
    expect(await inApply(restic(status, printed))).toEqual(script);
  });
});

describe.runIf(canRun)('an explanation of any other status, in both backends', () => {
  const withOther = (status: number): ExecCommand => ({
    kind: 'exec',
    argv: ['sh', '-c', `exit ${status}`],
    explains: [
      { status: 67, message: 'no such user' },
      { status: 'other', message: 'cannot ask doveadm' },
    ],
  });
  it.each([
    ['succeeds: nothing said', 0, []],
    ['a status named before it: its own meaning', 67, ['  no such user']],
    ['any other failure: the catch-all', 75, ['  cannot ask doveadm']],
  ] as [string, number, string[]][])('%s', async (_, status, said) => {
    const script = inScript(withOther(status));
    const apply = await inApply(withOther(status));
    expect(script).toEqual({ status, said });
    expect(apply).toEqual(script);
  });
});

/**
 * The script's record of a failed step (the apply twin returns the same message from the step,
 * which test/e2e/unfinished-restore.test.ts compares through `check`): the explanation said of
 * the failing command, and none that a tolerated status said before it.
 */
describe.runIf(canRun)('the failure the script records names the explanation of its command', () => {
  function failureRecorded(lines: string): string {
    const work = mkdtempSync(join(box.root, 'record-'));
    const run = spawnSync(
      'bash',
      [
        '-c',
        `set -Eeuo pipefail; source "$1"; polyarchiv_unit_file=$2/unit; trap 'polyarchiv_on_error "$?"' ERR
        polyarchiv_step 1 1 'a step' 'site.collect:1 [point]'; ${lines}`,
        'bash',
        partialFile('helpers.hbs'),
        work,
      ],
      { encoding: 'utf8' },
    );
    expect(run.status).not.toBe(0);
    return readFileSync(join(work, 'unit.failure'), 'utf8');
  }
  it('a failure explained by what the tool printed: the step and the explanation', () => {
    const printed: ExecCommand = {
      kind: 'exec',
      argv: ['sh', '-c', 'echo "Fatal: wrong password or no key found" >&2; exit 1'],
      errorsUntilEnd: 'record-printed.errors',
      explains: [{ status: 'other', printed: 'wrong password', message: "option 'password' is wrong" }],
    };
    // A work directory of its own: the script removes it when it ends.
    const work = mkdtempSync(join(box.root, 'work-'));
    expect(failureRecorded(`${useWorkDir(`'${work}'`)}; ${commandLine(printed)}`)).toBe(
      "failed with exit code 1: step 1 of 1 at site.collect:1 [point]: option 'password' is wrong",
    );
  });
  it('a failure it explains: the step and the explanation', () => {
    expect(failureRecorded(commandLine(exiting(3)))).toBe(
      'failed with exit code 3: step 1 of 1 at site.collect:1 [point]: nothing was transferred: the file is not on the server',
    );
  });
  it('an explained status tolerated, then a failure it does not explain: the step only', () => {
    const tolerated: ExecCommand = { ...exiting(3), alsoSucceedsOn: 3 };
    expect(failureRecorded(`${commandLine(tolerated)}; ${commandLine(exiting(5))}`)).toBe(
      'failed with exit code 5: step 1 of 1 at site.collect:1 [point]',
    );
  });
});

/**
 * rclone's fetch of a file (a restore's archive from WebDAV, FTP or S3) holds rclone's error lines
 * until it ends, as its other explained commands do: a status it explains is said in
 * polyarchiv's words only, any other shows what rclone said.
 */
describe.runIf(canRun)("an rclone fetch keeps rclone's errors until it ends, in both backends", () => {
  function fetchBy(status: number): ExecCommand {
    const rclone = join(mkdtempSync(join(box.root, 'rclone-')), 'rclone');
    writeFileSync(
      rclone,
      `#!/bin/sh\necho "ERROR : site.tar.gz: Failed to copyto: directory not found" >&2\nexit ${status}\n`,
      { mode: 0o755 },
    );
    const transport: RcloneTransport = {
      kind: 'rclone',
      remote: ':webdav:',
      env: { RCLONE_WEBDAV_URL: { literal: 'http://127.0.0.1:9' } },
      obscured: {},
      shown: 'http://127.0.0.1:9',
    };
    const [fetch] = getFileCommands(
      {
        transport,
        remote: '/backups/site.tar.gz',
        file: join(box.root, 'site.tar.gz'),
        missing: 'no archive there',
      },
      { rclone },
    );
    return fetch as ExecCommand;
  }
  it.each([
    ['a status it explains: its meaning only', 3, ['  no archive there']],
    ['another failure: what rclone said', 1, ['ERROR : site.tar.gz: Failed to copyto: directory not found']],
  ] as [string, number, string[]][])('%s', async (_, status, said) => {
    const script = inScript(fetchBy(status));
    expect(script).toEqual({ status, said });
    expect(await inApply(fetchBy(status))).toEqual(script);
  });
});
