import { describe, expect, it } from 'vitest';
import { listFixtures, planSnapshot } from '../helpers/fixtures.js';

/**
 * Units run side by side under --jobs N and share the run's private work directory: a private
 * file (a token, a password, a request) written by one unit must never be one another unit writes.
 */
describe.each(listFixtures())('fixture %s', (name) => {
  it("gives each unit's private files names no other unit writes", () => {
    const plan = planSnapshot(name).plan;
    if (plan === undefined) return;
    const writers = new Map<string, Set<string>>();
    for (const unit of plan.units)
      for (const step of unit.steps)
        for (const command of step.commands)
          if (command.kind === 'private-file')
            writers.set(command.workFile, (writers.get(command.workFile) ?? new Set()).add(unit.id));
    const shared = [...writers]
      .filter(([, units]) => units.size > 1)
      .map(([file, units]) => `${file}: ${[...units].join(', ')}`);
    expect(shared).toEqual([]);
  });
});
