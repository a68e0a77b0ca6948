import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { ConfirmCommand } from '../../graph/command.js';

/** How the executor answers polyarchiv_confirm's question: --yes, or a question on the terminal. */
export interface Confirmation {
  readonly yes: boolean;
  readonly ask: (question: string) => Promise<boolean>;
}

/**
 * Twin of polyarchiv_confirm (templates/partials/helpers-confirm.hbs): says what the next steps
 * replace, lists the changes with the preview's output on standard error, then goes on with --yes
 * or asks. Resolves with the helper's exit code.
 */
export async function confirmStep(
  command: ConfirmCommand,
  confirmation: Confirmation,
  say: (line: string) => void,
): Promise<number> {
  say(`  ${command.warning}`);
  if (command.preview.length > 0) {
    const code = await preview(command.preview.map(String));
    if (code !== 0) return code;
  }
  if (confirmation.yes) return 0;
  if (await confirmation.ask('polyarchiv: go on? y/[N] ')) return 0;
  say('  not confirmed: nothing was replaced');
  return 1;
}

/** The dry run, its listing sent to standard error like the script's `>&2`. */
function preview(argv: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const [tool, ...args] = argv as [string, ...string[]];
    const child = spawn(tool, args, { stdio: ['ignore', process.stderr, 'inherit'] });
    child.on('error', (error: NodeJS.ErrnoException) => {
      process.stderr.write(
        `polyarchiv: ${tool}: ${error.code === 'ENOENT' ? 'command not found' : error.message}\n`,
      );
      resolve(error.code === 'ENOENT' ? 127 : 126);
    });
    child.on('close', (code, signal) =>
      resolve(signal !== null ? 128 + (constants.signals[signal] ?? 0) : (code ?? 1)),
    );
  });
}
