/**
 * The original's command lines, read as it read them (Python's argparse): the command may come
 * after its options (`polyarchiv -C /etc/polyarchiv --force backup`), and a long option may be
 * shortened to any unambiguous prefix (`--only-collect site`). Commander reads neither, so the
 * arguments are put in its order first: the command, then everything else unchanged.
 */

/** The original's five commands, and its long options (argparse accepted any unique prefix). */
export const ORIGINAL_COMMANDS = ['backup', 'restore', 'config', 'plugins', 'check'] as const;

export const ORIGINAL_LONG_OPTIONS = [
  '--help',
  '--verbose',
  '--quiet',
  '--verbosity',
  '--log-file',
  '--force',
  '--nrpe',
  '--dry',
  '--show-commands',
  '--confirm-commands',
  '--only-collect-points',
  '--only-backup-points',
  '--skip-collect',
  '--skip-backup',
  '--config',
] as const;

/** Options that read the next argument as their value. */
const VALUE_OPTIONS = new Set([
  '--config',
  '--now',
  '--set',
  '--verbosity',
  '--log-file',
  '--format',
  '--out',
  '--from',
  '--at',
  '--sample',
]);
/** Options that read every following argument up to the next option, as argparse's nargs='+'. */
const LIST_OPTIONS = new Set(['--only-collect-points', '--only-backup-points']);
const VALUE_SHORT_OPTIONS = new Set(['C']);

export interface ArgvShape {
  /** Every long option polyarchiv knows, exact spellings win over prefixes. */
  readonly knownLongOptions: ReadonlySet<string>;
}

/** `--only-coll=x` -> `--only-collect-points=x` when the prefix names one original option only. */
function expandPrefix(arg: string, shape: ArgvShape): string {
  const eq = arg.indexOf('=');
  const name = eq < 0 ? arg : arg.slice(0, eq);
  if (shape.knownLongOptions.has(name)) return arg;
  const matches = ORIGINAL_LONG_OPTIONS.filter((o) => o.startsWith(name));
  if (matches.length !== 1) return arg;
  return `${matches[0]}${eq < 0 ? '' : arg.slice(eq)}`;
}

/** How many of the arguments after `args[index]` the option at `index` consumes. */
function valuesTaken(args: readonly string[], index: number): number {
  const arg = args[index] as string;
  if (arg.startsWith('--')) {
    if (arg.includes('=')) return 0;
    if (VALUE_OPTIONS.has(arg)) return 1;
    if (LIST_OPTIONS.has(arg)) {
      let n = 0;
      while (index + 1 + n < args.length && !(args[index + 1 + n] as string).startsWith('-')) n++;
      return n;
    }
    return 0;
  }
  // A cluster of short flags (-nqD); a value option takes the rest of the cluster, or the next word.
  for (let i = 1; i < arg.length; i++) {
    if (VALUE_SHORT_OPTIONS.has(arg[i] as string)) return i === arg.length - 1 ? 1 : 0;
  }
  return 0;
}

export interface NormalizedArgv {
  readonly args: readonly string[];
  /** The command word, when there is one. */
  readonly command?: string;
}

/** Puts the command first and expands the original's option prefixes; the rest is unchanged. */
export function normalizeArgv(argv: readonly string[], shape: ArgvShape): NormalizedArgv {
  const args = argv.map((a) => (a.startsWith('--') && a.length > 2 ? expandPrefix(a, shape) : a));
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      // argparse reads what follows `--` as positional: the first one is the command.
      const command = args[i + 1];
      if (command === undefined) return { args };
      return { args: [command, ...args.slice(0, i), '--', ...args.slice(i + 2)], command };
    }
    if (arg.startsWith('-') && arg !== '-') {
      i += valuesTaken(args, i);
      continue;
    }
    return { args: [arg, ...args.slice(0, i), ...args.slice(i + 1)], command: arg };
  }
  return { args };
}
