import { hostname, userInfo } from 'node:os';
import { type ConfigInput, loadConfigDir, type UnreadableFiles } from './config/load.js';
import {
  type ResolveContext,
  type ResolvedConfig,
  resolveConfig,
  type SavedVariables,
} from './config/resolve.js';
import { Diagnostics } from './diag/diagnostic.js';
import { secretValues, secretVariables } from './engines/secrets.js';
import { isDirectory, type RealPath, realPaths } from './fs-probe.js';
import { groupBy } from './group-by.js';
import { VERSION } from './install/paths.js';
import type { HostFacts } from './options/variables.js';
import { planParts } from './planner/build-plan.js';
import { collectPlan, type Plan, type PlanParts, type Selection } from './planner/plan.js';
import { type MarkedStates, withoutFetchedFigures } from './state/fetched-copies.js';
import { recordedVariablesOf } from './state/point-state.js';
import { readMirroredStates } from './state/read-mirrored-states.js';
import { readStates, type StateSnapshots } from './state/read-states.js';

export interface PipelineRequest {
  readonly configDir: string;
  readonly mode: 'backup' | 'restore';
  readonly now: Date;
  readonly pinned: Readonly<Record<string, string>>;
  readonly selection: Selection;
  /**
   * The command line that regenerates the plan; a function is told the `--set` variables whose
   * values are secrets, which it must not show.
   */
  readonly regenerate: string | ((withheld: ReadonlySet<string>) => string);
  /** Called once the configuration is read, before it is resolved (the CLI sizes node's heap by it). */
  readonly onRead?: (input: ConfigInput) => void;
}

export interface PipelineResult {
  readonly diagnostics: Diagnostics;
  readonly input: ConfigInput;
  readonly config?: ResolvedConfig;
  /** Absent when the configuration has errors: an errored plan is never rendered or applied. */
  readonly plan?: Plan;
}

/** The facts of this machine that variables use, unless `--set` pins them. */
export function hostFacts(pinned: Readonly<Record<string, string>>): HostFacts {
  const fqdn = pinned.fqdn ?? hostname();
  return {
    fqdn,
    hostname: pinned.hostname ?? fqdn.split('.')[0] ?? fqdn,
    username: pinned.username ?? userInfo().username,
  };
}

/**
 * A review render reads nothing of the machine: its host is the `--set fqdn=` it was given
 * (checked by the CLI), and the user the one that scheduled runs have, unless pinned too.
 */
export const REVIEW_USERNAME = 'root';

export interface LoadOptions {
  /** Told the files as soon as they are read (the young generation is sized from them). */
  readonly onRead?: ((input: ConfigInput) => void) | undefined;
  /**
   * Where the overlap checks find the directories paths lead to on this machine; null, they
   * compare the paths as written (a review render reads nothing of the machine).
   */
  readonly realPath?: RealPath | null;
  /** What becomes of a file this user cannot read (config/load.ts). */
  readonly unreadableFiles?: UnreadableFiles;
}

/** load -> scan -> resolve; the configuration alone, for `validate`, `config` and `plugins`. */
export function loadConfiguration(
  configDir: string,
  now: Date,
  pinned: Readonly<Record<string, string>>,
  options: LoadOptions = {},
) {
  const diagnostics = new Diagnostics();
  const input = loadConfigDir(configDir, diagnostics, options.unreadableFiles);
  options.onRead?.(input);
  const realPath = options.realPath === undefined ? realPaths() : options.realPath;
  const config = resolveConfig(input, resolveContext(now, pinned, realPath ?? undefined), diagnostics);
  return { diagnostics, input, config };
}

function resolveContext(
  now: Date,
  pinned: Readonly<Record<string, string>>,
  realPath: RealPath | undefined,
  saved?: SavedVariables,
): ResolveContext {
  return {
    now,
    host: hostFacts(pinned),
    pinned,
    ...(realPath === undefined ? {} : { realPath }),
    ...(saved === undefined ? {} : { saved }),
  };
}

function stateFilesOf(config: ResolvedConfig): string[] {
  return [
    ...config.collectPoints.map((cp) => cp.layout.stateFile),
    ...config.pairs.map((pair) => pair.stateFile),
  ];
}

/** Each collect point's state file with its pairs', which a fetch's mark outdates together. */
function markedStatesOf(config: ResolvedConfig): MarkedStates[] {
  const pairs = groupBy(config.pairs, (pair) => pair.collectPoint);
  return config.collectPoints.map((cp) => ({
    stateFile: cp.layout.stateFile,
    pairStateFiles: (pairs.get(cp.name) ?? []).map((pair) => pair.stateFile),
  }));
}

function savedVariables(config: ResolvedConfig, states: StateSnapshots): SavedVariables {
  const recorded = (file: string | undefined) =>
    file === undefined ? undefined : recordedVariablesOf(states.get(file)?.state);
  // Looked up once per point and per pair: maps, not a search of every pair for each.
  const collectPoints = groupBy(config.collectPoints, (cp) => cp.name);
  const pairs = groupBy(config.pairs, (p) => `${p.name}\0${p.collectPoint}`);
  return {
    collect: (cp) => recorded(collectPoints.get(cp)?.[0]?.layout.stateFile),
    pair: (bp, cp) => recorded(pairs.get(`${bp}\0${cp}`)?.[0]?.stateFile),
  };
}

/** The state files here, and for pairs whose file is missing, their metadata_url's copy. */
function readLocalAndMirrored(config: ResolvedConfig, diagnostics: Diagnostics): StateSnapshots {
  const local = readStates(stateFilesOf(config), diagnostics);
  let secrets: Map<string, string> | undefined;
  const mirrored = readMirroredStates(
    config.pairs,
    local,
    config.tools,
    () => {
      secrets ??= secretValues(config);
      return secrets;
    },
    diagnostics,
  );
  return mirrored.size === 0 ? local : new Map([...local, ...mirrored]);
}

/** load -> scan -> resolve -> lower -> link -> select -> order. */
export function makePlan(request: PipelineRequest): PipelineResult {
  const { parts, ...result } = makePlanParts(request);
  if (parts === undefined) return result;
  const plan = collectPlan(parts);
  return result.diagnostics.hasErrors ? result : { ...result, plan };
}

export interface PipelinePartsResult extends Omit<PipelineResult, 'plan'> {
  /** Absent when the configuration has errors, all of which are found before the first unit. */
  readonly parts?: PlanParts;
}

/** makePlan's passes, the units planned only as they are read (see PlanParts). */
export function makePlanParts(request: PipelineRequest): PipelinePartsResult {
  // A review render must not depend on where this machine's symbolic links lead.
  const realPath = request.selection.review ? null : realPaths();
  const first = loadConfiguration(request.configDir, request.now, request.pinned, {
    onRead: request.onRead,
    realPath,
    unreadableFiles: 'refused',
  });
  if (first.diagnostics.hasErrors) return first;
  const { diagnostics, input } = first;
  let config = first.config;
  // A review render must not depend on what this machine has recorded.
  let states: StateSnapshots = request.selection.review
    ? new Map()
    : withoutFetchedFigures(readLocalAndMirrored(config, diagnostics), markedStatesOf(config));
  if (request.mode === 'restore') {
    // Dated paths must point at what the last successful run wrote, not at today's date: resolve
    // the same files again (not a second read of the directory) with the recorded variables.
    const saved = savedVariables(config, states);
    config = resolveConfig(
      input,
      resolveContext(request.now, request.pinned, realPath ?? undefined, saved),
      diagnostics,
    );
    if (diagnostics.hasErrors) return { diagnostics, input, config };
    const added = readStates(
      stateFilesOf(config).filter((file) => !states.has(file)),
      diagnostics,
    );
    states = new Map([...states, ...added]);
  }
  const hidden = secretVariables(config);
  const withheld = Object.keys(request.pinned).filter((name) => hidden.has(name));
  const parts = planParts(
    {
      mode: request.mode,
      input,
      config,
      states,
      now: request.now,
      host: hostFacts(request.pinned),
      pinned: request.pinned,
      withheld,
      selection: request.selection,
      regenerate:
        typeof request.regenerate === 'string' ? request.regenerate : request.regenerate(new Set(withheld)),
      version: VERSION,
      // A review render reads nothing of this machine.
      ...(request.mode === 'restore' && !request.selection.review
        ? { historiesHere: historiesHere(config) }
        : {}),
    },
    diagnostics,
  );
  return diagnostics.hasErrors ? { diagnostics, input, config } : { diagnostics, input, config, parts };
}

/** The collect points whose own history (a git repository) is in their collect directory now. */
function historiesHere(config: ResolvedConfig): ReadonlySet<string> {
  const here = new Set<string>();
  for (const cp of config.collectPoints) {
    const dir = cp.engine.historyDir?.(cp);
    if (dir !== undefined && isDirectory(dir)) here.add(cp.name);
  }
  return here;
}

/**
 * What stands for a withheld variable's value, which a saved plan does not hold: printable, so
 * that the options made of it still resolve, and a word no password is.
 */
const WITHHELD = 'polyarchiv-withheld-variable-7f3a9c';

/**
 * Secret values for a plan, resolved from its configuration when it runs. A saved plan holds no
 * value of its withheld variables: the secrets made of them are left to the environment
 * (`POLYARCHIV_SECRET_...`), and reported missing when it has none.
 */
export function planSecrets(
  plan: Pick<Plan, 'configDir' | 'now' | 'pinned' | 'secrets' | 'withheld'>,
): Map<string, string> {
  const pinned = { ...plan.pinned };
  for (const name of plan.withheld ?? []) pinned[name] ??= WITHHELD;
  const { config } = loadConfiguration(plan.configDir, new Date(plan.now), pinned);
  const values = secretValues(config);
  return new Map(
    plan.secrets
      .filter((name) => values.get(name)?.includes(WITHHELD) === false)
      .map((name) => [name, values.get(name) as string]),
  );
}
