import type { GitResetAtCommand } from '../../graph/command.js';
import { HELPERS } from '../../graph/helper-contracts.js';
import { HELPER_MESSAGES } from '../helper-messages.js';
import { capture } from './capture.js';
import { type RunContext, runExec, sayWhy } from './run-exec.js';

/**
 * Twin of polyarchiv_git_reset_at (templates/partials/helpers-git-reset-at.hbs): `choose` prints
 * the commit made at or before the time as `HASH<TAB>TIME`, or nothing; `reset` runs with the
 * hash as its last word, or `none` is said and the command fails.
 */
export async function gitResetAt(
  command: GitResetAtCommand,
  ctx: RunContext,
  say: (line: string) => void,
  note: (line: string) => void,
): Promise<number> {
  const chosen = await capture(command.choose, ctx, 'stdout');
  if (chosen.status !== 0) return chosen.status;
  // As bash's $(...) reads it: trailing newlines dropped, the first line split at its first tab.
  const line = chosen.stdout.replace(/\n+$/, '');
  if (line === '') {
    sayWhy(say, ctx, command.none);
    return HELPERS.gitResetAt.statuses.none;
  }
  const [commit = '', made = ''] = line.split('\n', 1)[0]?.split('\t') ?? [];
  note(HELPER_MESSAGES.commitChosen(commit.slice(0, 8), made));
  return runExec({ kind: 'exec', argv: [...command.reset, commit] }, ctx);
}
