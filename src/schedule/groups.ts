import type { ResolvedConfig } from '../config/resolve.js';
import type { Origin } from '../diag/origin.js';
import type { Frequency } from '../options/frequency.js';

/** The points that one timer (or one cron line) starts: those of one frequency. */
export interface ScheduleGroup {
  /** Part of the unit name: `hourly`, `daily-03`, `weekly-mon`, `monthly-01`, `every-3600s`. */
  readonly slug: string;
  readonly frequency: Exclude<Frequency, { kind: 'always' }>;
  readonly collectPoints: readonly string[];
  readonly backupPoints: readonly string[];
  /** The selection flags of its `polyarchiv backup` run. */
  readonly selection: readonly string[];
}

export interface ScheduleProblem {
  readonly message: string;
  readonly origin: Origin;
}

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

function slugOf(f: ScheduleGroup['frequency']): string {
  const two = (n: number) => String(n).padStart(2, '0');
  switch (f.kind) {
    case 'seconds':
      return `every-${f.seconds}s`;
    case 'hourly':
      return 'hourly';
    case 'daily':
      return `daily-${two(f.hour)}`;
    case 'weekly':
      return `weekly-${DAYS[f.weekday]}`;
    case 'monthly':
      return `monthly-${two(f.day)}`;
  }
}

/** Shortest period first: seconds by length, then hourly, daily, weekly, monthly by their time. */
function rank(f: ScheduleGroup['frequency']): [number, number] {
  switch (f.kind) {
    case 'seconds':
      return [0, f.seconds];
    case 'hourly':
      return [1, 0];
    case 'daily':
      return [2, f.hour];
    case 'weekly':
      return [3, f.weekday];
    case 'monthly':
      return [4, f.day];
  }
}

/** Characters that `--only-*` reads as a list separator or a glob: such a name cannot be selected alone. */
const SELECTION_SYNTAX = /[,*?[]/;

interface Point {
  readonly role: 'collect' | 'backup';
  readonly name: string;
  readonly frequency: Frequency;
  readonly origin: Origin;
}

/**
 * One group per frequency. A group with collect points runs them and their backups that are due
 * (`--only-collect-points`), and also selects the collect points of its backup points, which run
 * only if they are due themselves. A group of backup points alone sends what the collect points
 * hold (`--skip-collect --only-backup-points`). Frequencies still decide what runs: a selection
 * only keeps a run from considering unrelated points.
 */
export function scheduleGroups(config: ResolvedConfig): {
  groups: ScheduleGroup[];
  problems: ScheduleProblem[];
} {
  const points: Point[] = [
    ...config.collectPoints.map((cp) => ({
      role: 'collect' as const,
      name: cp.name,
      frequency: cp.frequency,
      origin: cp.frequencyOrigin,
    })),
    ...config.backupPoints.map((bp) => ({
      role: 'backup' as const,
      name: bp.name,
      frequency: bp.frequency,
      origin: bp.frequencyOrigin,
    })),
  ];
  const problems: ScheduleProblem[] = [];
  const bySlug = new Map<
    string,
    { frequency: ScheduleGroup['frequency']; collect: string[]; backup: string[] }
  >();
  for (const point of points) {
    const what = `${point.role} point '${point.name}'`;
    if (SELECTION_SYNTAX.test(point.name))
      problems.push({
        message: `${what} cannot be selected on a command line: its name contains one of , * ? [ (rename its file)`,
        origin: point.origin,
      });
    if (point.frequency.kind === 'always') {
      // An origin with a key is the `frequency` line itself: the user wrote `always` (or 0).
      const said = point.origin.key === undefined ? 'has no frequency' : 'has frequency = always';
      problems.push({
        message: `${what} ${said} (it runs with every backup): a schedule needs one, such as frequency = daily:3, hourly, weekly, monthly or a number of seconds`,
        origin: point.origin,
      });
      continue;
    }
    const slug = slugOf(point.frequency);
    const group = bySlug.get(slug) ?? { frequency: point.frequency, collect: [], backup: [] };
    (point.role === 'collect' ? group.collect : group.backup).push(point.name);
    bySlug.set(slug, group);
  }
  const groups = [...bySlug.entries()].map(([slug, group]) => ({
    slug,
    frequency: group.frequency,
    collectPoints: group.collect,
    backupPoints: group.backup,
    selection: selectionOf(config, group.collect, group.backup),
  }));
  groups.sort((a, b) => {
    const [ka, va] = rank(a.frequency);
    const [kb, vb] = rank(b.frequency);
    return ka - kb || va - vb;
  });
  return { groups, problems };
}

function selectionOf(config: ResolvedConfig, collect: string[], backup: string[]): string[] {
  if (collect.length === 0) return ['--skip-collect', `--only-backup-points=${backup.join(',')}`];
  const selected = new Set(collect);
  for (const pair of config.pairs) if (backup.includes(pair.name)) selected.add(pair.collectPoint);
  const ordered = config.collectPoints.map((cp) => cp.name).filter((name) => selected.has(name));
  return [`--only-collect-points=${ordered.join(',')}`];
}
