import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import type { CopyCommand } from '../../src/graph/command.js';
import { applyCommand } from '../helpers/apply-command.js';
import { partialFile } from '../helpers/partials.js';
import { sandboxPerFile } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const box = sandboxPerFile('polyarchiv-copy-failed-');

const UNREADABLE = 'the copy of "site" at /srv/mirror (backup point "bp") could not be read: it\'s "$HOME"';

/**
 * A restore's copy whose tool fails says its words after the tool's lines, and its step's
 * failure records them (polyarchiv_copy's UNREADABLE, and its twin); one
 * its guard refused does not: the guard said why.
 */
function copy(how: 'fails' | 'refused'): CopyCommand {
  const failing = [
    'sh',
    '-c',
    'echo "rsync: send_files failed to open: Permission denied (13)" >&2; exit 23',
  ];
  return {
    kind: 'copy',
    // Measured only for a target that held files: refused when it cannot be.
    incoming: how === 'refused' ? ['sh', '-c', 'exit 2'] : ['true'],
    previous: [],
    copy: failing,
    recorded: how === 'refused' ? { files: 10, bytes: 100 } : { files: 0, bytes: 0 },
    maxShrinkPercent: 50,
    allowShrink: false,
    what: 'the copy of "site"',
    unreadable: UNREADABLE,
  };
}

/** The script's line: its status, its lines, and the failure its step records. */
function inScript(command: CopyCommand): { status: number; said: string[]; recorded: string } {
  const work = mkdtempSync(join(box.root, 'record-'));
  const run = spawnSync(
    'bash',
    [
      '-c',
      `set -Eeuo pipefail; source "$1"; polyarchiv_unit_file=$2/unit; trap 'polyarchiv_on_error "$?"' ERR
      polyarchiv_step 1 1 'a step' 'bp.backup:3 [point]'; ${commandLine(command)}`,
      'bash',
      partialFile('helpers.hbs', 'helpers-copy-stats.hbs', 'helpers-copy.hbs'),
      work,
    ],
    { encoding: 'utf8' },
  );
  const said = run.stderr
    .split('\n')
    .filter((line) => line !== '' && !/step 1 of 1 at|1\/1 a step/.test(line));
  return {
    status: run.status ?? -1,
    said: said.map((line) => line.replace(/^polyarchiv: /, '')),
    recorded: readFileSync(join(work, 'unit.failure'), 'utf8'),
  };
}

async function inApply(command: CopyCommand): Promise<{ status: number; said: string[]; explained: string }> {
  const { status, transcript, explained } = await applyCommand(command, mkdtempSync(join(box.root, 'work-')));
  return { status, said: transcript.split('\n').filter((line) => line !== ''), explained: explained ?? '' };
}

describe.runIf(haveTools('bash', 'sh'))("polyarchiv_copy's unreadable words and its twin", () => {
  it('a copy that fails: the tool, then its words, recorded', async () => {
    const script = inScript(copy('fails'));
    const apply = await inApply(copy('fails'));
    expect(script.status).toBe(23);
    expect(script.said).toEqual([
      'rsync: send_files failed to open: Permission denied (13)',
      `  ${UNREADABLE}`,
    ]);
    expect(script.recorded).toBe(
      `failed with exit code 23: step 1 of 1 at bp.backup:3 [point]: ${UNREADABLE}`,
    );
    expect(apply).toEqual({ status: 23, said: script.said, explained: UNREADABLE });
  });

  // A copy to a server: what its tool printed of a refused login is said in place of UNREADABLE.
  const REFUSED = "the server refused the password of option 'password' (bp.backup:4 [point])";
  const explained = (printed: string): CopyCommand => {
    const failing = ['sh', '-c', `echo 'Number of files: 1'; echo "${printed}" >&2; exit 1`];
    return {
      ...copy('fails'),
      copy: failing,
      explains: [{ status: 'other', printed: '": 530 ', message: REFUSED }],
    };
  };

  it('a copy whose tool printed an explained text: the tool, then those words, recorded', async () => {
    const command = explained('failed to make FTP connection to \\"h:21\\": 530 Authentication failed.');
    const script = inScript(command);
    const apply = await inApply(command);
    expect(script.status).toBe(1);
    expect(script.said).toEqual([
      'failed to make FTP connection to "h:21": 530 Authentication failed.',
      `  ${REFUSED}`,
    ]);
    expect(script.recorded).toBe(`failed with exit code 1: step 1 of 1 at bp.backup:3 [point]: ${REFUSED}`);
    expect(apply).toEqual({ status: 1, said: script.said, explained: REFUSED });
  });

  it('a copy with explanations whose tool printed none of their texts: its unreadable words', async () => {
    const command = explained('ERROR : a: 530 b: Failed to copy: 550 Is a directory.');
    const script = inScript(command);
    const apply = await inApply(command);
    expect(script.said).toEqual(['ERROR : a: 530 b: Failed to copy: 550 Is a directory.', `  ${UNREADABLE}`]);
    expect(apply).toEqual({ status: 1, said: script.said, explained: UNREADABLE });
  });

  it('a copy its guard refused: the guard said why, not these words', async () => {
    const script = inScript(copy('refused'));
    const apply = await inApply(copy('refused'));
    expect(script.status).toBe(1);
    expect(script.said.join('\n')).not.toContain(UNREADABLE);
    expect(apply.status).toBe(1);
    expect(apply.said.join('\n')).not.toContain(UNREADABLE);
    expect(apply.explained).toBe('');
  });
});
