import type { Command, EnvValue, SecretPart, Word } from '../../graph/command.js';
import { shellWord } from './shell-word.js';

/**
 * The script's words for what its run holds rather than the plan: its work directory, its start,
 * the secrets of its environment, a command's environment before the command.
 */

/** The script's private work directory: `mktemp -d` at start, removed by the EXIT trap. */
export const WORK_DIR = `"\${polyarchiv_work}"`;

/** The run's start in seconds since the epoch, set once at the script's start. */
export const RUN_STARTED_SECONDS = `"\${polyarchiv_started_seconds}"`;

export function wordText(word: Word): string {
  if (typeof word === 'string') return shellWord(word);
  const prefix = word.prefix === '' ? '' : shellWord(word.prefix);
  if ('workFile' in word) return `${prefix}${WORK_DIR}/${shellWord(word.workFile)}`;
  return `${prefix}${RUN_STARTED_SECONDS}`;
}

/**
 * The lines that obscure a command's passwords for rclone before the line that runs it, each into
 * a variable of the script: printf is bash's own, so the secret reaches `rclone obscure -` on its
 * standard input, never on a command line; an assignment fails with its command substitution, so
 * a failed `rclone obscure` fails the step.
 */
export function obscuringLines(command: Command): readonly string[] {
  if (!('env' in command) || command.env === undefined) return NO_LINES;
  return Object.entries(command.env).flatMap(([name, value]) =>
    'secret' in value && value.obscuredBy !== undefined
      ? [
          `${obscuredVariable(name)}=$(printf '%s' ${secretReference(value.secret)} | ${shellWord(value.obscuredBy)} obscure -)`,
        ]
      : [],
  );
}

/** What most commands are preceded by: one array for all of them, never modified. */
const NO_LINES: readonly string[] = [];

const obscuredVariable = (name: string): string => `polyarchiv_obscured_${name}`;

export function secretReference(name: string): string {
  return `"\${${name}:?}"`;
}

export function secretPartWords(part: SecretPart): string[] {
  if (typeof part === 'string') return ['text', shellWord(part)];
  if ('secret' in part) return ['secret', shellWord(part.escape), secretReference(part.secret)];
  return ['file', shellWord(part.escape), shellWord(part.newline), shellWord(part.fileText)];
}

/** A helper's call after the assignments of its environment, if any. */
export function afterAssignments(env: Readonly<Record<string, EnvValue>> | undefined, call: string): string {
  if (env === undefined) return call;
  const assignments = envAssignments(env);
  return assignments.length === 0 ? call : `${assignments.join(' ')} ${call}`;
}

/** Assignments before a function call reach the commands it runs, and end with it. */
export const envAssignments = (env: Readonly<Record<string, EnvValue>> = {}): string[] =>
  Object.entries(env).map(([name, value]) => `${name}=${envWord(name, value)}`);

function envWord(name: string, value: EnvValue): string {
  if ('secret' in value && value.obscuredBy !== undefined) return `"\${${obscuredVariable(name)}}"`;
  if ('secret' in value) return secretReference(value.secret);
  if ('fileText' in value) return `"$(<${WORK_DIR}/${shellWord(value.fileText)})"`;
  if ('runStarted' in value) return `"\${${name}:-\${polyarchiv_started}}"`;
  if ('workFile' in value) return `${WORK_DIR}/${shellWord(value.workFile)}`;
  return shellWord(value.literal);
}
