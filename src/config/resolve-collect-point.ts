import type { Diagnostics } from '../diag/diagnostic.js';
import type { Origin } from '../diag/origin.js';
import { sourceLeftovers } from '../engines/backup/source-leftovers.js';
import type { BoundCollectPoint, BoundSource, CollectEngine, CollectLayout } from '../engines/engine.js';
import { chainEnd, collectChain } from '../engines/filter-chain.js';
import { enginesOf } from '../engines/registry.js';
import type { OptionSpec, OptionValues } from '../options/schema.js';
import type { Variables } from '../options/variables.js';
import { COLLECT_POINT_OPTIONS } from './common-options.js';
import type { ConfigFile } from './load.js';
import { checkRootFiles, resolveFilters } from './resolve-filters.js';
import { resolveOptions } from './resolve-options.js';
import type { ScannedSection } from './scan.js';
import {
  lookupEngine,
  pointSection,
  tagsOf,
  userVariables,
  variableEntries,
  variableSources,
} from './sections.js';

const SOURCE_OPTION_PLACE =
  'it is an option of sources: set it in each [source] section, or in [DEFAULT] for every section of this file';
const POINT_OPTION_PLACE = "it is an option of the collect point: set it in the file's [point] section";

/** An option that some source engine takes. */
const isSourceOption = (key: string): boolean =>
  enginesOf('source').some((engine) => engine.options.some((spec) => spec.name === key));

/** Read elsewhere: one array for every section, by which sections with the same keys share their layout. */
const ENGINE_KEY: readonly string[] = ['engine'];

/**
 * The options of a collect point of `engine`: one array for all its points, by which their
 * sections share what they resolve alike (option-layout.ts).
 */
const specsByEngine = new Map<CollectEngine | undefined, readonly OptionSpec[]>();

function collectPointSpecs(engine: CollectEngine | undefined): readonly OptionSpec[] {
  let specs = specsByEngine.get(engine);
  if (specs === undefined) {
    specs = [...COLLECT_POINT_OPTIONS, ...(engine?.options ?? [])];
    specsByEngine.set(engine, specs);
  }
  return specs;
}

export function resolveCollectPoint(
  file: ConfigFile,
  name: string,
  sections: readonly ScannedSection[],
  builtins: Variables,
  pinned: Variables,
  diagnostics: Diagnostics,
  refused?: OptionValues[],
): BoundCollectPoint | undefined {
  const point = pointSection(file, sections, diagnostics);
  if (point === undefined) return undefined;
  const errorsBefore = diagnostics.errorCount;
  const variables: Variables = { name, ...builtins, ...userVariables(sections), ...pinned };
  const engine = lookupEngine('collect', point, diagnostics) as CollectEngine | undefined;
  const specs = collectPointSpecs(engine);
  // Without an engine its options are unknown: warning about each would point at the wrong line.
  const unknownEngineKeys =
    engine === undefined
      ? point.entries.map((e) => e.key).filter((k) => !specs.some((s) => s.name === k))
      : [];
  const options = resolveOptions(
    {
      section: point,
      specs,
      variables,
      reserved: unknownEngineKeys.length === 0 ? ENGINE_KEY : ['engine', ...unknownEngineKeys],
      elsewhere: (key) => (isSourceOption(key) ? SOURCE_OPTION_PLACE : undefined),
    },
    diagnostics,
  );
  const sources: BoundSource[] = [];
  const labels = new Map<string, Origin>();
  for (const section of sections) {
    if (section.kind !== 'source' && section.kind !== 'filter' && section.kind !== 'hook') continue;
    const first = labels.get(`${section.kind}:${section.label}`);
    if (first !== undefined)
      diagnostics.error(
        `duplicate ${section.kind} name '${section.label}' (first defined on line ${first.line})`,
        section.origin,
      );
    labels.set(`${section.kind}:${section.label}`, section.origin);
    if (section.kind === 'filter') continue;
    const sourceEngine = lookupEngine(section.kind, section, diagnostics);
    if (sourceEngine?.role !== 'source') continue;
    const sourceErrorsBefore = diagnostics.errorCount;
    const sourceOptions = resolveOptions(
      {
        section,
        specs: sourceEngine.options,
        variables,
        reserved: ENGINE_KEY,
        elsewhere: (key) => (specs.some((spec) => spec.name === key) ? POINT_OPTION_PLACE : undefined),
      },
      diagnostics,
    );
    // A check reads options together: with one of them missing or refused, it has nothing to read.
    if (diagnostics.errorCount === sourceErrorsBefore) sourceEngine.check?.(sourceOptions, diagnostics);
    sources.push({
      name: section.label ?? '',
      origin: section.origin,
      engine: sourceEngine,
      options: sourceOptions,
    });
  }
  const filters = resolveFilters(sections, variables, diagnostics);
  checkRootFiles([], filters, diagnostics);
  if (engine === undefined || diagnostics.errorCount > errorsBefore) {
    // What did resolve is still read on this machine's side (check-host.ts): a user fixing this
    // file's errors learns of a missing pattern file in the same round.
    refused?.push(options, ...sources.map((source) => source.options));
    return undefined;
  }
  engine.check?.(options, diagnostics);
  const layout = collectLayout(options.string('local_path'), name);
  for (const source of sources) {
    source.engine.checkPlacement?.(source, layout, diagnostics);
    checkReservedPaths(engine, source, diagnostics);
  }
  const base = engine.exportDir(layout);
  let unfiltered: BoundCollectPoint = {
    name,
    file: file.name,
    origin: point.origin,
    engine,
    options,
    variables,
    layout,
    exportDir: base,
    sources,
    filters,
    tags: tagsOf(options, 'collect_point_tags', 'included_backup_point_tags', 'excluded_backup_point_tags'),
    frequency: options.frequency(),
    frequencyOrigin: options.origin('frequency'),
  };
  const given = variableSources([variableEntries(sections)], pinned);
  if (given !== undefined) unfiltered = { ...unfiltered, variableSources: given };
  if (filters.length === 0) return unfiltered;
  const chain = collectChain({ name, layout, base, filters, leftovers: sourceLeftovers(unfiltered) });
  return { ...unfiltered, exportDir: chainEnd(base, chain) };
}

export function collectLayout(root: string, name: string): CollectLayout {
  const metadataDir = `${root}/metadata/collect_point`;
  return {
    root,
    importDir: `${root}/backups`,
    metadataDir,
    stateFile: `${metadataDir}/${name}.json`,
    lockFile: `${metadataDir}/lock`,
    workDir: `${root}/metadata/work`,
  };
}

/** A source writing into a path its collect point keeps for itself (git's `.git`) would corrupt it. */
function checkReservedPaths(engine: CollectEngine, source: BoundSource, diagnostics: Diagnostics): void {
  const path = source.options.optionalString('destination_path');
  if (path === undefined) return;
  const reserved = engine.reservedPaths?.find((r) => path === r || path.startsWith(`${r}/`));
  if (reserved === undefined) return;
  diagnostics.error(
    `destination_path '${path}' of source "${source.name}" is inside ${reserved}, which the ${engine.name} collect point keeps for itself`,
    source.options.origin('destination_path'),
    'choose another sub-directory of the collect point',
  );
}
