import type { Diagnostics } from '../diag/diagnostic.js';
import type {
  BackupEngine,
  BoundBackupPoint,
  BoundCollectPoint,
  BoundFilter,
  VariableSources,
} from '../engines/engine.js';
import type { Variables } from '../options/variables.js';
import { canAssociate } from '../planner/associate.js';
import { BACKUP_POINT_OPTIONS, BACKUP_POINT_OWN_OPTIONS } from './common-options.js';
import type { ConfigFile } from './load.js';
import { checkStateMirror, METADATA_OPTIONS, metadataVariables } from './metadata-options.js';

const METADATA_NAMES = new Set(METADATA_OPTIONS.map((s) => s.name));

import type { BackupPointDef } from './resolve.js';
import { checkRootFiles, resolveFilters } from './resolve-filters.js';
import { resolveOptions } from './resolve-options.js';
import type { ScannedSection } from './scan.js';
import {
  labelledVariables,
  lookupEngine,
  pointSection,
  tagsOf,
  userVariables,
  variableEntries,
  variableSources,
} from './sections.js';

export function resolveBackupPoint(
  file: ConfigFile,
  name: string,
  sections: readonly ScannedSection[],
  builtins: Variables,
  pinned: Variables,
  collectPoints: readonly BoundCollectPoint[],
  saved: (cp: string) => Variables | undefined,
  diagnostics: Diagnostics,
): { def: BackupPointDef; pairs: BoundBackupPoint[] } | undefined {
  const point = pointSection(file, sections, diagnostics);
  if (point === undefined) return undefined;
  for (const section of sections) {
    if (section.kind === 'hook') lookupEngine(section.kind, section, diagnostics);
    if (
      section.kind === 'variables' &&
      section.label !== undefined &&
      !collectPoints.some((cp) => cp.name === section.label)
    ) {
      diagnostics.warning(
        `[variables "${section.label}"] names no collect point`,
        section.origin,
        `collect points: ${collectPoints.map((cp) => cp.name).join(', ')}`,
      );
    }
  }
  const engine = lookupEngine('backup', point, diagnostics) as BackupEngine | undefined;
  const shared = userVariables(sections);
  const ownVariables: Variables = { name, ...builtins, ...shared, ...pinned };
  const commonNames = BACKUP_POINT_OPTIONS.map((s) => s.name);
  // Without an engine its options are unknown: warning about each would point at the wrong line.
  const engineOptionNames =
    engine === undefined
      ? point.entries.map((e) => e.key).filter((k) => !commonNames.includes(k))
      : engine.options.map((s) => s.name);
  // Tags and frequency decide association, so they use the backup point's own variables.
  const common = resolveOptions(
    {
      section: point,
      specs: BACKUP_POINT_OWN_OPTIONS,
      variables: ownVariables,
      reserved: ['engine', ...engineOptionNames, ...METADATA_OPTIONS.map((s) => s.name)],
    },
    diagnostics,
  );
  if (engine === undefined) return undefined;
  const def: BackupPointDef = {
    name,
    file: file.name,
    origin: point.origin,
    engine,
    tags: tagsOf(common, 'backup_point_tags', 'included_collect_point_tags', 'excluded_collect_point_tags'),
    frequency: common.frequency(),
    frequencyOrigin: common.origin('frequency'),
  };
  // The common options were resolved above, once: the per-pair pass reads the engine's own.
  const specs = engine.options;
  const reserved = ['engine', ...commonNames];
  const associated = collectPoints.filter((cp) => canAssociate(cp.tags, def.tags));
  if (associated.length === 0) {
    const errorsBefore = diagnostics.errorCount;
    const options = resolveOptions({ section: point, specs, variables: ownVariables, reserved }, diagnostics);
    if (diagnostics.errorCount === errorsBefore) engine.check?.(options, diagnostics);
    checkFiltersAccepted(engine, resolveFilters(sections, ownVariables, diagnostics), diagnostics);
    return { def, pairs: [] };
  }
  // Most points have no metadata_* option: their pairs skip a second pass over the section.
  const hasMetadata = point.entries.some((e) => METADATA_NAMES.has(e.key));
  const metadataReserved = [
    'engine',
    ...BACKUP_POINT_OWN_OPTIONS.map((s) => s.name),
    ...specs.map((s) => s.name),
  ];
  const labelled = labelledVariables(sections);
  const pairs: BoundBackupPoint[] = [];
  for (const cp of associated) {
    const variables = pairVariables(name, shared, cp.variables, [
      saved(cp.name),
      labelled.get(cp.name),
      pinned,
    ]);
    const errorsBefore = diagnostics.errorCount;
    const context = `(for collect point '${cp.name}')`;
    const options = resolveOptions({ section: point, specs, variables, reserved, context }, diagnostics);
    const filters = resolveFilters(sections, variables, diagnostics, context);
    checkFiltersAccepted(engine, filters, diagnostics);
    checkRootFiles(cp.filters, filters, diagnostics);
    if (diagnostics.errorCount > errorsBefore) continue;
    engine.check?.(options, diagnostics);
    const sources = sourcesOf(cp, sections, saved(cp.name), pinned);
    const metadata = hasMetadata
      ? checkStateMirror(
          resolveOptions(
            {
              section: point,
              specs: METADATA_OPTIONS,
              variables: metadataVariables(variables),
              reserved: metadataReserved,
              context,
            },
            diagnostics,
          ),
          { name, collectPoint: cp.name },
          diagnostics,
          sources.variableSources,
        )
      : undefined;
    if (diagnostics.errorCount > errorsBefore) continue;
    const pair: BoundBackupPoint = {
      name,
      collectPoint: cp.name,
      file: file.name,
      origin: point.origin,
      engine,
      options,
      variables,
      ...sources,
      filters,
      tags: def.tags,
      frequency: def.frequency,
      frequencyOrigin: def.frequencyOrigin,
      stateFile: `${cp.layout.root}/metadata/remote-${name}/remote/${name}.json`,
      ...(metadata === undefined ? {} : { metadata }),
    };
    engine.checkPair?.(pair, cp, diagnostics);
    if (diagnostics.errorCount > errorsBefore) continue;
    pairs.push(pair);
  }
  return { def, pairs };
}

/**
 * A pair's variables, by layers from the weakest: the backup point's [variables], the collect
 * point's, what the pair's last run recorded, its [variables "COLLECT POINT"] and `--set`. Most
 * backup points add nothing to the collect point's: their pairs then share its object (variables
 * are never modified), which holds the same values in the same order (its `name` first, which
 * wins over the backup point's), instead of each copying some thirty values.
 */
function pairVariables(
  name: string,
  shared: Variables,
  collect: Variables,
  above: readonly (Variables | undefined)[],
): Variables {
  if (isEmpty(shared) && above.every((layer) => layer === undefined || isEmpty(layer))) return collect;
  return Object.assign({ name, ...shared, ...collect }, ...above);
}

function isEmpty(variables: Variables): boolean {
  for (const _ in variables) return false;
  return true;
}

/**
 * Where the pair's variables are given, laid over each other as `pairVariables` lays them: those
 * the recorded run gives have no line.
 */
function sourcesOf(
  cp: BoundCollectPoint,
  sections: readonly ScannedSection[],
  recorded: Variables | undefined,
  pinned: Variables,
): { variableSources?: VariableSources } {
  const below = variableSources([variableEntries(sections), cp.variableSources], {});
  if (below !== undefined && recorded !== undefined)
    for (const key of Object.keys(recorded)) below.delete(key);
  const sources = variableSources([below, variableEntries(sections, cp.name)], pinned);
  return sources === undefined ? {} : { variableSources: sources };
}

/** A backup point that ships a repository rather than a tree of files has nothing a filter could change. */
function checkFiltersAccepted(
  engine: BackupEngine,
  filters: readonly BoundFilter[],
  diagnostics: Diagnostics,
): void {
  const first = filters[0];
  if (engine.filtersRefused === undefined || first === undefined) return;
  diagnostics.error(
    `the ${engine.name} backup point takes no filter: ${engine.filtersRefused}`,
    first.origin,
    'put the filter on the collect point, or use a synchronize, archive, rolling_archive or restic backup point',
  );
}
