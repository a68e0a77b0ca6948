import type { SvnUpdateAtCommand } from '../../graph/helper-commands.js';
import { HELPERS } from '../../graph/helper-contracts.js';
import { HELPER_MESSAGES } from '../helper-messages.js';
import { capture } from './capture.js';
import { type RunContext, runExec, sayWhy } from './run-exec.js';

/**
 * Twin of polyarchiv_svn_update_at (templates/partials/helpers-svn-update-at.hbs): the revision
 * of the last run that started by `notAfter` among those `list` prints, else the one `baseline`
 * prints (0: `none` is said and the command fails); then `update` to it. A failed svn command is
 * said in `unreadable`'s words, when it has them.
 */
export async function svnUpdateAt(
  command: SvnUpdateAtCommand,
  ctx: RunContext,
  say: (line: string) => void,
  note: (line: string) => void,
): Promise<number> {
  const { env, input } = command;
  const failed = (status: number): number => {
    sayWhy(say, ctx, command.unreadable);
    return status;
  };
  const listed = await capture(command.list, ctx, 'stdout', env, input);
  if (listed.status !== 0) return failed(listed.status);
  let revision = chosenRevision(listed.stdout, command);
  if (revision === '') {
    const baseline = await capture(command.baseline, ctx, 'stdout', env, input);
    if (baseline.status !== 0) return failed(baseline.status);
    revision = baseline.stdout.replace(/\s/g, '');
    if (revision === '0') {
      sayWhy(say, ctx, command.none);
      return HELPERS.svnUpdateAt.statuses.none;
    }
  }
  note(HELPER_MESSAGES.revisionChosen(revision));
  const updated = await runExec(
    {
      kind: 'exec',
      argv: [...command.update, `--revision=${revision}`, '--', command.target],
      env,
      ...(input === undefined ? {} : { stdin: input }),
    },
    ctx,
  );
  return updated === 0 ? 0 : failed(updated);
}

/**
 * What the helper's awk reads in `svn log --xml`, line by line and by the same rules: each entry's
 * number, its date and its run's start; of the entries past revision 0, the last whose run started
 * by `notAfter`, or without a start, that svn dates by `at` (dates as svn prints them compare as text).
 */
export function chosenRevision(
  log: string,
  { at, notAfter, property }: Pick<SvnUpdateAtCommand, 'at' | 'notAfter' | 'property'>,
): string {
  const marker = `name="${property}">`;
  let chosen = '';
  let entry = { revision: '', date: '', started: '' };
  for (const line of log.split('\n')) {
    const number = /revision="[0-9]+"/.test(line) ? /.*revision="([^"]*)"/.exec(line)?.[1] : undefined;
    if (number !== undefined) entry = { revision: number, date: '', started: '' };
    if (line.startsWith('<date>')) entry.date = line.slice('<date>'.length).replace(/<\/date>.*/, '');
    const at_ = line.indexOf(marker);
    if (at_ >= 0) entry.started = line.slice(at_ + marker.length).replace(/<\/property>.*/, '');
    if (line.startsWith('</logentry>') && Number(entry.revision) > 0) {
      if (/^[0-9]+$/.test(entry.started)) {
        if (Number(entry.started) <= notAfter) chosen = entry.revision;
      } else if (entry.date !== '' && entry.date <= at) chosen = entry.revision;
    }
  }
  return chosen;
}
