import type { ExecutionReport } from '../backends/execute/execute.js';
import type { Plan, PlanUnit } from '../planner/plan.js';

/** Nagios plugin exit codes. */
export const NAGIOS = { ok: 0, warning: 1, critical: 2, unknown: 3 } as const;

export interface NrpeStatus {
  readonly line: string;
  readonly code: number;
}

/** The original's names for failed points, with the collect and backup point each in its place. */
function label(unit: PlanUnit): string {
  return unit.backupPoint === undefined
    ? `collect_point:${unit.collectPoint}`
    : `collect_point:${unit.collectPoint}/backup_point:${unit.backupPoint}`;
}

/**
 * `backup --nrpe`: one status line for a Nagios check. A unit that failed, was refused as stale,
 * was declined or could not run because its collect failed is CRITICAL; one that found its collect
 * point locked by another run, with nothing failed, is a WARNING.
 */
export function backupStatus(plan: Plan, report: ExecutionReport): NrpeStatus {
  const unitOf = (id: string) => plan.units.find((u) => u.id === id) as PlanUnit;
  const failed = report.results
    .filter((r) => ['failed', 'stale', 'declined', 'skipped'].includes(r.status))
    .map((r) => label(unitOf(r.id)));
  const cannotRun = plan.skipped.filter((s) => s.failed).map((s) => s.title);
  const busy = report.results.filter((r) => r.status === 'busy').map((r) => label(unitOf(r.id)));
  if (failed.length + cannotRun.length > 0)
    return {
      line: `CRITICAL - failed backups: ${[...failed, ...cannotRun].join(' ')}`,
      code: NAGIOS.critical,
    };
  if (busy.length > 0)
    return { line: `WARNING - locked by another run: ${busy.join(' ')}`, code: NAGIOS.warning };
  return { line: 'OK - all backups are valid', code: NAGIOS.ok };
}
