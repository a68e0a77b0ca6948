import type { ExecIfChangedCommand } from '../../graph/command.js';
import { HELPERS } from '../../graph/helper-contracts.js';
import { PROBE_STATUSES } from '../tool-conventions.js';
import { keptErrorsSaid, type RunContext, runExec, runKeepingErrors, sayWhy } from './run-exec.js';

/**
 * Twin of polyarchiv_exec_if_changed (templates/partials/helpers-exec-if-changed.hbs): runs the
 * command when the probe says `changed`, notes the message when it says `unchanged`, and otherwise
 * fails with the probe's status; a run that fails is said in the words of the first explanation
 * whose text it printed, else in `unreadable`'s, when it has them. Both run as any other tool of the unit (lock held, output relayed, signals).
 */
export async function execIfChanged(
  command: ExecIfChangedCommand,
  ctx: RunContext,
  note: (line: string) => void,
  say: (line: string) => void,
): Promise<number> {
  const io = {
    ...(command.env === undefined ? {} : { env: command.env }),
    ...(command.stdin === undefined ? {} : { stdin: command.stdin }),
  };
  const probe = await runExec({ kind: 'exec', argv: command.probe, ...io }, ctx);
  if (probe === PROBE_STATUSES.unchanged) {
    note(`  ${command.unchanged}`);
    return HELPERS.execIfChanged.statuses.done;
  }
  if (probe !== PROBE_STATUSES.changed) return probe;
  const explains = command.explains ?? [];
  if (explains.length === 0) {
    const status = await runExec({ kind: 'exec', argv: command.run, ...io }, ctx);
    if (status !== 0) sayWhy(say, ctx, command.unreadable);
    return status;
  }
  // Its error output kept until it ends, then shown: the words it printed tell which option is wrong.
  const { status, errors } = await runKeepingErrors({ kind: 'exec', argv: command.run, ...io }, ctx);
  keptErrorsSaid(ctx, say, status, errors, explains, command.unreadable);
  return status;
}
