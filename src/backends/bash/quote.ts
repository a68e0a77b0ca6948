import { quote } from 'shell-quote';
import { assertNever } from '../../graph/action.js';
import type { Command, EnvValue } from '../../graph/command.js';

/** One shell word that bash reads back as exactly `text`, in the most readable form. */
export function shellWord(text: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(text) && !text.includes('=')) return text;
  if (/^[A-Za-z0-9_@%+:,./-]+=[A-Za-z0-9_@%+=:,./-]*$/.test(text) && text.startsWith('-')) return text;
  // Single quotes around $ or ` read as a forgotten expansion (shellcheck SC2016): escape in double quotes.
  if (/[$`]/.test(text)) return `"${text.replace(/[\\"$`]/g, '\\$&')}"`;
  if (!text.includes("'")) return `'${text}'`;
  return quote([text]);
}

/**
 * The shell line of a Command. The model does all quoting here; templates only lay lines out.
 * Secrets become `${POLYARCHIV_SECRET_...:?}` references, so the script never holds their value.
 */
export function commandLine(command: Command): string {
  switch (command.kind) {
    case 'exec': {
      const env = Object.entries(command.env ?? {}).map(([name, value]) => `${name}=${envWord(value)}`);
      const line = [...env, ...command.argv.map(shellWord)].join(' ');
      return command.cwd === undefined ? line : `(cd -- ${shellWord(command.cwd)} && ${line})`;
    }
    case 'dir-recover':
      return `polyarchiv_dir_recover ${[command.target, command.previous].map(shellWord).join(' ')}`;
    case 'dir-swap':
      return `polyarchiv_dir_swap ${[command.staging, command.target, command.previous].map(shellWord).join(' ')}`;
    default:
      return assertNever(command);
  }
}

function envWord(value: EnvValue): string {
  return 'secret' in value ? `"\${${value.secret}:?}"` : shellWord(value.literal);
}

/** A bash function name from free text (point names come from file names). */
export function functionName(prefix: string, text: string): string {
  return `${prefix}_${text.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}`;
}

/** Comment lines never let a newline out of the comment. */
export function commentText(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
