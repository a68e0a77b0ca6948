import type { Origin } from '../diag/origin.js';
import type { ActionDraft, DirSwapPaths, RsyncFilter, RsyncRemote } from '../graph/action.js';

export interface StagedRsync {
  readonly from: string;
  readonly target: string;
  /** Where the new tree is built and where the old one waits during the swap (same filesystem). */
  readonly paths: Omit<DirSwapPaths, 'target'>;
  readonly hardLinks: boolean;
  readonly filters: readonly RsyncFilter[];
  readonly origin: Origin;
  readonly what: string;
  /** `from` is on another host (remote_files over ssh); shown as `host:from` in the summary. */
  readonly remote?: RsyncRemote;
}

/**
 * Mirrors `from` into `target` without ever leaving `target` half-written: rsync builds a staging
 * tree (hard-linking unchanged files from the current one), then two renames swap it in. A failed
 * or killed copy leaves the previous good tree untouched.
 */
export function stagedRsync(spec: StagedRsync): ActionDraft[] {
  const paths: DirSwapPaths = { ...spec.paths, target: spec.target };
  const origin = spec.origin;
  const from = spec.remote === undefined ? spec.from : `${spec.remote.host}:${spec.from}`;
  return [
    {
      kind: 'recover-dir',
      ...paths,
      origin,
      summary: `recover ${spec.what} if a previous run was interrupted`,
    },
    { kind: 'mkdir', path: spec.target, origin, summary: `create ${spec.what}` },
    {
      kind: 'rsync',
      from: spec.from,
      to: spec.paths.staging,
      deleteExtraneous: true,
      hardLinks: spec.hardLinks,
      filters: spec.filters,
      linkDest: spec.target,
      ...(spec.remote === undefined ? {} : { remote: spec.remote }),
      origin,
      summary: `copy ${from} into a staging copy of ${spec.what}`,
    },
    { kind: 'replace-dir', ...paths, origin, summary: `replace ${spec.what} with the new copy` },
  ];
}

/** Staging paths next to `target`, hidden, so that the renames stay on one filesystem. */
export function siblingPaths(target: string): Omit<DirSwapPaths, 'target'> {
  const slash = target.lastIndexOf('/');
  const parent = target.slice(0, slash) || '/';
  const base = target.slice(slash + 1);
  const prefix = parent === '/' ? '' : parent;
  return { staging: `${prefix}/.${base}.polyarchiv-new`, previous: `${prefix}/.${base}.polyarchiv-old` };
}

/**
 * Staging and previous copies that a failed run left next to their target (siblingPaths): never
 * part of what is sent to a backup point. The next run of their source removes or reuses them.
 */
export const STAGING_LEFTOVERS: readonly RsyncFilter[] = [
  { rule: 'exclude', pattern: '.*.polyarchiv-new/' },
  { rule: 'exclude', pattern: '.*.polyarchiv-old/' },
];
