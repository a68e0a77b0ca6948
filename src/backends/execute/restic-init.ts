import { printedExplanation, type ResticInitCommand } from '../../graph/command.js';
import { HELPERS } from '../../graph/helper-contracts.js';
import { RESTIC_MISSING } from '../tool-conventions.js';
import { type RunContext, runExec, sayWhy } from './run-exec.js';

/**
 * Twin of polyarchiv_restic_init (templates/partials/helpers-restic.hbs): runs `init` only when
 * the probe says that the repository does not exist; any other failure of the probe is passed on
 * with restic's message, then the words of the first explanation whose text it holds. Both run as any other tool of the unit (lock held, signals).
 */
export async function resticInit(
  command: ResticInitCommand,
  ctx: RunContext,
  note: (line: string) => void,
  say: (line: string) => void,
): Promise<number> {
  const chunks: Buffer[] = [];
  const probe = await runExec(
    { kind: 'exec', argv: command.probe, env: command.env, ...childErrors(command) },
    { ...ctx, output: (stream, chunk) => stream === 'stderr' && chunks.push(chunk) },
  );
  if (probe === 0) {
    note(`  ${command.exists}`);
    return HELPERS.resticInit.statuses.ready;
  }
  const said = Buffer.concat(chunks).toString('utf8').replace(/\n+$/, '');
  if (!isMissing(probe, said)) {
    const relay = ctx.output ?? ((stream, chunk) => process[stream].write(chunk));
    relay('stderr', Buffer.from(`${said}\n`));
    sayWhy(say, ctx, printedExplanation(command.explains, said));
    return probe;
  }
  return runExec({ kind: 'exec', argv: command.init, env: command.env, ...childErrors(command) }, ctx);
}

const childErrors = (command: ResticInitCommand) =>
  command.childErrors === undefined ? {} : { childErrors: command.childErrors };

function isMissing(status: number, said: string): boolean {
  if (status === RESTIC_MISSING.status) return true;
  return (
    said.includes(RESTIC_MISSING.question) && RESTIC_MISSING.causes.some((cause) => said.includes(cause))
  );
}
