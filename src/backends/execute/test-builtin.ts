import { type Stats, statSync } from 'node:fs';
import type { ExecCommand } from '../../graph/command.js';

/**
 * The answer to the `test` forms the plan writes of a path (is it there, is it a directory, or
 * not there), given here as bash gives it with its builtin, without a process: apply would start
 * one for each, where the script starts none (a collect unit starts with such a check). Any other
 * command, or `test` with other words, gets undefined and is run.
 */
export function builtinTest(command: ExecCommand): number | undefined {
  const argv = command.argv;
  if (argv[0] !== 'test' || command.pipeline !== undefined || command.stdout !== undefined) return undefined;
  if (!argv.every((word): word is string => typeof word === 'string')) return undefined;
  const [, first, second, third, fourth, fifth, sixth, ...more] = argv;
  if (more.length > 0) return undefined;
  const answer = (yes: boolean) => (yes ? 0 : 1);
  if (argv.length === 3 && first === '-e') return answer(stat(second) !== undefined);
  if (argv.length === 4 && first === '!' && second === '-e') return answer(stat(third) === undefined);
  if (
    argv.length === 7 &&
    first === '-d' &&
    third === '-o' &&
    fourth === '!' &&
    fifth === '-e' &&
    sixth === second
  ) {
    const found = stat(second);
    return answer(found === undefined || found.isDirectory());
  }
  return undefined;
}

/** As test's -e and -d see a path: through symbolic links, and not there when it cannot be looked at. */
function stat(path: string | undefined): Stats | undefined {
  if (path === undefined || path === '') return undefined;
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}
