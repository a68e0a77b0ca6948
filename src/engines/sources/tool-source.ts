import type { OptionSpec, OptionValues } from '../../config/schema.js';
import type { DumpSpec, ToolRun } from '../../graph/action.js';
import type { EnvValue, Word } from '../../graph/command.js';

/** Options every dumping source shares: what a suspicious dump is and what it does. */
export const DUMP_CHECK_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'max_shrink_percent',
    type: 'integer',
    default: '50',
    help: 'A dump smaller than the previous one by more than this share (0-100) is suspicious; so is an empty dump.',
  },
  {
    name: 'on_suspicious_dump',
    type: 'choice',
    choices: ['warn', 'fail'],
    default: 'warn',
    help: 'warn: report a suspicious dump and keep it; fail: report it, keep the previous dump and fail the collect point.',
  },
];

export function dumpCheck(options: OptionValues, output: string): DumpSpec {
  const percent = options.integer('max_shrink_percent');
  return {
    output,
    maxShrinkPercent: Math.min(100, Math.max(0, percent)),
    onSuspicious: options.optionalString('on_suspicious_dump') === 'fail' ? 'fail' : 'warn',
  };
}

/**
 * A tool run, as another local user when `sudo_user` is set. sudo resets the environment, so the
 * variables go through `env` after it (they hold paths and names, never secret values).
 */
export function toolRun(
  argv: readonly Word[],
  env: Readonly<Record<string, EnvValue>>,
  sudoUser: string | undefined,
): ToolRun {
  if (sudoUser === undefined || sudoUser === '')
    return Object.keys(env).length === 0 ? { argv } : { argv, env };
  const assignments: Word[] = Object.entries(env).map(([name, value]) => {
    if ('literal' in value) return `${name}=${value.literal}`;
    if ('workFile' in value) return { prefix: `${name}=`, workFile: value.workFile };
    throw new Error(`secret ${value.secret} cannot cross sudo on a command line`);
  });
  return {
    argv: [
      'sudo',
      '-n',
      '-u',
      sudoUser,
      '--',
      ...(assignments.length > 0 ? ['env', ...assignments] : []),
      ...argv,
    ],
  };
}
