import type { SkippedPoint } from '../planner/plan.js';

/**
 * What a run says after its summary of a point it did not run, in apply and in the script alike:
 * `cannot run: ` for a failure (always said, and the run exits 1), `not run: ` otherwise (not
 * under -q). The script's polyarchiv_finish tells them apart by that first word.
 */
export function skippedLine(skipped: SkippedPoint): string {
  return `${skipped.failed ? 'cannot run' : 'not run'}: ${skipped.title}: ${skipped.reason}`;
}
