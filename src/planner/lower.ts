import type { ResolvedConfig } from '../config/resolve.js';
import { sourceLeftovers } from '../engines/backup/source-leftovers.js';
import { COPY_GUARD_OPTION, copyMetadata } from '../engines/copy-in-place.js';
import type {
  BackupContext,
  BoundBackupPoint,
  BoundCollectPoint,
  BoundSource,
  EngineWarning,
  RestoreContext,
} from '../engines/engine.js';
import {
  backupChain,
  type ChainCopies,
  type ChainLink,
  chainBackup,
  chainEnd,
  chainRestore,
  collectChain,
} from '../engines/filter-chain.js';
import { destinationPath } from '../engines/toolkit.js';
import type { ActionDraft } from '../graph/action.js';

import { groupBy } from '../group-by.js';
import { fetchedMark } from '../state/fetched-copies.js';
import { collectDirPresent } from './collect-dir-check.js';
import { type HeldAtLastSuccess, heldCopyPresent } from './held-copy-check.js';
import type { UnitKind } from './plan.js';
import { markRestoreBegun, markRestoreEnded, noUnfinishedRestore } from './unfinished-restore.js';

/** The collect point as a backup point's engine sees it: its tree is the last filter's output. */
function shippedBy(cp: BoundCollectPoint, chain: readonly ChainLink[]): BoundCollectPoint {
  return chain.length === 0 ? cp : { ...cp, exportDir: chainEnd(cp.exportDir, chain) };
}

function collectChainOf(cp: BoundCollectPoint): ChainLink[] {
  if (cp.filters.length === 0) return [];
  const base = cp.engine.exportDir(cp.layout);
  return collectChain({ ...cp, base, leftovers: sourceLeftovers({ ...cp, exportDir: base }) });
}

/**
 * The copies of a backup point's filters keep what the backup point keeps (extended attributes,
 * ACLs) and are judged with its guard.
 */
function copiesOf(bp: BoundBackupPoint): ChainCopies {
  const has = (name: string) => bp.engine.options.some((option) => option.name === name);
  return {
    metadata: copyMetadata(bp.options),
    maxShrinkPercent: has('max_shrink_percent')
      ? bp.options.integer('max_shrink_percent')
      : Number(COPY_GUARD_OPTION.default),
  };
}

const COLLECT_COPIES: ChainCopies = {
  metadata: { xattrs: true, acls: true },
  maxShrinkPercent: Number(COPY_GUARD_OPTION.default),
};

/**
 * A unit before linking: the engines' drafts plus who it concerns. Ids join point names with `/`,
 * the one character a point name (a file name) cannot hold, so that they never collide.
 */
export interface DraftUnit {
  readonly id: string;
  readonly kind: UnitKind;
  readonly cp: BoundCollectPoint;
  readonly bp?: BoundBackupPoint;
  readonly drafts: readonly ActionDraft[];
  /** Why a restore unit runs (which backup point was chosen and how). */
  readonly why?: string;
  /** Its why is the restore's choice of copy, said as its steps begin. */
  readonly tellsWhy?: true;
  /** What the unit's success records in `data`, for a backup point that keeps a history. */
  readonly history?: { readonly recorded: unknown; readonly notes: readonly string[] };
  /** What the engine held back and why, said with the plan's warnings. */
  readonly warnings?: readonly EngineWarning[];
}

/**
 * Asks every engine for its backup actions: one collect unit per collect point, one unit per pair.
 * Handed out one unit at a time, as the planner finishes each: a unit's drafts are garbage as soon
 * as it is linked, so a plan of thousands of units never holds every draft at once.
 * `lastSuccess`: the collect point's last success its state recorded, said when its directory is
 * missing. `heldCopy`: what a pair's last success left on this host (a mirror, an archive...), checked
 * before anything is made there (heldCopyPresent); none with --allow-shrink.
 */
export function* lowerBackup(
  config: ResolvedConfig,
  contextOf: (bp: BoundBackupPoint) => BackupContext,
  lastSuccess: (cp: BoundCollectPoint) => string | null = () => null,
  heldCopy: (bp: BoundBackupPoint) => HeldAtLastSuccess | undefined = () => undefined,
): Generator<DraftUnit> {
  const pairsOf = groupBy(config.pairs, (pair) => pair.collectPoint);
  for (const cp of config.collectPoints) {
    yield {
      id: `collect:${cp.name}`,
      kind: 'collect',
      cp,
      drafts: [
        // Without sources, no restore changes live data, nor leaves any half done.
        ...(cp.sources.length === 0 ? [] : [noUnfinishedRestore(cp)]),
        ...cp.engine.beforeSources(cp),
        ...cp.sources.flatMap((source) => source.engine.backup(source, cp)),
        ...cp.engine.afterSources(cp),
        ...chainBackup(collectChainOf(cp), COLLECT_COPIES),
      ],
    };
    const leftovers = sourceLeftovers(cp);
    // Every pair of the collect point checks its directory first: one draft, made once.
    let present: ActionDraft | undefined;
    for (const bp of pairsOf.get(cp.name) ?? []) {
      present ??= collectDirPresent(cp, lastSuccess(cp));
      const chain = backupChain(bp, cp, leftovers);
      const lowered = bp.engine.backup(bp, shippedBy(cp, chain), contextOf(bp));
      const id = `backup:${bp.name}/${cp.name}`;
      const filtered = chain.length === 0 ? [] : chainBackup(chain, copiesOf(bp));
      // Before the filters and the engine's drafts, which make directories at the destination.
      const held = heldCopy(bp);
      const checks = held === undefined ? [present] : [present, heldCopyPresent(bp, held)];
      const drafts = (own: readonly ActionDraft[]) => [...checks, ...filtered, ...own];
      yield 'drafts' in lowered
        ? {
            id,
            kind: 'backup',
            cp,
            bp,
            drafts: drafts(lowered.drafts),
            history: { recorded: lowered.recorded, notes: lowered.notes },
            warnings: lowered.warnings,
          }
        : { id, kind: 'backup', cp, bp, drafts: drafts(lowered) };
    }
  }
}

/**
 * Restore of one collect point: fetch from the chosen backup point (if any), then the sources.
 * `at`: the time the collect point is restored to, the fetch's unless it fetches its newest copy
 * for the collect point's own history to look back in (`historyAt`).
 */
export function lowerRestore(
  cp: BoundCollectPoint,
  from: BoundBackupPoint | undefined,
  context: RestoreContext = { recorded: null },
  at: Date | undefined = context.at,
): DraftUnit[] {
  const units: DraftUnit[] = [];
  if (from !== undefined) {
    const chain = backupChain(from, cp, sourceLeftovers(cp));
    units.push({
      id: `fetch:${from.name}/${cp.name}`,
      kind: 'fetch',
      cp,
      bp: from,
      drafts: [
        markFetched(cp, from),
        ...from.engine.restore(from, shippedBy(cp, chain), context),
        ...chainRestore(chain, copiesOf(from)),
        ...(cp.sources.length === 0 ? [] : [fetchedSomething(from, cp)]),
      ],
    });
  }
  const sources = cp.sources.map((source) => confirmedFirst(source.engine.restore(source, cp)));
  units.push({
    id: `restore:${cp.name}`,
    kind: 'restore',
    cp,
    drafts: [
      ...chainRestore(collectChainOf(cp), COLLECT_COPIES),
      ...cp.engine.restoreBeforeSources(cp, at, from !== undefined && context.at !== undefined),
      // Each source's part of the copy, found before any source is judged, confirmed or restored.
      ...cp.sources.flatMap((source) => sourcePart(source, cp, from)),
      // Every source's confirmation, and the guard it judges, before any source changes: a source
      // whose copy is refused, or that the operator declines, leaves the others as they were
      // rather than restored without it.
      ...sources.flatMap((source) => source.confirms),
      ...markedWhileLive(
        cp,
        sources.map((source) => source.changes),
      ),
    ],
  });
  return units;
}

/**
 * The sources' changes, those to live data between the mark of an unfinished restore and its
 * removal: what only readies the collect point's copy, writes a private file, or judges what a
 * source loads (with the password file it needs), comes first. Every source's private files,
 * readied copies and checks come before any source changes live data, so that a check refusing
 * one source's dump leaves the others as they were; a mail copy aligned to the live mailboxes is
 * not among them, as another source's restore may change those mailboxes.
 */
function markedWhileLive(cp: BoundCollectPoint, sources: readonly (readonly ActionDraft[])[]): ActionDraft[] {
  const leading = sources.map((changes) => {
    const first = changes.findIndex((draft) => !judgesOrReadies(draft));
    return first < 0 ? changes.length : first;
  });
  const changes = [
    ...sources.flatMap((drafts, i) => drafts.slice(0, leading[i])),
    ...sources.flatMap((drafts, i) => drafts.slice(leading[i])),
  ];
  const first = changes.findIndex((draft) => draft.kind !== 'align-mailboxes' && !judgesOrReadies(draft));
  if (first < 0) return changes;
  return [...changes.slice(0, first), ...markRestoreBegun(cp), ...changes.slice(first), markRestoreEnded(cp)];
}

/** A private file, a copy readied, or a check of what a source loads: nothing live changes. */
const judgesOrReadies = (draft: ActionDraft): boolean =>
  draft.kind === 'private-file' ||
  (draft.kind === 'run' && draft.readiesCopy === true) ||
  (draft.kind === 'load' && draft.check === true);

/**
 * A fetch's first step, before it changes anything: the figures recorded for the collect point's
 * copies, and for what each of its backup points held, no longer hold once the fetch replaced the
 * copies, and the next backup measures them instead (`withoutFetchedFigures`). Its directory is
 * there: it holds the unit's lock.
 */
function markFetched(cp: BoundCollectPoint, bp: BoundBackupPoint): ActionDraft {
  const mark = fetchedMark(cp.layout.stateFile);
  return {
    kind: 'run',
    argv: ['touch', '--', mark],
    origin: bp.origin,
    summary: `mark collect point "${cp.name}" as fetched, for the next backup to measure its copies and what its backup points hold (${mark})`,
  };
}

/**
 * The end of a fetch: what it brought into the collect point's directory holds something, else
 * the backup point holds no copy of the collect point (an empty mirror, an archive of nothing),
 * which is said here rather than as a source's restore failing to read what is not there.
 */
function fetchedSomething(bp: BoundBackupPoint, cp: BoundCollectPoint): ActionDraft {
  return {
    kind: 'expect-copy',
    expect: 'entries',
    path: cp.exportDir,
    missing: `backup point "${bp.name}" holds no copy of collect point "${cp.name}": nothing was fetched into ${cp.exportDir}`,
    origin: bp.origin,
    summary: `check that the copy of "${cp.name}" fetched from backup point "${bp.name}" holds something`,
  };
}

/** A source's part of the copy a restore reads: its destination_path, which must be there. */
function sourcePart(
  source: BoundSource,
  cp: BoundCollectPoint,
  from: BoundBackupPoint | undefined,
): ActionDraft[] {
  if (!source.engine.options.some((option) => option.name === 'destination_path')) return [];
  const path = destinationPath(source, cp);
  const copy =
    from === undefined
      ? `the copy of collect point "${cp.name}"`
      : `the copy fetched from backup point "${from.name}"`;
  return [
    {
      kind: 'expect-copy',
      expect: 'path',
      path,
      missing: `${copy} holds nothing for source "${source.name}": ${path} is missing`,
      origin: source.origin,
      summary: `check that the copy holds source "${source.name}" (${path})`,
    },
  ];
}

/**
 * A source's restore: the confirmations it starts with (and the checks of what it loads), and the
 * steps that change its data.
 */
function confirmedFirst(drafts: readonly ActionDraft[]): {
  readonly confirms: readonly ActionDraft[];
  readonly changes: readonly ActionDraft[];
} {
  // A check, like a confirmation, changes nothing: it is one of the source's leading steps.
  const first = drafts.findIndex(
    (draft) =>
      draft.kind !== 'confirm' &&
      draft.kind !== 'verify-dump' &&
      draft.kind !== 'expect-copy' &&
      !(draft.kind === 'run' && draft.check === true),
  );
  const split = first < 0 ? drafts.length : first;
  return { confirms: drafts.slice(0, split), changes: drafts.slice(split) };
}
