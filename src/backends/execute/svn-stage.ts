import { readFileSync, writeFileSync } from 'node:fs';
import type { SvnStageCommand, Word } from '../../graph/command.js';
import { HELPERS } from '../../graph/helper-contracts.js';
import { type RunContext, runExec, wordOf } from './run-exec.js';

/**
 * Twin of polyarchiv_svn_stage (templates/partials/helpers-svn.hbs): the missing entries deleted,
 * those whose kind changed deleted but kept on disk, then every unversioned entry added.
 */
export async function svnStage(command: SvnStageCommand, ctx: RunContext): Promise<number> {
  const targets = wordOf(command.targets, ctx);
  const listingFile = `${targets}.status`;
  const run = (words: readonly Word[], stdout?: string) =>
    runExec(
      { kind: 'exec', argv: [...command.svn, ...words], env: command.env, ...(stdout ? { stdout } : {}) },
      ctx,
    );
  const listed = await run(['status', '--ignore-externals', '--', `${command.workingCopy}@`], listingFile);
  if (listed !== 0) return listed;
  const missing: string[] = [];
  const replaced: string[] = [];
  // As the helper's $(...) and read: trailing newlines dropped, one entry per line.
  const listing = readFileSync(listingFile, 'utf8').replace(/\n+$/, '');
  for (const line of listing === '' ? [] : listing.split('\n')) {
    if (line.startsWith('!')) missing.push(`${line.slice(8)}@`);
    else if (line.startsWith('~')) replaced.push(`${line.slice(8)}@`);
  }
  for (const [paths, keep] of [
    [missing, []],
    [replaced, ['--keep-local']],
  ] as const) {
    if (paths.length === 0) continue;
    writeFileSync(targets, paths.map((p) => `${p}\n`).join(''), { mode: 0o600 });
    const deleted = await run(['delete', '--quiet', '--force', ...keep, '--targets', targets]);
    if (deleted !== 0) return deleted;
  }
  const added = await run(['add', '--quiet', '--force', '--depth=infinity', '--', `${command.workingCopy}@`]);
  return added === 0 ? HELPERS.svnStage.statuses.staged : added;
}
