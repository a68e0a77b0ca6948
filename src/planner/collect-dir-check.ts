import type { BoundCollectPoint } from '../engines/engine.js';
import { optionPlace } from '../engines/option-place.js';
import type { ActionDraft } from '../graph/action.js';

/**
 * Why a backup point has nothing to send: its collect point's directory is not there. Without
 * this, each tool says it in its own words (rsync's status 23, tar's, restic's, git's), after the
 * unit has already made directories at its destination. `lastSuccess`: the collect point's last
 * success that its state recorded when the plan was made, which tells a collect point that never
 * succeeded here from a directory removed since.
 */
export function nothingToSendProblem(cp: BoundCollectPoint, lastSuccess: string | null): string {
  const dir = cp.exportDir;
  const place = optionPlace(cp.options, 'local_path', cp.variableSources);
  const what = `collect point "${cp.name}" has nothing to send: its directory ${dir}, set by ${place}, does not exist`;
  if (lastSuccess === null)
    return `${what}; the collect point has not succeeded on this machine: run it first, in a backup that does not skip it (without --skip-collect)`;
  return `${what}; its state (${cp.layout.stateFile}) records a success at ${lastSuccess}, so the directory was removed since: run the collect point again to make it anew (a backup without --skip-collect)`;
}

/**
 * A backup unit's first step, before it changes anything at its destination: the collect point's
 * directory is there. Checked when the unit starts, after its collect unit when both run: the
 * directory may come or go between the plan and the run.
 */
export function collectDirPresent(cp: BoundCollectPoint, lastSuccess: string | null): ActionDraft {
  return {
    kind: 'run',
    check: true,
    argv: ['test', '-e', cp.exportDir],
    explains: [{ status: 1, message: nothingToSendProblem(cp, lastSuccess) }],
    origin: cp.options.origin('local_path'),
    summary: `check that collect point "${cp.name}" has something to send (${cp.exportDir})`,
  };
}
