import { UsageError } from '../diag/diagnostic.js';
import { hideUrlPasswords } from '../diag/hide-url-passwords.js';
import { watchOutputs } from './closed-output.js';
import { EXIT } from './exit-codes.js';
import { letGoOfHungUpTerminals } from './hung-up-terminal.js';
import { normalizeArgv } from './original-argv.js';
import { longOptions, program } from './program.js';

async function main(): Promise<void> {
  let pending: Promise<number> | number = EXIT.ok;
  const root = program((code) => {
    pending = code;
  });
  const { args, command } = normalizeArgv(process.argv.slice(2), { knownLongOptions: longOptions(root) });
  const asksHelp = args.some((a) => ['-h', '--help', '-V', '--version'].includes(a));
  if (command === undefined && !asksHelp) {
    // As the original's argparse: a command is required; the usage goes to standard error.
    if (args.length > 0) process.stderr.write('error: a command is required\n');
    process.stderr.write(root.helpInformation());
    process.exitCode = EXIT.usage;
    return;
  }
  try {
    root.parse(args, { from: 'user' });
    process.exitCode = await pending;
  } catch (error) {
    process.exitCode = handle(error);
  } finally {
    letGoOfHungUpTerminals();
  }
}

function handle(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`error: ${hideUrlPasswords(error.message)}\n`);
    return EXIT.usage;
  }
  const code = (error as { code?: string }).code;
  if (typeof code === 'string' && code.startsWith('commander.')) {
    const exit = (error as { exitCode?: number }).exitCode ?? EXIT.usage;
    return code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help'
      ? EXIT.ok
      : exit === 0
        ? 0
        : EXIT.usage;
  }
  return internalError(error);
}

/** A defect, not a user mistake: one line, and the trace only when asked for. */
function internalError(error: unknown): number {
  const verbose = process.argv.includes('-v') || process.argv.includes('--verbose');
  const text =
    error instanceof Error ? (verbose ? (error.stack ?? error.message) : error.message) : String(error);
  const hint = verbose ? '' : ' (run again with -v for the trace)';
  process.stderr.write(
    `polyarchiv: internal error: ${hideUrlPasswords(verbose ? text : (text.split('\n')[0] ?? ''))}${hint}\n`,
  );
  return EXIT.internal;
}

for (const event of ['uncaughtException', 'unhandledRejection'] as const)
  process.on(event, (error: unknown) => {
    const code = internalError(error);
    letGoOfHungUpTerminals();
    process.exit(code);
  });
watchOutputs();
void main();
