import { rmSync } from 'node:fs';
import { fsProblem } from '../../diag/fs-problem.js';
import { HELPERS } from '../../graph/helper-contracts.js';
import { type RunContext, writeAsTool } from './run-exec.js';

/**
 * Twin of polyarchiv_scratch (templates/partials/helpers.hbs): once a unit's steps end, whatever
 * their outcome, its scratch (graph/scratch.ts) is removed as `rm -rf --` removes it; what cannot
 * be removed is said as rm says it, and changes no outcome (the next run removes it first).
 */
export function removeScratch(paths: readonly string[], ctx: Pick<RunContext, 'output'>): number {
  for (const path of paths) {
    try {
      rmSync(path, { recursive: true, force: true });
    } catch (error) {
      writeAsTool(ctx, 'stderr', `rm: cannot remove '${path}': ${fsProblem(error)}\n`);
    }
  }
  return HELPERS.scratch.statuses.registered;
}
