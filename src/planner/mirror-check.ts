import type { BoundBackupPoint } from '../engines/engine.js';
import { optionPlace } from '../engines/option-place.js';
import type { ActionDraft } from '../graph/action.js';
import { copyFiguresKey } from '../graph/build-commands.js';
import type { StateSnapshots } from '../state/read-states.js';

/** What a backup point's local directory held at its last success, as its state recorded it. */
export interface HeldCopy {
  readonly path: string;
  readonly files: number;
  readonly lastSuccess: string;
}

/**
 * The local directory a pair's state recorded holding files at its last success: a mirror on a
 * disk of its own, typically. None when the pair never succeeded, held nothing, sends elsewhere
 * (another host, a server) or names a new directory each time (`{Y}-{m}-{d}`).
 */
export function heldCopyOf(bp: BoundBackupPoint, states: StateSnapshots): HeldCopy | undefined {
  const path = bp.engine.location?.(bp.options);
  if (path === undefined) return undefined;
  const state = states.get(bp.stateFile)?.state;
  // Keyed as the copy into it keeps them.
  const figures = state?.copies?.[copyFiguresKey({ to: path })];
  if (figures === undefined || figures.files <= 0 || typeof state?.last_success !== 'string')
    return undefined;
  return { path, files: figures.files, lastSuccess: state.last_success };
}

/**
 * A backup unit's step before it makes its directory: a directory that held files at the last
 * success and is gone is most often a disk that is not mounted, whose mount point the copy would
 * otherwise fill on the disk below, the backup going where nobody looks for it. Left out with
 * --allow-shrink, to copy it anew where it was moved or removed on purpose.
 */
export function heldCopyPresent(bp: BoundBackupPoint, held: HeldCopy): ActionDraft {
  const place = optionPlace(bp.options, 'remote_url', bp.variableSources);
  return {
    kind: 'run',
    check: true,
    argv: ['test', '-d', held.path],
    explains: [
      {
        status: 1,
        message: `backup point "${bp.name}": ${held.path}, set by ${place}, held ${held.files} files at its last success (${held.lastSuccess}) and is gone: mount its disk, or run with --allow-shrink if it was moved or removed on purpose`,
      },
    ],
    origin: bp.options.origin('remote_url'),
    summary: `check that ${held.path} is still there (${held.files} files at the last success)`,
  };
}
