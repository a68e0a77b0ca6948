import type { ActionDraft, DumpSpec, ToolRun } from '../../graph/action.js';
import type { EnvValue, Explanation, Word } from '../../graph/command.js';
import type { OptionSpec, OptionValues } from '../../options/schema.js';
import type { BoundCollectPoint, BoundSource } from '../engine.js';

/** Options every dumping source shares: what a suspicious dump is and what it does. */
export const DUMP_CHECK_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'max_shrink_percent',
    type: 'integer',
    range: [0, 100],
    default: '50',
    help: 'A dump smaller than the previous one by more than this share (0-100) is suspicious; so is an empty dump.',
  },
  {
    name: 'on_suspicious_dump',
    type: 'choice',
    choices: ['warn', 'fail'],
    default: 'warn',
    help: 'warn: report a suspicious dump and keep it; fail: report it, keep the previous dump and fail the collect point. A dump whose tool ends it with a line of its own (mysqldump, pg_dump) is refused either way when empty or without that line.',
  },
];

/**
 * The dump is written outside the exported tree (the collect point's work directory, on the same
 * filesystem for the final rename), so that a dump left half-written by a failure is never sent to
 * a backup point nor restored.
 */
export function dumpCheck(
  options: OptionValues,
  output: string,
  cp: BoundCollectPoint,
  completeMark = '',
): DumpSpec {
  const percent = options.integer('max_shrink_percent');
  return {
    output,
    partial: `${cp.layout.workDir}/${encodeURIComponent(output.slice(cp.layout.importDir.length + 1))}.partial`,
    maxShrinkPercent: Math.min(100, Math.max(0, percent)),
    onSuspicious: options.optionalString('on_suspicious_dump') === 'fail' ? 'fail' : 'warn',
    completeMark,
  };
}

/**
 * The first step of a database's restore, before its confirmation and anything it changes: the
 * dump it loads is judged whole (not empty, its tool's last line near its end, when its tool
 * writes one), else refused
 * unless --allow-shrink, so that an empty or cut dump never replaces a database.
 */
export function verifyDump(source: BoundSource, input: string, completeMark: string): ActionDraft {
  return {
    kind: 'verify-dump',
    input,
    completeMark,
    origin: source.origin,
    // Without a mark only emptiness can be judged.
    summary: `check that the dump of source "${source.name}" is ${completeMark === '' ? 'not empty' : 'whole'} before anything is replaced`,
  };
}

/**
 * A tool run, as another local user when `sudo_user` is set. sudo resets the environment, so the
 * variables go through `env` after it (they hold paths and names, never secret values).
 * `explains`: what the tool prints of a failure that an option causes (a wrong password).
 */
export function toolRun(
  argv: readonly Word[],
  env: Readonly<Record<string, EnvValue>>,
  sudoUser: string | undefined,
  explains: readonly Explanation[] = [],
): ToolRun {
  const explained = explains.length === 0 ? {} : { explains };
  if (sudoUser === undefined || sudoUser === '')
    return Object.keys(env).length === 0 ? { argv, ...explained } : { argv, env, ...explained };
  const assignments: Word[] = Object.entries(env).map(([name, value]) => {
    if ('literal' in value) return `${name}=${value.literal}`;
    if ('workFile' in value) return { prefix: `${name}=`, workFile: value.workFile };
    throw new Error(
      `${'secret' in value ? `secret ${value.secret}` : 'a value known only when the run runs'} cannot cross sudo on a command line`,
    );
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
    ...explained,
  };
}
