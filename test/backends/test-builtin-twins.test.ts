import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { builtinTest } from '../../src/backends/execute/test-builtin.js';
import type { ExecCommand } from '../../src/graph/command.js';
import { sandboxesPerTest } from '../helpers/sandbox.js';

const FORMS: ((path: string) => string[])[] = [
  (path) => ['test', '-e', path],
  (path) => ['test', '!', '-e', path],
  (path) => ['test', '-d', path, '-o', '!', '-e', path],
];

/** apply answers the checks the plan writes as bash's own test does, without a process. */
describe('test, answered by apply as by the script', () => {
  const sandbox = sandboxesPerTest();

  it.each([
    'file',
    'dir',
    'link-to-dir',
    'link-to-file',
    'broken-link',
    'missing',
    'file/below',
    'dir/missing/below',
    '',
  ])('of %s', (name) => {
    const box = sandbox('polyarchiv-test-builtin-');
    writeFileSync(box.path('file'), 'x');
    mkdirSync(box.path('dir'));
    symlinkSync('dir', box.path('link-to-dir'));
    symlinkSync('file', box.path('link-to-file'));
    symlinkSync('nowhere', box.path('broken-link'));
    const path = name === '' ? '' : box.path(name);
    for (const form of FORMS) {
      const argv = form(path);
      const bash = spawnSync('bash', ['-c', '"$@"', 'bash', ...argv]).status;
      const command: ExecCommand = { kind: 'exec', argv };
      expect({ argv, status: builtinTest(command) }).toEqual({ argv, status: bash });
    }
  });

  it('runs every other command', () => {
    for (const argv of [
      ['test', '-f', '/'],
      ['test', '-e'],
      ['true'],
      ['test', '-d', '/a', '-o', '!', '-e', '/b'],
    ])
      expect(builtinTest({ kind: 'exec', argv })).toBeUndefined();
    expect(builtinTest({ kind: 'exec', argv: ['test', '-e', '/'], stdout: '/tmp/x' })).toBeUndefined();
  });
});
