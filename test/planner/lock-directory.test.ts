import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Plan, Selection } from '../../src/planner/plan.js';
import { fixtureSpec, listFixtures, planFixture, planSnapshot, SNAPSHOT_ROOT } from '../helpers/fixtures.js';

/**
 * Every unit takes its lock, a file of its collect point's metadata directory, before its first
 * step, and makes that directory to hold it: a step that creates it again is one the run
 * announces and numbers for nothing (as a restore once did before its unfinished-restore mark).
 */
describe.each(listFixtures())('fixture %s', (name) => {
  it("no step creates the directory of its unit's lock", () => {
    expect(lockDirsMade(planSnapshot(name).plan)).toEqual([]);
  });
});

// A restore without its fetch starts with the sources (the servers' fixtures fetch only).
const restores = listFixtures().filter(
  (name) => fixtureSpec(name).mode === 'restore' && fixtureSpec(name).servers === undefined,
);
describe.each(restores)('restore fixture %s with --skip-backup', (name) => {
  it("no step creates the directory of its unit's lock either", () => {
    expect(lockDirsMade(planFixture(name, SNAPSHOT_ROOT, withoutFetch()).plan)).toEqual([]);
  });
});

function lockDirsMade(plan: Plan | undefined): string[] {
  expect(plan).toBeDefined();
  return (plan?.units ?? []).flatMap((unit) =>
    unit.steps
      .filter((step) => step.action.kind === 'mkdir' && step.action.path === dirname(unit.lockFile))
      .map((step) => `${unit.id}: ${step.action.summary}`),
  );
}

/** --skip-backup, the fixture's --from and --at cleared: a restore without its fetch takes neither. */
function withoutFetch(): Partial<Selection> {
  const selection: Partial<Selection> = { skipBackup: true };
  return Object.assign(selection, { from: undefined, at: undefined });
}
