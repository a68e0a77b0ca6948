import { periodOf, RULES } from '../../src/retention/periods.js';
import { type Dated, newestFirst, type Policy } from '../../src/retention/retention.js';

/**
 * The policy stated as sets, with no walk and no counters: for each rule, the newest archive of
 * each of its N newest periods, plus the oldest archive when the series has fewer than N periods
 * (an unlimited rule never runs out);
 * an archive is kept when some rule keeps it.
 */
export function referenceKept(archives: readonly Dated[], policy: Policy): Set<string> {
  const sorted = newestFirst(archives);
  const kept = new Set<string>();
  for (const rule of RULES) {
    const count = policy[rule];
    if (count === 0) continue;
    const newestOfPeriod = new Map<string, string>();
    for (const archive of sorted) {
      const period = rule === 'last' ? archive.id : periodOf(rule, archive.local);
      if (!newestOfPeriod.has(period)) newestOfPeriod.set(period, archive.id);
    }
    const periods = [...newestOfPeriod.values()];
    for (const id of count < 0 ? periods : periods.slice(0, count)) kept.add(id);
    if ((count < 0 || periods.length < count) && sorted.length > 0) kept.add((sorted.at(-1) as Dated).id);
  }
  return kept;
}
