import type { BoundCollectPoint } from '../engines/engine.js';
import type { ActionDraft } from '../graph/action.js';

/**
 * A restore that has begun changing live data and does not end (a step failed, a signal, a
 * crash) leaves that data holding part of the backup: some tables loaded and not others, some
 * files put back. The next backup would take it for the truth and replace the last good copy
 * with it, then every backup point's. So a restore marks its collect point before its first
 * change and clears the mark after its last, and a backup of a marked collect point fails before
 * it changes anything, until a restore ends or a person removes the mark.
 */
export function unfinishedRestoreMark(cp: Pick<BoundCollectPoint, 'layout'>): string {
  return `${cp.layout.metadataDir}/restore-unfinished`;
}

/**
 * The restore's steps before its first change to live data: the mark, flushed to the disk. Its
 * directory is there: the unit's lock is a file of it, taken before the unit's first step.
 */
export function markRestoreBegun(cp: BoundCollectPoint): ActionDraft[] {
  const mark = unfinishedRestoreMark(cp);
  const origin = cp.origin;
  return [
    {
      kind: 'run',
      argv: [
        'printf',
        '%s\\n',
        `a restore of collect point "${cp.name}" began changing live data and did not end`,
      ],
      stdout: mark,
      origin,
      summary: `mark collect point "${cp.name}" as being restored until the restore ends (${mark})`,
    },
    // A crash in the middle of the restore must not lose the mark with it.
    { kind: 'run', argv: ['sync', '-f', '--', mark], origin, summary: `flush ${mark} to the disk` },
  ];
}

/** The restore's last step, once every source was restored. */
export function markRestoreEnded(cp: BoundCollectPoint): ActionDraft {
  const mark = unfinishedRestoreMark(cp);
  return {
    kind: 'run',
    argv: ['rm', '-f', '--', mark],
    origin: cp.origin,
    summary: `remove the mark of the restore of collect point "${cp.name}": it ended`,
  };
}

/**
 * Why a collect point whose restore did not end is not backed up, and what to do: the backup's
 * refusal and `check` say it alike.
 */
export function unfinishedRestoreProblem(cp: Pick<BoundCollectPoint, 'name' | 'layout'>): string {
  const mark = unfinishedRestoreMark(cp);
  return `a restore of collect point "${cp.name}" did not end (${mark}): the live data may hold only part of the backup, and backing it up now would replace the good copies with it; restore again, or remove ${mark} once the live data is as it must be`;
}

/** A backup's first step: refused while a restore of the collect point is unfinished. */
export function noUnfinishedRestore(cp: BoundCollectPoint): ActionDraft {
  const mark = unfinishedRestoreMark(cp);
  return {
    kind: 'run',
    check: true,
    argv: ['test', '!', '-e', mark],
    explains: [
      {
        status: 1,
        message: unfinishedRestoreProblem(cp),
      },
    ],
    origin: cp.origin,
    summary: `check that no restore of collect point "${cp.name}" was left unfinished`,
  };
}
