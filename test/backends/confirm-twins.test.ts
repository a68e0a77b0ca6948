import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { confirmStep } from '../../src/backends/execute/confirm.js';
import type { ConfirmCommand } from '../../src/graph/command.js';
import { partialFile } from '../helpers/partials.js';
import { haveTools } from '../helpers/tools.js';

const partial = partialFile;
const canRun = haveTools('bash');

/** polyarchiv_confirm as a unit step runs it, with --yes or an answer typed on its standard input. */
function script(command: ConfirmCommand, yes: boolean, answer: string, quiet = false) {
  const run = spawnSync(
    'bash',
    [
      '-c',
      `set -Eeuo pipefail; shopt -s inherit_errexit; source "$1"; source "$2"; shift 2; polyarchiv_yes=${yes ? 1 : 0}; polyarchiv_quiet=${quiet}; set +e; (set -e; polyarchiv_confirm "$@"); echo "rc=$?"`,
      'bash',
      partial('helpers.hbs'),
      partial('helpers-confirm.hbs'),
      command.warning,
      // No explanations: the count of their words.
      '0',
      ...(command.preview as string[]),
    ],
    { encoding: 'utf8', input: answer },
  );
  // Without a terminal, nothing ends the question's line: every message starts with `polyarchiv: `.
  const said = run.stderr
    .split(/polyarchiv: /)
    .map((text) => text.split('\n')[0] as string)
    .filter((text) => text.startsWith('  '));
  const listed = run.stderr
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('polyarchiv: '))
    .join('\n');
  return { rc: Number(/rc=(\d+)/.exec(run.stdout)?.[1] ?? -1), said, listed };
}

async function executor(command: ConfirmCommand, yes: boolean, answer: string, quiet = false) {
  const said: string[] = [];
  const chunks: Buffer[] = [];
  const workDir = mkdtempSync(join(tmpdir(), 'polyarchiv-confirm-twin-'));
  try {
    const rc = await confirmStep(
      command,
      { yes, ask: async () => answer === 'y\n' },
      (line) => said.push(line),
      // The unit's kept output, as when units run side by side: the listing joins it, on stderr.
      {
        workDir,
        secrets: new Map(),
        processes: new Set(),
        output: (stream, chunk) => chunks.push(stream === 'stderr' ? chunk : Buffer.from('')),
      },
      quiet,
    );
    const listed = Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean).join('\n');
    return { rc, said, listed };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** The listing's lines sorted: the preview's two streams reach the script's stderr by two ways. */
const inAnyOrder = <T extends { listed: string }>(outcome: T): T => ({
  ...outcome,
  listed: outcome.listed.split('\n').sort().join('\n'),
});

describe.runIf(canRun)('polyarchiv_confirm and confirmStep behave alike', () => {
  const cases: [string, ConfirmCommand, boolean, string, number][] = [
    ['go on with --yes', { kind: 'confirm', warning: 'replaces /srv', preview: ['true'] }, true, '', 0],
    [
      'list both streams of the preview, then ask',
      {
        kind: 'confirm',
        warning: 'replaces /srv',
        preview: ['sh', '-c', 'echo "*deleting   late.txt"; echo ">f+++++++++ new.txt"'],
      },
      false,
      'y\n',
      0,
    ],
    [
      'go on when the answer is y',
      { kind: 'confirm', warning: 'replaces /srv', preview: [] },
      false,
      'y\n',
      0,
    ],
    [
      'stop when the answer is n',
      { kind: 'confirm', warning: 'replaces /srv', preview: [] },
      false,
      'n\n',
      1,
    ],
    ['stop at the end of input', { kind: 'confirm', warning: 'replaces /srv', preview: [] }, false, '', 1],
    [
      'list the first 200 changes and count the others, deletions apart, with what the preview says on stderr',
      {
        kind: 'confirm',
        warning: 'replaces /srv',
        preview: [
          'sh',
          '-c',
          // 203 changes, two deletions past the first 200, the last line without its newline.
          'i=0; while [ $i -lt 200 ]; do echo ">f+++++++++ f$i"; i=$((i+1)); done; echo "*deleting   a"; echo "rsync: warning" >&2; echo ">f.st...... b"; printf "*deleting   c"',
        ],
      },
      true,
      '',
      0,
    ],
    [
      'stop when the preview fails',
      { kind: 'confirm', warning: 'x', preview: ['sh', '-c', 'exit 23'] },
      true,
      '',
      23,
    ],
  ];
  it.each(cases)('%s', async (_, command, yes, answer, rc) => {
    const bash = script(command, yes, answer);
    const ts = await executor(command, yes, answer);
    expect(inAnyOrder(ts)).toEqual(inAnyOrder(bash));
    expect(bash.rc).toBe(rc);
    expect(bash.said[0]).toBe(`  ${command.warning}`);
    if (rc === 1) expect(bash.said).toContain('  not confirmed: nothing was replaced');
    if (String(command.preview[2]).includes('late.txt') && rc === 0)
      expect(bash.listed).toMatch(/^\*deleting +late\.txt\n>f/);
  });

  it('lists at most 200 changes: the others are counted, deletions apart', async () => {
    const command = cases[5]?.[1] as ConfirmCommand;
    const bash = script(command, true, '');
    expect(bash.said).toEqual(['  replaces /srv', '  ... and 3 more not listed (deletions among them: 2)']);
    const listed = bash.listed.split('\n');
    expect(listed.filter((line) => line.startsWith('>f+++++++++ '))).toHaveLength(200);
    expect(listed).toContain('rsync: warning');
    expect(listed.some((line) => line.includes('deleting'))).toBe(false);
    expect(inAnyOrder(await executor(command, true, ''))).toEqual(inAnyOrder(bash));
  });

  it('prints neither the warning nor the list under -q with --yes, but what the preview says on stderr', async () => {
    const command = cases[5]?.[1] as ConfirmCommand;
    const bash = script(command, true, '', true);
    expect(bash).toEqual({ rc: 0, said: [], listed: 'rsync: warning' });
    expect(await executor(command, true, '', true)).toEqual(bash);
  });

  it('still shows the list under -q when it asks', async () => {
    const command = cases[1]?.[1] as ConfirmCommand;
    const bash = script(command, false, 'y\n', true);
    expect(bash.rc).toBe(0);
    expect(bash.listed).toMatch(/late\.txt/);
    expect(inAnyOrder(await executor(command, false, 'y\n', true))).toEqual(inAnyOrder(bash));
  });

  it('fails under -q with --yes when the preview fails', async () => {
    const command = cases[6]?.[1] as ConfirmCommand;
    expect(script(command, true, '', true).rc).toBe(23);
    expect((await executor(command, true, '', true)).rc).toBe(23);
  });
});
