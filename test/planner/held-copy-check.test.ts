import { describe, expect, it } from 'vitest';
import type { Action } from '../../src/graph/action.js';
import type { PlanUnit } from '../../src/planner/plan.js';
import { planFixture } from '../helpers/fixtures.js';
import { type Sandbox, sandboxesPerTest } from '../helpers/sandbox.js';

const LAST_SUCCESS = '2026-03-09T03:00:00';
const at = (d: string, extra: Record<string, string>) => ({
  Y: '2026',
  m: '03',
  d,
  H: '03',
  M: '00',
  S: '00',
  z: '+0100',
  ...extra,
});

/** The state of a pair whose last run ended as `valid` says, with what it recorded. */
function writeState(box: Sandbox, bp: string, recorded: { data?: unknown; copies?: unknown }, valid = true) {
  box.write({
    [`collect/site/metadata/remote-${bp}/remote/${bp}.json`]: JSON.stringify({
      last_state_valid: valid,
      success_count: 1,
      last_success: LAST_SUCCESS,
      data: recorded.data ?? null,
      ...(recorded.copies === undefined ? {} : { copies: recorded.copies }),
    }),
  });
}

/** Each backup unit's check that what its last success left is there: the `test` words. */
function heldChecks(fixture: string, box: Sandbox, allowShrink = false): Record<string, string[]> {
  const plan = planFixture(fixture, box.root, allowShrink ? { allowShrink } : {}).plan;
  const checks: Record<string, string[]> = {};
  for (const unit of (plan?.units ?? []) as PlanUnit[]) {
    const held = unit.steps
      .map((step) => step.action)
      .filter(
        (action): action is Extract<Action, { kind: 'run' }> =>
          action.kind === 'run' && action.argv[0] === 'test' && action.summary.includes('is still there'),
      );
    if (held.length > 0) checks[unit.id] = held.flatMap((action) => action.argv.slice(1).map(String));
  }
  return checks;
}

describe('what a last success left on this host, checked before a backup unit writes', () => {
  const sandbox = sandboxesPerTest();

  it("checks a mirror's directory that held files, not one that held none", () => {
    const box = sandbox();
    writeState(box, 'mirror', { copies: { [box.path('mirror/site')]: { files: 3, bytes: 30 } } });
    expect(heldChecks('quickstart', box)).toEqual({ 'backup:mirror/site': ['-d', box.path('mirror/site')] });
    writeState(box, 'mirror', { copies: { [box.path('mirror/site')]: { files: 0, bytes: 0 } } });
    expect(heldChecks('quickstart', box)).toEqual({});
  });

  it('checks after a failed run too, and never with --allow-shrink', () => {
    const box = sandbox();
    writeState(box, 'mirror', { copies: { [box.path('mirror/site')]: { files: 3, bytes: 30 } } }, false);
    expect(heldChecks('quickstart', box)).toEqual({ 'backup:mirror/site': ['-d', box.path('mirror/site')] });
    expect(heldChecks('quickstart', box, true)).toEqual({});
  });

  it('checks the archive its last success wrote, not one its remote_url no longer names', () => {
    const box = sandbox();
    writeState(box, 'gz', { data: { archive: box.path('archives/gz/site.tar.gz') } });
    // file:// names the same file as a path.
    writeState(box, 'xz', { data: { archive: box.path('archives/xz/site.tar.xz') } });
    writeState(box, 'bz2', { data: { archive: box.path('archives/old/site.tar.bz2') } });
    expect(heldChecks('archive-backup', box)).toEqual({
      'backup:gz/site': ['-f', box.path('archives/gz/site.tar.gz')],
      'backup:xz/site': ['-f', box.path('archives/xz/site.tar.xz')],
    });
  });

  it('checks the newest archive a series recorded at its target, and nothing elsewhere', () => {
    const box = sandbox();
    const entry = (d: string, target = `file://${box.path('archives')}`) =>
      at(d, { archive: box.path(`archives/site-2026-03-${d}_03-00-00.tar.zst`), target });
    writeState(box, 'history', { data: [entry('07'), entry('08')] });
    expect(heldChecks('rolling-archive', box)).toEqual({
      'backup:history/site': ['-f', box.path('archives/site-2026-03-08_03-00-00.tar.zst')],
    });
    writeState(box, 'history', { data: [entry('07', 'file:///elsewhere')] });
    expect(heldChecks('rolling-archive', box)).toEqual({});
  });

  it('checks a local restic repository that held snapshots', () => {
    const box = sandbox();
    const snapshot = (d: string) => at(d, { snapshot: `snapshot of 2026-03-${d} 03:00:00 +0100` });
    writeState(box, 'vault', { data: [snapshot('08'), snapshot('09')] });
    const plan = planFixture('restic-backup', box.root).plan;
    const check = plan?.units
      .flatMap((unit) => unit.steps.map((step) => step.action))
      .find((action) => action.kind === 'run' && action.summary.includes('is still there'));
    expect(check).toMatchObject({
      argv: ['test', '-d', box.path('restic')],
      summary: `check that ${box.path('restic')} is still there (2 snapshots at the last success)`,
    });
    writeState(box, 'vault', { data: [] });
    expect(heldChecks('restic-backup', box)).toEqual({});
  });
});
