import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import { runExec } from '../../src/backends/execute/run-exec.js';
import type { ExecCommand } from '../../src/graph/command.js';
import { makeSandbox } from '../helpers/sandbox.js';

/** The executor's status and what it said, then bash's for the same command line. */
async function both(command: ExecCommand): Promise<{ apply: [number, string]; bash: [number, string] }> {
  const said: Buffer[] = [];
  const status = await runExec(command, {
    workDir: '/nonexistent',
    secrets: new Map(),
    processes: new Set(),
    output: (stream, chunk) => (stream === 'stderr' ? said.push(chunk) : undefined),
  });
  const bash = spawnSync('bash', ['-c', commandLine(command)], { encoding: 'utf8' });
  return { apply: [status, Buffer.concat(said).toString('utf8')], bash: [bash.status ?? -1, bash.stderr] };
}

describe('a file that a command reads or writes and that cannot be opened', () => {
  it('fails the command with status 1, naming the file and why as bash does', async () => {
    const box = makeSandbox('polyarchiv-redirects-');
    try {
      box.write({ 'dir/file': 'x\n' });
      for (const [command, problem] of [
        [{ kind: 'exec', argv: ['cat'], stdin: box.path('missing.tar.gz') }, 'No such file or directory'],
        [{ kind: 'exec', argv: ['cat'], stdin: box.path('dir/file/below') }, 'Not a directory'],
        [{ kind: 'exec', argv: ['echo'], stdout: box.path('dir') }, 'Is a directory'],
      ] as const) {
        const path = 'stdin' in command ? command.stdin : command.stdout;
        const { apply, bash } = await both(command);
        expect(apply).toEqual([1, `polyarchiv: ${path}: ${problem}\n`]);
        expect(bash[0]).toBe(1);
        expect(bash[1]).toContain(`${path}: ${problem}`);
      }
    } finally {
      box.remove();
    }
  });
});
