import type { ResolvedConfig } from '../config/resolve.js';
import type {
  BackupContext,
  BoundBackupPoint,
  BoundCollectPoint,
  RestoreContext,
} from '../engines/engine.js';
import type { ActionDraft } from '../graph/action.js';
import { groupBy } from '../group-by.js';
import type { UnitKind } from './plan.js';

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
  /** What the unit's success records in `data`, for a backup point that keeps a history. */
  readonly history?: { readonly recorded: unknown; readonly notes: readonly string[] };
  /** What the engine held back and why, said with the plan's warnings. */
  readonly warnings?: readonly string[];
}

/** Asks every engine for its backup actions: one collect unit per collect point, one unit per pair. */
export function lowerBackup(
  config: ResolvedConfig,
  contextOf: (bp: BoundBackupPoint) => BackupContext,
): DraftUnit[] {
  const units: DraftUnit[] = [];
  const pairsOf = groupBy(config.pairs, (pair) => pair.collectPoint);
  for (const cp of config.collectPoints) {
    units.push({
      id: `collect:${cp.name}`,
      kind: 'collect',
      cp,
      drafts: [
        ...cp.engine.beforeSources(cp),
        ...cp.sources.flatMap((source) => source.engine.backup(source, cp)),
        ...cp.engine.afterSources(cp),
      ],
    });
    for (const bp of pairsOf.get(cp.name) ?? []) {
      const lowered = bp.engine.backup(bp, cp, contextOf(bp));
      const unit = { id: `backup:${bp.name}/${cp.name}`, kind: 'backup' as const, cp, bp };
      units.push(
        'drafts' in lowered
          ? {
              ...unit,
              drafts: lowered.drafts,
              history: { recorded: lowered.recorded, notes: lowered.notes },
              warnings: lowered.warnings,
            }
          : { ...unit, drafts: lowered },
      );
    }
  }
  return units;
}

/** Restore of one collect point: fetch from the chosen backup point (if any), then the sources. */
export function lowerRestore(
  cp: BoundCollectPoint,
  from: BoundBackupPoint | undefined,
  context: RestoreContext = { recorded: null },
): DraftUnit[] {
  const units: DraftUnit[] = [];
  if (from !== undefined) {
    units.push({
      id: `fetch:${from.name}/${cp.name}`,
      kind: 'fetch',
      cp,
      bp: from,
      drafts: from.engine.restore(from, cp, context),
    });
  }
  units.push({
    id: `restore:${cp.name}`,
    kind: 'restore',
    cp,
    drafts: [
      ...cp.engine.restoreBeforeSources(cp),
      ...cp.sources.flatMap((source) => source.engine.restore(source, cp)),
    ],
  });
  return units;
}
