import type { ExecIfChangedCommand } from '../../graph/command.js';
import { type RunContext, runExec } from './run-exec.js';

/**
 * Twin of polyarchiv_exec_if_changed (templates/partials/helpers-exec-if-changed.hbs): runs the
 * command when the probe exits 1, says the message when it exits 0, and otherwise fails with the
 * probe's status. Both run as any other tool of the unit (lock held, output relayed, signals).
 */
export async function execIfChanged(
  command: ExecIfChangedCommand,
  ctx: RunContext,
  say: (line: string) => void,
): Promise<number> {
  const probe = await runExec({ kind: 'exec', argv: command.probe }, ctx);
  if (probe === 0) {
    say(`  ${command.unchanged}`);
    return 0;
  }
  if (probe !== 1) return probe;
  return runExec({ kind: 'exec', argv: command.run }, ctx);
}
