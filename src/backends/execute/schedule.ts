import type { PlanUnit } from '../../planner/plan.js';

/**
 * Twin of polyarchiv_start_ready: runs units at most `jobs` at a time. A unit starts once the units
 * before it on the same lock and the units it requires have finished, so the units of one collect
 * point keep their plan order; `decide` may settle a unit without running it (a requirement that
 * failed, an interrupted run). With one job, units run in plan order, one after the other.
 */
export async function runScheduled<R>(
  units: readonly PlanUnit[],
  jobs: number,
  decide: (unit: PlanUnit, finished: (id: string) => R | undefined) => R | undefined,
  run: (unit: PlanUnit) => Promise<R>,
): Promise<R[]> {
  const results = new Map<number, R>();
  const running = new Map<number, Promise<void>>();
  const indexOf = new Map(units.map((unit, index) => [unit.id, index]));
  const finished = (id: string) => {
    const index = indexOf.get(id);
    return index === undefined ? undefined : results.get(index);
  };
  const ready = (unit: PlanUnit, index: number) =>
    units.every((other, j) => j >= index || other.lockFile !== unit.lockFile || results.has(j)) &&
    unit.requires.every((id) => !indexOf.has(id) || finished(id) !== undefined);
  for (;;) {
    for (const [index, unit] of units.entries()) {
      if (results.has(index) || running.has(index) || !ready(unit, index)) continue;
      const settled = decide(unit, finished);
      if (settled !== undefined) {
        results.set(index, settled);
        continue;
      }
      if (running.size >= jobs) break;
      running.set(
        index,
        run(unit).then((result) => {
          results.set(index, result);
          running.delete(index);
        }),
      );
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  return units.map((_, index) => results.get(index) as R);
}
