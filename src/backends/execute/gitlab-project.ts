import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GitlabProjectCommand, Word } from '../../graph/command.js';
import { HELPERS } from '../../graph/helper-contracts.js';
import { HELPER_MESSAGES } from '../helper-messages.js';
import { GITLAB_ANSWERS, GITLAB_REFUSAL_HINTS } from '../tool-conventions.js';
import { type RunContext, runExec, wordOf } from './run-exec.js';

const STATUSES = HELPERS.gitlabProject.statuses;

/**
 * Twin of polyarchiv_gitlab_project (templates/partials/helpers-gitlab.hbs): finds the project,
 * else reads its namespace's id and creates it; any other answer is refused with the same message.
 */
export async function gitlabProject(
  command: GitlabProjectCommand,
  ctx: RunContext,
  say: (line: string) => void,
  note: (line: string) => void,
): Promise<number> {
  const refused = (code: string, what: string): number => {
    say(HELPER_MESSAGES.gitlabRefused(code, what, command.project, hint(code, command.tokenOption)));
    return STATUSES.refused;
  };
  const found = await request(command.find, ctx);
  if (typeof found === 'number') return found;
  if (found === String(GITLAB_ANSWERS.found)) {
    note(HELPER_MESSAGES.gitlabExists(command.project));
    return STATUSES.ready;
  }
  if (found !== String(GITLAB_ANSWERS.missing)) return refused(found, 'the query of the project');
  const namespace = await request(command.namespace, ctx);
  if (typeof namespace === 'number') return namespace;
  const id =
    namespace === String(GITLAB_ANSWERS.found) ? namespaceId(wordOf(command.answer, ctx)) : undefined;
  if (id === undefined) {
    const path = command.project.slice(0, command.project.lastIndexOf('/'));
    return refused(namespace, `the query of the namespace ${path}`);
  }
  writeFileSync(wordOf(command.namespaceId, ctx), id, { mode: 0o600 });
  const created = await request(command.create, ctx);
  if (typeof created === 'number') return created;
  if (created !== String(GITLAB_ANSWERS.created)) return refused(created, 'the creation of the project');
  note(HELPER_MESSAGES.gitlabCreated(command.project));
  return STATUSES.ready;
}

/** What a request printed (its answer's HTTP status), or curl's exit status when it failed. */
async function request(argv: readonly Word[], ctx: RunContext): Promise<string | number> {
  const printed = join(ctx.workDir, 'gitlab-status');
  const code = await runExec({ kind: 'exec', argv, stdout: printed }, ctx);
  if (code !== 0) return code;
  // As bash's $(...): trailing newlines dropped.
  return readFileSync(printed, 'utf8').replace(/\n+$/, '');
}

/** The first "id" of the answer, as the helper's pattern reads it. */
function namespaceId(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  return /"id"[\t\n\v\f\r ]*:[\t\n\v\f\r ]*([0-9]+)/.exec(text)?.[1];
}

function hint(code: string, tokenOption: string): string {
  return (
    GITLAB_REFUSAL_HINTS.find((h) => (h.statuses as readonly string[]).includes(code))?.hint(tokenOption) ??
    ''
  );
}
