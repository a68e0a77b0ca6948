import type { Diagnostics } from '../diag/diagnostic.js';
import type { Origin } from '../diag/origin.js';
import type {
  BackupEngine,
  BoundBackupPoint,
  BoundCollectPoint,
  BoundHook,
  BoundSource,
  Tags,
} from '../engines/engine.js';
import type { RealPath } from '../fs-probe.js';
import { groupBy } from '../group-by.js';
import type { Frequency } from '../options/frequency.js';
import type { OptionValues } from '../options/schema.js';
import { builtinVariables, type HostFacts, type Variables } from '../options/variables.js';
import {
  AS_WRITTEN,
  checkOverlaps,
  type MirrorPlace,
  mirrorPlaces,
  type RealPaths,
} from './check-overlaps.js';
import { checkSecretNames } from './check-secret-names.js';
import { checkSourcePlaces, collectPointWithin } from './check-sources.js';
import { GLOBAL_OPTIONS, type Tool } from './common-options.js';
import type { ConfigFile, ConfigInput } from './load.js';
import { checkStateMirrorClashes } from './metadata-options.js';
import { resolveBackupPoint } from './resolve-backup-point.js';
import { resolveCollectPoint } from './resolve-collect-point.js';
import { type HookOwner, resolveHooks } from './resolve-hooks.js';
import { type ScannedSection, scanIni } from './scan.js';
import { checkSectionKinds, pointName, resolveGlobal, userVariables } from './sections.js';

export interface ResolveContext {
  readonly now: Date;
  readonly host: HostFacts;
  /** `--set NAME=VALUE`: wins over every other definition. */
  readonly pinned: Variables;
  /**
   * Time and host variables recorded by the last successful run (restore): they replace the
   * built-ins so that dated paths point at what that run wrote.
   */
  readonly saved?: SavedVariables;
  /**
   * Where a path leads on this machine (`realPaths` in fs-probe.ts), for the checks of directories
   * that overlap and a source's copy that holds its collect point; absent, paths are compared as
   * written (a review render reads nothing of the machine).
   */
  readonly realPath?: RealPath;
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
  /** The `[global]` sections, whose options name programs of this machine (check-host.ts). */
  readonly globals?: readonly OptionValues[];
  /**
   * The options of collect points and their sources refused for an error in their file, that
   * check-host.ts reads as it reads the others (a configuration with errors is never run).
   */
  readonly refusedOptions?: readonly OptionValues[];
  /** Hooks of the `.global` files, around the whole run. */
  readonly globalHooks?: readonly BoundHook[];
}
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
  const globalHooks: BoundHook[] = [];
  const globals: OptionValues[] = [];
  const refusedOptions: OptionValues[] = [];
  const backupFiles: { file: ConfigFile; sections: readonly ScannedSection[] }[] = [];
  for (const file of input.files) {
    const scanned = scanIni(file.name, file.text, diagnostics);
    checkSectionKinds(file, scanned.sections, diagnostics);
    const name = pointName(file, diagnostics);
    if (file.kind === 'global') {
      globals.push(...resolveGlobal(scanned.sections, tools, diagnostics));
      const variables = { ...builtins, ...userVariables(scanned.sections), ...ctx.pinned };
      globalHooks.push(...resolveHooks(scanned.sections, globalHookOwner(variables), diagnostics));
    } else if (file.kind === 'backup') backupFiles.push({ file, sections: scanned.sections });
    else if (name !== undefined) {
      // What a restore's last run recorded; thousands of points without it share the built-ins.
      const saved = ctx.saved?.collect(name);
      const ownBuiltins = saved === undefined ? builtins : { ...builtins, ...saved };
      const cp = resolveCollectPoint(
        file,
        name,
        scanned.sections,
        ownBuiltins,
        ctx.pinned,
        diagnostics,
        refusedOptions,
      );
      if (cp !== undefined) collectPoints.push(withHooks(cp, scanned.sections, diagnostics));
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
    bindings.push(...result.pairs.map((pair) => pairWithHooks(pair, sections, diagnostics)));
  }
  const byCollectPoint = groupBy(bindings, (binding) => binding.collectPoint);
  const pairs = collectPoints.flatMap((cp) => byCollectPoint.get(cp.name) ?? []);
  const mirrors = mirrorPlaces(pairs);
  const real = ctx.realPath === undefined ? AS_WRITTEN : realPathsOf(collectPoints, mirrors, ctx.realPath);
  checkOverlaps(collectPoints, mirrors, real, diagnostics);
  checkSourcePlaces(collectPoints, mirrors, real, diagnostics);
  checkSecretNames({ collectPoints, pairs, globalHooks }, diagnostics);
  checkStateMirrorClashes(pairs, diagnostics);
  return {
    collectPoints: collectPoints.map((cp) => withCollectPointsWithin(cp, real)),
    backupPoints,
    pairs,
    tools,
    ...(globals.length === 0 ? {} : { globals }),
    ...(refusedOptions.length === 0 ? {} : { refusedOptions }),
    ...(globalHooks.length === 0 ? {} : { globalHooks }),
  };
}

/** Where each directory the checks compare leads on this machine: the one look at it there. */
function realPathsOf(
  collectPoints: readonly BoundCollectPoint[],
  mirrors: readonly MirrorPlace[],
  realPath: RealPath,
): RealPaths {
  const real = new Map<string, string>();
  const add = (path: string | undefined) => {
    if (path !== undefined && !real.has(path)) real.set(path, realPath(path));
  };
  for (const cp of collectPoints) {
    add(cp.layout.root);
    // Destinations are not looked at: all of one collect point's lie under its root, whose
    // link, if any, moves them alike, and below it are directories the copies make.
    for (const source of cp.sources) add(source.engine.location?.(source.options));
  }
  for (const mirror of mirrors) add(mirror.path);
  return real;
}

/** Its sources, each told whether the tree it copies holds the collect point (and where). */
function withCollectPointsWithin(cp: BoundCollectPoint, real: RealPaths): BoundCollectPoint {
  let sources: BoundSource[] | undefined;
  cp.sources.forEach((source, i) => {
    const within = collectPointWithin(source, cp, real);
    if (within === undefined) return;
    sources ??= [...cp.sources];
    sources[i] = { ...source, collectPointWithin: within };
  });
  return sources === undefined ? cp : { ...cp, sources };
}

/** Global hooks have the run's variables: the built-ins and the `.global` files' [variables]. */
const globalHookOwner = (variables: Variables): HookOwner => ({
  variables,
  secretPoint: 'global',
  secretOwner: (hook) => `hook ${hook}`,
});

function withHooks(
  cp: BoundCollectPoint,
  sections: readonly ScannedSection[],
  diagnostics: Diagnostics,
): BoundCollectPoint {
  const owner: HookOwner = {
    variables: cp.variables,
    secretPoint: cp.name,
    secretOwner: (hook) => `hook ${hook}`,
  };
  const hooks = resolveHooks(sections, owner, diagnostics);
  return hooks.length === 0 ? cp : { ...cp, hooks };
}

/** A backup point's hooks have the pair's variables (the date, fqdn...), with `name` the point's. */
function pairWithHooks(
  pair: BoundBackupPoint,
  sections: readonly ScannedSection[],
  diagnostics: Diagnostics,
): BoundBackupPoint {
  // Most backup points have no hook: their thousands of pairs skip copying the variables.
  if (!sections.some((section) => section.kind === 'hook')) return pair;
  const owner: HookOwner = {
    variables: { ...pair.variables, name: pair.name },
    secretPoint: pair.name,
    secretOwner: (hook) => `${pair.collectPoint} hook ${hook}`,
    context: `(for collect point '${pair.collectPoint}')`,
  };
  const hooks = resolveHooks(sections, owner, diagnostics);
  return hooks.length === 0 ? pair : { ...pair, hooks };
}
