import { partialOf } from '../engines/backup/archive.js';
import { shownTarget, targetTicket } from '../engines/backup/target.js';
import type { BoundBackupPoint } from '../engines/engine.js';
import type { DraftUnit } from './lower.js';

/**
 * The unit that mirrors a pair's state file to its `metadata_url` once the pair's unit recorded
 * it, success or failure: a unit of its own on the collect point's lock, after the pair's, so
 * that a failed upload fails the run without changing what the pair recorded, and the previous
 * mirrored copy stays whole (a hidden partial beside it, renamed over it when complete).
 */
export function stateMirrorUnit(backup: DraftUnit): DraftUnit | undefined {
  const bp = backup.bp as BoundBackupPoint;
  const mirror = bp.metadata;
  if (mirror === undefined) return undefined;
  const { target } = mirror;
  const partial = partialOf(target.path);
  return {
    id: `metadata:${bp.name}/${backup.cp.name}`,
    kind: 'metadata',
    cp: backup.cp,
    bp,
    why: `mirror the state file of backup point ${bp.name} for ${backup.cp.name} to its metadata_url`,
    drafts: [
      ...targetTicket(target, mirror.options, 'metadata_keytab'),
      {
        kind: 'put-file',
        file: bp.stateFile,
        ...(target.kind === 'local' ? {} : { transport: target.transport }),
        remote: target.path,
        partial,
        keepFile: true,
        origin: mirror.origin,
        summary: `copy ${bp.stateFile} to ${shownTarget(target, partial)}, then rename it over ${mirror.shown}`,
      },
    ],
  };
}
