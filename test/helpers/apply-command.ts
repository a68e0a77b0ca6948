import { runCommand } from '../../src/backends/execute/run-unit.js';
import type { Command } from '../../src/graph/command.js';

/** What apply made of one command: the twin tests compare it with what the script did. */
export interface AppliedCommand {
  readonly status: number;
  /** polyarchiv's own lines (`say`), in order. */
  readonly said: readonly string[];
  /** polyarchiv's lines and the tool's error output, in the order they came, as one text. */
  readonly errors: string;
  /** All the tool's output, both streams, in the order it came. */
  readonly output: string;
  /** polyarchiv's lines and all the tool's output, in the order they came. */
  readonly transcript: string;
  /** The last reason the command gave for refusing (`RunContext.explain`), if any. */
  readonly explained?: string;
}

/**
 * Runs one command as `apply` does, outside any unit, in `workDir` (the run's work directory),
 * with no secrets and no way to be interrupted.
 */
export async function applyCommand(
  command: Command,
  workDir: string,
  options: { readonly quiet?: boolean } = {},
): Promise<AppliedCommand> {
  const said: string[] = [];
  let errors = '';
  let output = '';
  let transcript = '';
  let explained: string | undefined;
  const now = new Date();
  const status = await runCommand(
    command,
    {
      showCommands: false,
      quiet: options.quiet === true,
      say: (line) => {
        said.push(line);
        errors += `${line}\n`;
        transcript += `${line}\n`;
      },
      clock: () => now,
      started: now,
      interrupted: () => undefined,
    },
    {
      workDir,
      secrets: new Map(),
      processes: new Set(),
      output: (stream, chunk) => {
        output += chunk.toString();
        transcript += chunk.toString();
        if (stream === 'stderr') errors += chunk.toString();
      },
      explain: (why) => {
        explained = why;
      },
    },
  );
  return { status, said, errors, output, transcript, ...(explained === undefined ? {} : { explained }) };
}
