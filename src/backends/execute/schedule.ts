import type { PlanUnit } from '../../planner/plan.js';

/**
 * Twin of polyarchiv_start_ready: runs units at most `jobs` at a time. A unit starts once the units
 * before it on the same lock and the units it requires have finished, so the units of one collect
 * point keep their plan order; `decide` may settle a unit without running it (a requirement that
 * failed, an interrupted run). With one job, units run in plan order, one after the other.
 * Each look for units to start costs what it skips: thousands of units are scheduled in a time that
 * grows with their number, not with its square.
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
  // A unit of a lock is ready only once the one before it on that lock has finished, which was
  // itself ready only once the one before it had: that one alone needs to be looked at.
  const before = unitsBeforeOnLock(units);
  const ready = (unit: PlanUnit, index: number) => {
    const previous = before[index];
    return (
      (previous === undefined || results.has(previous)) &&
      unit.requires.every((id) => !indexOf.has(id) || finished(id) !== undefined)
    );
  };
  // Every unit before this one has started or was settled.
  let unstarted = 0;
  for (;;) {
    while (unstarted < units.length && (results.has(unstarted) || running.has(unstarted))) unstarted++;
    for (let index = unstarted; index < units.length; index++) {
      const unit = units[index] as PlanUnit;
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

/** For each unit, the index of the unit before it on the same lock, if any. */
function unitsBeforeOnLock(units: readonly PlanUnit[]): (number | undefined)[] {
  const last = new Map<string, number>();
  return units.map((unit, index) => {
    const previous = last.get(unit.lockFile);
    last.set(unit.lockFile, index);
    return previous;
  });
}
