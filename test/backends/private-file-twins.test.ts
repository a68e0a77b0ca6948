import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import { writePrivateFile } from '../../src/backends/execute/run-exec.js';
import type { PrivateFileCommand } from '../../src/graph/command.js';
import { partialFile } from '../helpers/partials.js';
import { sandboxesPerTest } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const HELPERS = partialFile('helpers.hbs');
const canRun = haveTools('bash');

const newSandbox = sandboxesPerTest();

/** The file the command writes, through polyarchiv_private_file and through writePrivateFile. */
function both(
  command: PrivateFileCommand,
  workFiles: Record<string, string>,
  env: Record<string, string> = {},
) {
  const written: string[] = [];
  for (const backend of ['script', 'executor']) {
    const box = newSandbox('polyarchiv-private-file-');
    for (const [name, text] of Object.entries(workFiles)) writeFileSync(join(box.root, name), text);
    if (backend === 'script') {
      const run = spawnSync(
        'bash',
        [
          '-c',
          `set -Eeuo pipefail; source "$1"; polyarchiv_cleanup; trap - EXIT; polyarchiv_work=$2; ${commandLine(command)}`,
          'bash',
          HELPERS,
          box.root,
        ],
        { encoding: 'utf8', env: { ...process.env, ...env } },
      );
      expect(run.status, run.stderr).toBe(0);
    } else {
      const saved = { ...process.env };
      Object.assign(process.env, env);
      try {
        writePrivateFile(command, { workDir: box.root, secrets: new Map(), processes: new Set() });
      } finally {
        for (const name of Object.keys(env)) if (saved[name] === undefined) delete process.env[name];
      }
    }
    written.push(readFileSync(join(box.root, command.workFile), 'utf8'));
  }
  return { script: written[0], executor: written[1] };
}

describe.runIf(canRun)('polyarchiv_private_file and writePrivateFile', () => {
  it('write the text of a work file escaped, its line breaks replaced, its final newlines dropped', () => {
    const log = 'first "quoted" line\r\nback\\slash & $HOME\rlone CR\nlast\n\n';
    const command: PrivateFileCommand = {
      kind: 'private-file',
      workFile: 'out.conf',
      parts: [
        'data = "',
        { fileText: 'log', escape: '\\"', newline: '\\n' },
        '"\nraw:\n',
        { fileText: 'log', escape: '', newline: '\n' },
        '\nsecret = "',
        { secret: 'POLYARCHIV_SECRET_TWIN', escape: '\\"' },
        '"\n',
      ],
    };
    const { script, executor } = both(command, { log }, { POLYARCHIV_SECRET_TWIN: 'p\\a"ss' });
    expect(script).toBe(executor);
    expect(executor).toBe(
      'data = "first \\"quoted\\" line\\nback\\\\slash & $HOME\\nlone CR\\nlast"\n' +
        'raw:\nfirst "quoted" line\nback\\slash & $HOME\nlone CR\nlast\n' +
        'secret = "p\\\\a\\"ss"\n',
    );
  });

  it('write an empty work file as nothing', () => {
    const command: PrivateFileCommand = {
      kind: 'private-file',
      workFile: 'out.conf',
      parts: ['[', { fileText: 'empty', escape: '"', newline: ' ' }, ']'],
    };
    const { script, executor } = both(command, { empty: '' });
    expect(script).toBe('[]');
    expect(executor).toBe('[]');
  });
});
