import type { Diagnostics } from '../diag/diagnostic.js';
import { didYouMean } from '../diag/did-you-mean.js';
import type { Origin } from '../diag/origin.js';
import type {
  BackupEngine,
  BoundBackupPoint,
  BoundCollectPoint,
  BoundSource,
  CollectEngine,
  CollectLayout,
  Engine,
  Role,
  Tags,
} from '../engines/engine.js';
import { findEngine } from '../engines/registry.js';
import { canAssociate } from '../planner/associate.js';
import { checkOverlaps } from './check-overlaps.js';
import { BACKUP_POINT_OPTIONS, COLLECT_POINT_OPTIONS, GLOBAL_OPTIONS, type Tool } from './common-options.js';
import { hasControlCharacters } from './control-characters.js';
import type { Frequency } from './frequency.js';
import type { ConfigFile, ConfigInput, FileKind } from './load.js';
import { resolveOptions } from './resolve-options.js';
import { type ScannedSection, scanIni } from './scan.js';
import type { OptionValues } from './schema.js';
import { builtinVariables, type HostFacts, type Variables } from './variables.js';

export interface ResolveContext {
  readonly now: Date;
  readonly host: HostFacts;
  /** `--set NAME=VALUE`: wins over every other definition. */
  readonly pinned: Variables;
  /**
   * Time and host variables recorded by the last successful run (restore): they replace the
   * built-ins so that dated paths point at what that run wrote (reference §12 item 4).
   */
  readonly saved?: SavedVariables;
}

export interface SavedVariables {
  readonly collect: (cp: string) => Variables | undefined;
  readonly pair: (bp: string, cp: string) => Variables | undefined;
}

export interface BackupPointDef {
  readonly name: string;
  readonly file: string;
  readonly origin: Origin;
  readonly engine: BackupEngine;
  readonly tags: Tags;
  readonly frequency: Frequency;
  readonly frequencyOrigin: Origin;
}

export interface ResolvedConfig {
  readonly collectPoints: readonly BoundCollectPoint[];
  readonly backupPoints: readonly BackupPointDef[];
  /** Associated pairs only, in collect point then backup point file order. */
  readonly pairs: readonly BoundBackupPoint[];
  readonly tools: Readonly<Record<Tool, string>>;
}

const ALLOWED: Readonly<Record<FileKind, string>> = {
  collect: '[point], [source "NAME"], [filter "NAME"], [hook "NAME"] or [variables]',
  backup: '[point], [filter "NAME"], [hook "NAME"], [variables] or [variables "COLLECT POINT"]',
  global: '[global], [hook "NAME"] or [variables]',
};

/** Sections, engines and typed options from the scanned files; nothing here touches the disk. */
export function resolveConfig(
  input: ConfigInput,
  ctx: ResolveContext,
  diagnostics: Diagnostics,
): ResolvedConfig {
  const builtins = builtinVariables(ctx.now, ctx.host);
  const tools = Object.fromEntries(
    GLOBAL_OPTIONS.map((s) => [s.name.replace('_executable', ''), s.default]),
  ) as Record<Tool, string>;
  const collectPoints: BoundCollectPoint[] = [];
  const backupFiles: { file: ConfigFile; sections: readonly ScannedSection[] }[] = [];
  for (const file of input.files) {
    const scanned = scanIni(file.name, file.text, diagnostics);
    checkSectionKinds(file, scanned.sections, diagnostics);
    const name = pointName(file, diagnostics);
    if (file.kind === 'global') resolveGlobal(scanned.sections, tools, diagnostics);
    else if (file.kind === 'backup') backupFiles.push({ file, sections: scanned.sections });
    else if (name !== undefined) {
      const ownBuiltins = { ...builtins, ...ctx.saved?.collect(name) };
      const cp = resolveCollectPoint(file, name, scanned.sections, ownBuiltins, ctx.pinned, diagnostics);
      if (cp !== undefined) collectPoints.push(cp);
    }
  }
  const backupPoints: BackupPointDef[] = [];
  const bindings: BoundBackupPoint[] = [];
  for (const { file, sections } of backupFiles) {
    const name = pointName(file, diagnostics);
    if (name === undefined) continue;
    const saved = (cp: string) => ctx.saved?.pair(name, cp);
    const result = resolveBackupPoint(
      file,
      name,
      sections,
      builtins,
      ctx.pinned,
      collectPoints,
      saved,
      diagnostics,
    );
    if (result === undefined) continue;
    backupPoints.push(result.def);
    bindings.push(...result.pairs);
  }
  const pairs = collectPoints.flatMap((cp) => bindings.filter((b) => b.collectPoint === cp.name));
  checkOverlaps(collectPoints, pairs, diagnostics);
  return { collectPoints, backupPoints, pairs, tools };
}

function pointName(file: ConfigFile, diagnostics: Diagnostics): string | undefined {
  const name = file.name.slice(0, file.name.lastIndexOf('.'));
  if (hasControlCharacters(name) || /[{}]/.test(name)) {
    diagnostics.error(
      `point name '${name}' (from the file name) contains control characters or braces`,
      { file: file.name, line: 0 },
      'rename the file',
    );
    return undefined;
  }
  return name;
}

function checkSectionKinds(
  file: ConfigFile,
  sections: readonly ScannedSection[],
  diagnostics: Diagnostics,
): void {
  for (const section of sections) {
    if (section.kind === 'invalid') continue;
    const allowed =
      file.kind === 'collect'
        ? ['point', 'source', 'filter', 'hook'].includes(section.kind) ||
          (section.kind === 'variables' && section.label === undefined)
        : file.kind === 'backup'
          ? ['point', 'filter', 'hook', 'variables'].includes(section.kind)
          : ['global', 'hook', 'variables'].includes(section.kind) &&
            !(section.kind === 'variables' && section.label !== undefined);
    if (allowed) continue;
    const home = homeOf(section);
    const message =
      home === undefined || home === file.kind
        ? `unknown section [${section.header}] in a .${file.kind} file`
        : `section [${section.header}] belongs in a .${home} file, not in a .${file.kind} file`;
    diagnostics.error(message, section.origin, `expected ${ALLOWED[file.kind]}`);
  }
}

function homeOf(section: ScannedSection): FileKind | undefined {
  switch (section.kind) {
    case 'source':
      return 'collect';
    case 'global':
      return 'global';
    case 'variables':
      return section.label === undefined ? undefined : 'backup';
    case 'point':
    case 'filter':
    case 'hook':
    case 'other':
    case 'invalid':
      return undefined;
  }
}

function resolveGlobal(
  sections: readonly ScannedSection[],
  tools: Record<Tool, string>,
  diagnostics: Diagnostics,
): void {
  for (const section of sections) {
    if (section.kind === 'hook') lookupEngine('hook', section, diagnostics);
    if (section.kind !== 'global') continue;
    const options = resolveOptions({ section, specs: GLOBAL_OPTIONS, variables: {} }, diagnostics);
    for (const tool of Object.keys(tools) as Tool[]) {
      const path = options.optionalString(`${tool}_executable`);
      if (path !== undefined && path !== '') tools[tool] = path;
    }
  }
}

function userVariables(sections: readonly ScannedSection[], label?: string): Record<string, string> {
  const section = sections.find((s) => s.kind === 'variables' && s.label === label);
  return Object.fromEntries((section?.entries ?? []).map((e) => [e.key, e.value]));
}

function pointSection(file: ConfigFile, sections: readonly ScannedSection[], diagnostics: Diagnostics) {
  const point = sections.find((s) => s.kind === 'point');
  if (point === undefined)
    diagnostics.error(
      `missing [point] section`,
      { file: file.name, line: 0 },
      'every .collect and .backup file defines one point',
    );
  return point;
}

function lookupEngine<R extends Role>(
  role: R,
  section: ScannedSection,
  diagnostics: Diagnostics,
): Extract<Engine, { role: R }> | undefined {
  const entry = section.entries.find((e) => e.key === 'engine');
  if (entry === undefined) {
    diagnostics.error(
      `missing required option 'engine'`,
      section.origin,
      `the engine of this ${roleWord(role)}`,
    );
    return undefined;
  }
  const found = findEngine(role, entry.value);
  switch (found.kind) {
    case 'found':
      return found.engine as Extract<Engine, { role: R }>;
    case 'not-available':
      diagnostics.error(
        `${roleWord(role)} engine '${found.name}' is not available in this version`,
        entry.origin,
      );
      return undefined;
    case 'unknown': {
      const guess = didYouMean(entry.value.toLowerCase(), found.known);
      diagnostics.error(
        `unknown ${roleWord(role)} engine '${entry.value}'`,
        entry.origin,
        guess !== undefined
          ? `did you mean '${guess}'?`
          : found.known.length > 0
            ? `available: ${found.known.join(', ')}`
            : `no ${roleWord(role)} engine is available in this version`,
      );
      return undefined;
    }
  }
}

const roleWord = (role: Role): string =>
  ({ source: 'source', collect: 'collect point', backup: 'backup point', filter: 'filter', hook: 'hook' })[
    role
  ];

function tagsOf(options: OptionValues, own: string, included: string, excluded: string): Tags {
  return { own: options.list(own), included: options.list(included), excluded: options.list(excluded) };
}

function resolveCollectPoint(
  file: ConfigFile,
  name: string,
  sections: readonly ScannedSection[],
  builtins: Variables,
  pinned: Variables,
  diagnostics: Diagnostics,
): BoundCollectPoint | undefined {
  const point = pointSection(file, sections, diagnostics);
  if (point === undefined) return undefined;
  const errorsBefore = diagnostics.errors.length;
  const variables: Variables = { name, ...builtins, ...userVariables(sections), ...pinned };
  const engine = lookupEngine('collect', point, diagnostics) as CollectEngine | undefined;
  const specs = [...COLLECT_POINT_OPTIONS, ...(engine?.options ?? [])];
  // Without an engine its options are unknown: warning about each would point at the wrong line.
  const unknownEngineKeys =
    engine === undefined
      ? point.entries.map((e) => e.key).filter((k) => !specs.some((s) => s.name === k))
      : [];
  const options = resolveOptions(
    { section: point, specs, variables, reserved: ['engine', ...unknownEngineKeys] },
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
    const sourceEngine = lookupEngine(section.kind, section, diagnostics);
    if (sourceEngine?.role !== 'source') continue;
    const sourceOptions = resolveOptions(
      { section, specs: sourceEngine.options, variables, reserved: ['engine'] },
      diagnostics,
    );
    sourceEngine.check?.(sourceOptions, diagnostics);
    sources.push({
      name: section.label ?? '',
      origin: section.origin,
      engine: sourceEngine,
      options: sourceOptions,
    });
  }
  if (engine === undefined || diagnostics.errors.length > errorsBefore) return undefined;
  engine.check?.(options, diagnostics);
  const layout = collectLayout(options.string('local_path'), name);
  return {
    name,
    file: file.name,
    origin: point.origin,
    engine,
    options,
    variables,
    layout,
    exportDir: engine.exportDir(layout),
    sources,
    tags: tagsOf(options, 'collect_point_tags', 'included_backup_point_tags', 'excluded_backup_point_tags'),
    frequency: options.frequency(),
    frequencyOrigin: options.origin('frequency'),
  };
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

function resolveBackupPoint(
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
    if (section.kind === 'filter' || section.kind === 'hook')
      lookupEngine(section.kind, section, diagnostics);
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
  const ownVariables: Variables = { name, ...builtins, ...userVariables(sections), ...pinned };
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
      specs: BACKUP_POINT_OPTIONS,
      variables: ownVariables,
      reserved: ['engine', ...engineOptionNames],
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
    const options = resolveOptions({ section: point, specs, variables: ownVariables, reserved }, diagnostics);
    engine.check?.(options, diagnostics);
    return { def, pairs: [] };
  }
  const pairs: BoundBackupPoint[] = [];
  for (const cp of associated) {
    const variables: Variables = {
      name,
      ...userVariables(sections),
      ...cp.variables,
      ...saved(cp.name),
      ...userVariables(sections, cp.name),
      ...pinned,
    };
    const errorsBefore = diagnostics.errors.length;
    const options = resolveOptions(
      { section: point, specs, variables, reserved, context: `(for collect point '${cp.name}')` },
      diagnostics,
    );
    if (diagnostics.errors.length > errorsBefore) continue;
    engine.check?.(options, diagnostics);
    if (diagnostics.errors.length > errorsBefore) continue;
    const pair: BoundBackupPoint = {
      name,
      collectPoint: cp.name,
      file: file.name,
      origin: point.origin,
      engine,
      options,
      variables,
      tags: def.tags,
      frequency: def.frequency,
      frequencyOrigin: def.frequencyOrigin,
      stateFile: `${cp.layout.root}/metadata/remote-${name}/remote/${name}.json`,
    };
    pairs.push(pair);
  }
  return { def, pairs };
}
