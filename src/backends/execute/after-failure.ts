import type { ExecCommand } from '../../graph/command.js';
import { type RunContext, runExec } from './run-exec.js';

/**
 * Twin of polyarchiv_after_failure (templates/partials/helpers.hbs): after a command that failed
 * with `status`, its cleanup (the removal of what it left on another host) runs, its status and
 * output ignored: a host that could not be reached is said by the failed command already.
 * Returns `status`.
 */
export async function afterFailure(
  status: number,
  cleanup: ExecCommand['cleanupOnFailure'],
  ctx: RunContext,
): Promise<number> {
  if (status === 0 || cleanup === undefined) return status;
  await runExec({ kind: 'exec', argv: cleanup, stdout: '/dev/null' }, { ...ctx, output: () => {} });
  return status;
}
