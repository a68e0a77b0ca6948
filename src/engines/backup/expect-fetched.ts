import type { Origin } from '../../diag/origin.js';
import type { ActionDraft, Transport } from '../../graph/action.js';
import type { BoundBackupPoint, BoundCollectPoint } from '../engine.js';

/** What a restore says when a backup point has nothing of a collect point to give back. */
export function noCopyMessage(bp: BoundBackupPoint, cp: BoundCollectPoint, detail: string): string {
  return `backup point "${bp.name}" holds no copy of collect point "${cp.name}": ${detail}`;
}

/** Where a restore turns when the copy of one backup point cannot be read. */
export const ANOTHER_BACKUP_POINT = "another backup point's copy: run the restore again with --from ITS_NAME";

/** Where a restore turns when the copy it chose when it ran cannot be read: an older one there. */
export const olderCopy = (copy: 'archive' | 'snapshot'): string =>
  `an older ${copy}: run the restore again with --at a time before this one's; ${ANOTHER_BACKUP_POINT}`;

/** What a restore that fails before its first change to live data leaves as it was. */
export const LIVE_UNCHANGED = 'the live data were not changed';

/** What a fetch that fails before its copy reaches the collect point leaves as it was. */
export const leftUnchanged = (cp: BoundCollectPoint): string =>
  `collect point "${cp.name}" and ${LIVE_UNCHANGED}`;

/**
 * What a restore says when the copy of a backup point could not be read (a server gone, a
 * permission denied, a damaged repository), before anything of it reached the collect point:
 * `tool` printed why above; `then`: where to turn.
 */
export function unreadableCopy(
  bp: BoundBackupPoint,
  cp: BoundCollectPoint,
  copy: {
    readonly shown: string;
    /** What was said above: the failed tool's lines, or why, when no tool says it (see PERMISSION). */
    readonly tool: string | { readonly why: string };
    /** What the failure left: by default nothing changed (see partlyFetched). */
    readonly left?: string;
  },
  then: string = ANOTHER_BACKUP_POINT,
): string {
  const why = typeof copy.tool === 'string' ? `${copy.tool} says why above` : copy.tool.why;
  return `the copy of "${cp.name}" at ${copy.shown} (backup point "${bp.name}") could not be read (${why}): ${copy.left ?? leftUnchanged(cp)}; ${then}`;
}

/** Why a copy on this host could not be read, when no tool says it: its modes. */
export const PERMISSION = { why: "its permissions deny the run's user" } as const;

/** The same on another host: the server's modes, for the user ssh logs in as. */
export const SERVER_PERMISSION = {
  why: 'the ssh server denied access: its permissions deny the user ssh logs in as',
} as const;

/**
 * What a copy in place into the collect point leaves when it fails part way (copyInPlace): every
 * file whole, the old or the new one; the live data are restored from it only after.
 */
export const partlyFetched = (cp: BoundCollectPoint): string =>
  `${LIVE_UNCHANGED}; collect point "${cp.name}" may hold part of it, each file whole, old or new`;

/**
 * A fetch's check of what it copies from, before anything is copied into the collect point: a
 * copy that is missing or empty there (a mirror removed or emptied, an archive of nothing) is said
 * as the backup point holding no copy, where the copy into the collect point would otherwise fail
 * with its tool's words, or empty the collect point's copy. A collect point without sources has
 * nothing to restore from its copy, which may then be empty.
 */
export function expectFetched(
  bp: BoundBackupPoint,
  cp: BoundCollectPoint,
  place: {
    readonly path: string;
    /** How the summary names it: `/srv/mirror`, `host:/srv/mirror`... */
    readonly shown: string;
    /** Why the backup point holds no copy: `/srv/mirror is missing or empty`. */
    readonly detail?: string;
    readonly expect?: 'entries' | 'path';
    /** On another host (ssh) or a server (rclone): asked there, before anything is fetched. */
    readonly transport?: Transport;
    /**
     * Where to turn when the check cannot read there (its server gone, a permission denied):
     * another backup point unless said.
     */
    readonly otherwise?: string;
    /**
     * On this host, a copy the backup point keeps (not one this run made): one the run's user may
     * not read is said as such, not as missing.
     */
    readonly kept?: true;
  },
  origin: Origin,
): ActionDraft[] {
  if (cp.sources.length === 0) return [];
  const expect = place.expect ?? 'entries';
  return [
    {
      kind: 'expect-copy',
      expect,
      path: place.path,
      missing: noCopyMessage(
        bp,
        cp,
        place.detail ?? `${place.shown} ${expect === 'path' ? 'is missing' : 'is missing or empty'}`,
      ),
      // On this host the check fails only when the copy is not there (find's and test's status 1),
      // or when the run's user may not read it.
      ...(place.transport === undefined
        ? place.kept === true
          ? { unreadable: unreadableCopy(bp, cp, { shown: place.shown, tool: PERMISSION }, place.otherwise) }
          : {}
        : {
            transport: place.transport,
            ...(place.transport.kind === 'ssh'
              ? {
                  denied: unreadableCopy(
                    bp,
                    cp,
                    { shown: place.shown, tool: SERVER_PERMISSION },
                    place.otherwise,
                  ),
                }
              : {}),
            unreadable: unreadableCopy(
              bp,
              cp,
              { shown: place.shown, tool: place.transport.kind === 'rclone' ? 'rclone' : 'ssh' },
              place.otherwise,
            ),
          }),
      origin,
      summary: `check that ${place.shown} holds a copy of "${cp.name}"`,
    },
  ];
}
