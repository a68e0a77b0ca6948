import { describe, expect, it } from 'vitest';
import type { Action } from '../../src/graph/action.js';
import { listFixtures, planFixture, planSnapshot } from '../helpers/fixtures.js';
import { sandboxesPerTest } from '../helpers/sandbox.js';

const isCheck = (action: Action) =>
  action.kind === 'run' && action.argv[0] === 'test' && action.argv[1] === '-e' && action.check === true;

/**
 * Every backup unit reads its collect point's directory: its first step, before its filters and
 * its engine's steps (which make directories at the destination), checks that it is there.
 */
describe.each(listFixtures())('fixture %s', (name) => {
  it("starts every backup unit with the check of its collect point's directory, and no other unit", () => {
    const plan = planSnapshot(name).plan;
    if (plan === undefined) return;
    for (const unit of plan.units) {
      const checks = unit.steps.filter(
        (step) => isCheck(step.action) && step.action.summary.includes('to send'),
      );
      if (unit.kind !== 'backup') {
        expect(checks, unit.id).toEqual([]);
        continue;
      }
      const first = unit.steps[0]?.action;
      expect(first !== undefined && isCheck(first), unit.id).toBe(true);
      expect(checks, unit.id).toHaveLength(1);
      if (first?.kind !== 'run') continue;
      expect(first.summary).toBe(
        `check that collect point "${unit.collectPoint}" has something to send (${first.argv[2]})`,
      );
      expect(first.origin.key).toBe('local_path');
      expect(first.explains).toEqual([
        {
          status: 1,
          message: expect.stringMatching(
            new RegExp(
              `^collect point "${unit.collectPoint}" has nothing to send: its directory ${first.argv[2]}, set by option 'local_path' \\(`,
            ),
          ),
        },
      ]);
    }
  });
});

describe('the words of a missing collect directory', () => {
  const sandbox = sandboxesPerTest();
  const messageOf = (root: string) => {
    const unit = planFixture('quickstart', root).plan?.units.find((u) => u.kind === 'backup');
    const action = unit?.steps[0]?.action;
    return action?.kind === 'run' ? action.explains?.[0]?.message : undefined;
  };

  it('says that a collect point never succeeded here', () => {
    const box = sandbox();
    expect(messageOf(box.root)).toBe(
      `collect point "site" has nothing to send: its directory ${box.path('collect/site/backups')}, set by option 'local_path' (site.collect:5 [point], made of {root} from --set, {name}), does not exist; the collect point has not succeeded on this machine: run it first, in a backup that does not skip it (without --skip-collect)`,
    );
  });

  it('says that the directory of a collect point that succeeded was removed', () => {
    const box = sandbox();
    const state = 'collect/site/metadata/collect_point/site.json';
    box.write({ [state]: JSON.stringify({ success_count: 1, last_success: '2026-03-09T03:00:00' }) });
    expect(messageOf(box.root)).toBe(
      `collect point "site" has nothing to send: its directory ${box.path('collect/site/backups')}, set by option 'local_path' (site.collect:5 [point], made of {root} from --set, {name}), does not exist; its state (${box.path(state)}) records a success at 2026-03-09T03:00:00, so the directory was removed since: run the collect point again to make it anew (a backup without --skip-collect)`,
    );
  });
});
