import type { ExecCommand, NewestFileCommand } from '../../graph/command.js';
import { HELPERS } from '../../graph/helper-contracts.js';
import { HELPER_MESSAGES } from '../helper-messages.js';
import { capture } from './capture.js';
import { keptErrorsSaid, type RunContext, runExec, runKeepingErrors, sayWhy } from './run-exec.js';

/**
 * Twin of polyarchiv_newest_file (templates/partials/helpers-newest-file.hbs): lists the files
 * or directories, takes the newest one `pattern` matches (not after `notAfter`), runs `get` with
 * its path (said after `shownPrefix`), or says `none` and fails; a listing or a fetch that fails
 * is said in the words of the first explanation whose text it printed, else in `unlisted`'s or
 * `unreadable`'s, when it has them.
 */
export async function newestFile(
  command: NewestFileCommand,
  ctx: RunContext,
  say: (line: string) => void,
  note: (line: string) => void,
): Promise<number> {
  const env = command.env ?? {};
  const explains = command.explains ?? [];
  // With explanations, the error output is kept until the tool ends, then shown: the words it
  // printed tell which option is wrong.
  const kept = explains.length > 0;
  const listed = await capture(command.list, ctx, kept ? 'both' : 'stdout', env);
  keptErrorsSaid(ctx, say, listed.status, kept ? listed.stderr : '', explains, command.unlisted);
  if (listed.status !== 0) return listed.status;
  const chosen = newestOf(listed.stdout, command);
  if (chosen === undefined) {
    sayWhy(say, ctx, command.none);
    return HELPERS.newestFile.statuses.none;
  }
  const found = `${command.prefix}${chosen}`;
  note(HELPER_MESSAGES.newestFound(`${command.shownPrefix}${chosen}`));
  const get: ExecCommand = { kind: 'exec', argv: [...command.get, found, ...command.after], env };
  const { status, errors } = kept
    ? await runKeepingErrors(get, ctx)
    : { status: await runExec(get, ctx), errors: Buffer.alloc(0) };
  keptErrorsSaid(ctx, say, status, errors, explains, command.unreadable);
  return status;
}

/** The newest listed path, as the helper chooses it: by the joined groups, then by the path itself. */
export function newestOf(
  listing: string,
  command: Pick<NewestFileCommand, 'pattern' | 'pathGroup' | 'order' | 'notAfter'>,
): string | undefined {
  const pattern = new RegExp(command.pattern);
  let chosen: string | undefined;
  let newest = '';
  for (const line of listing.split('\n')) {
    const match = pattern.exec(line);
    if (match === null) continue;
    const key = command.order.map((group) => match[group] ?? '').join('');
    if (command.notAfter !== '' && key > command.notAfter) continue;
    const path = match[command.pathGroup] ?? line;
    if (chosen === undefined || key > newest || (key === newest && path > chosen)) {
      newest = key;
      chosen = path;
    }
  }
  return chosen;
}
