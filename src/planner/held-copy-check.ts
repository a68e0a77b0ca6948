import type { BoundBackupPoint, HeldCopy } from '../engines/engine.js';
import { optionPlace } from '../engines/option-place.js';
import type { ActionDraft } from '../graph/action.js';
import type { StateSnapshots } from '../state/read-states.js';

/** A copy a pair's last success left on this host (see BackupEngine.heldCopy), and when. */
export interface HeldAtLastSuccess extends HeldCopy {
  readonly lastSuccess: string;
}

/**
 * What the pair's last success left on this host, as its state recorded it: a mirror's directory,
 * an archive, a repository on a disk of its own, typically. None when the pair never succeeded,
 * holds nothing here (another host, a server) or names a new place each time (`{Y}-{m}-{d}`).
 */
export function heldCopyOf(bp: BoundBackupPoint, states: StateSnapshots): HeldAtLastSuccess | undefined {
  if (bp.engine.heldCopy === undefined) return undefined;
  const snapshot = states.get(bp.stateFile);
  const state = snapshot?.state;
  if (typeof state?.last_success !== 'string') return undefined;
  // Figures a restore's fetch outdated are not judged by, but the directory held those files.
  const copies = state.copies ?? snapshot?.outdatedCopies;
  const held = bp.engine.heldCopy(bp, { recorded: state.data, copies });
  return held === undefined ? undefined : { ...held, lastSuccess: state.last_success };
}

/**
 * A backup unit's step before it makes anything at its destination: a copy that its last success
 * left and that is gone is most often on a disk that is not mounted, whose mount point the unit
 * would otherwise fill on the disk below (a new mirror, archive or repository), the backup going
 * where nobody looks for it. Left out with --allow-shrink, to start anew where it was moved or
 * removed on purpose.
 */
export function heldCopyPresent(bp: BoundBackupPoint, held: HeldAtLastSuccess): ActionDraft {
  const place = optionPlace(bp.options, 'remote_url', bp.variableSources);
  return {
    kind: 'run',
    check: true,
    argv: ['test', held.kind === 'directory' ? '-d' : '-f', held.path],
    explains: [
      {
        status: 1,
        message: `backup point "${bp.name}": ${held.path}, set by ${place}, ${held.held} at its last success (${held.lastSuccess}) and is gone: mount its disk, or run with --allow-shrink if it was moved or removed on purpose`,
      },
    ],
    origin: bp.options.origin('remote_url'),
    summary: `check that ${held.path} is still there (${held.what} at the last success)`,
  };
}
