import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import type { Command } from '../../src/graph/command.js';
import { applyCommand } from '../helpers/apply-command.js';
import { partialFile } from '../helpers/partials.js';
import { sandboxPerFile } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const box = sandboxPerFile('polyarchiv-none-recorded-');

/**
 * A helper that finds no copy at or before --at (no commit, revision, snapshot or file that old)
 * says so and fails its step; the step's failure carries those words, as it carries any other
 * explained failure: the script's record of the failure, and what apply's step is told.
 */
const NONE: readonly [string, string, Command][] = [
  [
    'helpers-git-reset-at.hbs',
    'no commit of branch backups of the remote was made at or before 2000-01-01T00:00:00Z: nothing was restored',
    { kind: 'git-reset-at', choose: ['true'], reset: ['false'], none: '' },
  ],
  [
    'helpers-newest-file.hbs',
    'backup point "bp" holds no copy of collect point "site": no archive named as /srv/site-*.tar.gz',
    {
      kind: 'newest-file',
      pattern: '^(/srv/site-.+)$',
      pathGroup: 1,
      order: [1],
      notAfter: '',
      none: '',
      list: ['true'],
      get: ['false'],
      prefix: '',
      shownPrefix: '',
      after: [],
    },
  ],
  [
    'helpers-svn-update-at.hbs',
    'no run of the repository started at or before 2000-01-01T00:00:00Z: nothing was restored',
    {
      kind: 'svn-update-at',
      at: '2000-01-01T00:00:00.999999Z',
      notAfter: 946684800,
      property: 'polyarchiv:started',
      list: ['true'],
      baseline: ['echo', '0'],
      update: ['false'],
      target: '/nowhere@',
      env: {},
      none: '',
    },
  ],
  [
    'helpers-restic-restore.hbs',
    'the repository holds no snapshot of "site" taken at or before 2000-01-01T00:00:00Z',
    {
      kind: 'restic-restore-at',
      explains: [],
      notAfter: 946684800,
      list: ['echo', '[]'],
      parse: ['true'],
      files: ['true'],
      every: ['false'],
      restore: ['false'],
      env: {},
      none: '',
      unlisted: 'never said',
      unreadable: 'never said',
    },
  ],
];

/** The failure the script records of the step that runs `command`. */
function recordedByScript(partial: string, command: Command): string {
  const work = mkdtempSync(join(box.root, 'record-'));
  const run = spawnSync(
    'bash',
    [
      '-c',
      `set -Eeuo pipefail; source "$1"; polyarchiv_unit_file=$2/unit; trap 'polyarchiv_on_error "$?"' ERR
      polyarchiv_step 1 1 'a step' 'bp.backup:3 [point]'; ${commandLine(command)}`,
      'bash',
      partialFile('helpers.hbs', partial),
      work,
    ],
    { encoding: 'utf8' },
  );
  expect(run.status, run.stderr).not.toBe(0);
  return readFileSync(join(work, 'unit.failure'), 'utf8');
}

/** What apply's step is told of the same command's failure. */
async function explainedToApply(command: Command): Promise<{ status: number; explained: string }> {
  const { status, explained } = await applyCommand(command, box.root, { quiet: true });
  return { status, explained: explained ?? '' };
}

describe.runIf(haveTools('bash'))('a helper that finds no copy that old: its words are the failure', () => {
  it.each(NONE)('%s', async (partial, none, template) => {
    const command = { ...template, none } as Command;
    const apply = await explainedToApply(command);
    expect(apply.status).not.toBe(0);
    expect(apply.explained).toBe(none);
    expect(recordedByScript(partial, command)).toBe(
      `failed with exit code ${apply.status}: step 1 of 1 at bp.backup:3 [point]: ${none}`,
    );
  });
});
