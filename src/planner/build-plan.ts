import type { ConfigInput } from '../config/load.js';
import { sha256 } from '../config/load.js';
import type { ResolvedConfig } from '../config/resolve.js';
import type { Diagnostics } from '../diag/diagnostic.js';
import { formatOrigin } from '../diag/origin.js';
import type { BoundBackupPoint } from '../engines/engine.js';
import { buildCommands, type CommandOptions } from '../graph/build-commands.js';
import { addToolsOf, secretsOf } from '../graph/command-needs.js';
import { RUN_TOOLS } from '../graph/helper-contracts.js';
import type { HostFacts } from '../options/variables.js';
import { EMPTY_STATE, formatTimestamp, type StateTemplates } from '../state/point-state.js';
import type { StateSnapshots } from '../state/read-states.js';
import type { Unfinished } from '../unfinished.js';
import { heldCopyOf } from './held-copy-check.js';
import { linkUnit } from './link.js';
import { type DraftUnit, lowerBackup } from './lower.js';
import { orderActions } from './order.js';
import {
  forEachStep,
  PLAN_FORMAT_VERSION,
  type Plan,
  type PlanParts,
  type PlanTail,
  type PlanUnit,
  type Selection,
  type SkippedPoint,
  type StateRecord,
} from './plan.js';
import { planHooks } from './plan-hooks.js';
import { restoreDrafts } from './restore-choice.js';
import { checkSelection, type Decision, dueDecision, matchesOnly } from './select.js';
import { stateMirrorUnit } from './state-mirror.js';
import { StateRecords } from './state-record.js';

export interface PlanRequest {
  readonly mode: 'backup' | 'restore';
  readonly input: ConfigInput;
  readonly config: ResolvedConfig;
  readonly states: StateSnapshots;
  readonly now: Date;
  readonly host: HostFacts;
  /** `--set` variables, kept so that a saved plan can be resolved again for its secrets. */
  readonly pinned: Readonly<Record<string, string>>;
  /** The names of `pinned` whose values are secrets (`Plan.withheld`). */
  readonly withheld?: readonly string[];
  readonly selection: Selection;
  readonly regenerate: string;
  readonly version: string;
  /** The collect points of a restore whose `historyDir` is there now (read at the edge). */
  readonly historiesHere?: ReadonlySet<string>;
}

/**
 * Pure: from resolved configuration and state snapshots to a plan's parts (`collectPlan` makes
 * them the whole plan): its head now, its units as they are read. Every error is found before the
 * first unit (the selection's, and a restore's choice of what to restore from, which is made
 * whole up front); planning a unit only adds warnings, which the tail carries.
 */
export function planParts(request: PlanRequest, diagnostics: Diagnostics): PlanParts {
  const { config, selection } = request;
  const configHash = sha256(request.input.files.map((f) => `${f.name}\0${f.sha256}\n`).join(''));
  const skipped: SkippedPoint[] = [];
  const skip = (unit: DraftUnit, reason: string, failed = false) =>
    skipped.push({
      title: titleOf(unit),
      collectPoint: unit.cp.name,
      ...(unit.bp === undefined ? {} : { backupPoint: unit.bp.name }),
      origin: unit.bp?.origin ?? unit.cp.origin,
      reason,
      ...(failed ? { failed } : {}),
    });

  checkSelection(config, selection, diagnostics);
  const drafts =
    request.mode === 'backup'
      ? lowerBackup(
          config,
          (bp) => ({
            recorded: request.states.get(bp.stateFile)?.state.data ?? null,
            allowMassDelete: selection.allowMassDelete === true,
          }),
          (cp) => request.states.get(cp.layout.stateFile)?.state.last_success ?? null,
          selection.allowShrink === true ? undefined : (bp) => heldCopyOf(bp, request.states),
        )
      : restoreDrafts(request, diagnostics, skip);
  return {
    head: {
      formatVersion: PLAN_FORMAT_VERSION,
      polyarchivVersion: request.version,
      mode: request.mode,
      configDir: request.input.dir,
      inputs: request.input.files.map((f) => ({ file: f.name, sha256: f.sha256 })),
      configHash,
      now: formatTimestamp(request.now),
      hostVariables: { ...request.host },
      selection,
      regenerate: request.regenerate,
      pinned: request.pinned,
      ...(request.withheld === undefined || request.withheld.length === 0
        ? {}
        : { withheld: request.withheld }),
    },
    units: plannedUnits(request, drafts, new StateRecords(configHash), skipped, skip, diagnostics),
  };
}

function* plannedUnits(
  request: PlanRequest,
  drafts: Iterable<DraftUnit>,
  records: StateRecords,
  skipped: SkippedPoint[],
  skip: (unit: DraftUnit, reason: string, failed?: boolean) => void,
  diagnostics: Diagnostics,
): Generator<PlanUnit, PlanTail, undefined> {
  const { config } = request;
  const tools = new Set(RUN_TOOLS);
  const secrets = new Set<string>();
  const noteCommands = (steps: Pick<Plan, 'units' | 'hooks'>) =>
    forEachStep(steps, (step) => {
      for (const c of step.commands) {
        addToolsOf(c, tools);
        for (const secret of secretsOf(c)) secrets.add(secret);
      }
    });
  let count = 0;
  // The collect and fetch units planned so far for each collect point: later units require them.
  const providers = new Map<string, string[]>();
  for (const unit of drafts) {
    const decision = selectUnit(unit, request);
    if (decision.warning !== undefined) diagnostics.warning(decision.warning);
    if (!decision.run) {
      skip(unit, decision.reason);
      continue;
    }
    for (const warning of unit.warnings ?? [])
      if (typeof warning === 'string') diagnostics.warning(warning, unit.bp?.origin);
      else diagnostics.warning(warning.message, warning.origin);
    const requires = [...(providers.get(unit.cp.name) ?? [])];
    const finished = finishUnit(unit, requires, decision.reason, request, records);
    const owner = unit.kind === 'backup' || unit.kind === 'fetch' ? unit.bp?.hooks : unit.cp.hooks;
    const hooks = planHooks(owner, `hooks.${count + 1}`, config.tools);
    const planned = hooks === undefined ? finished : { ...finished, hooks };
    noteCommands({ units: [planned] });
    count++;
    yield planned;
    if (unit.kind === 'collect' || unit.kind === 'fetch') providers.set(unit.cp.name, [...requires, unit.id]);
    const mirror = unit.kind === 'backup' ? stateMirrorUnit(unit) : undefined;
    if (mirror === undefined) continue;
    if (request.states.get(unit.bp?.stateFile ?? '')?.mirror === 'unreadable')
      skip(
        mirror,
        'the copy at metadata_url could not be read when the plan was made: it is left as it is',
        true,
      );
    else {
      const mirrored = finishUnit(mirror, requires, mirror.why ?? '', request, records);
      noteCommands({ units: [mirrored] });
      count++;
      yield mirrored;
    }
  }
  if (request.mode === 'backup') {
    const associated = new Set(config.pairs.map((p) => p.name));
    for (const bp of config.backupPoints.filter((b) => !associated.has(b.name))) {
      skipped.push({
        title: `backup point ${bp.name}`,
        backupPoint: bp.name,
        origin: bp.origin,
        reason: 'associated with no collect point (see the tags)',
      });
    }
  }
  const hooks = planHooks(config.globalHooks, 'hooks.run', config.tools);
  noteCommands({ units: [], ...(hooks === undefined ? {} : { hooks }) });
  return {
    skipped,
    tools: [...tools].filter((t) => t !== '').sort(),
    secrets: [...secrets].sort(),
    ...(hooks === undefined ? {} : { hooks }),
    warnings: diagnostics
      .inFileOrder()
      .filter((d) => d.severity !== 'error')
      .map(
        (d) =>
          `${d.severity}: ${d.message}${d.hint === undefined ? '' : ` (${d.hint})`}${d.origin === undefined ? '' : ` at ${formatOrigin(d.origin)}`}`,
      ),
  };
}

function titleOf(unit: DraftUnit): string {
  switch (unit.kind) {
    case 'collect':
      return `collect point ${unit.cp.name}`;
    case 'backup':
      return `backup point ${unit.bp?.name} of ${unit.cp.name}`;
    case 'metadata':
      return `state of backup point ${unit.bp?.name} of ${unit.cp.name}, mirrored to ${unit.bp?.metadata?.shown}`;
    case 'fetch':
      return `fetch ${unit.cp.name} from backup point ${unit.bp?.name}`;
    case 'restore':
      return `restore sources of ${unit.cp.name}`;
  }
}

/** Whether a unit runs and why: every unit not run gets its reason. */
function selectUnit(unit: DraftUnit, request: PlanRequest): Decision {
  const { selection, states, now } = request;
  if (!matchesOnly(selection.onlyCollectPoints, unit.cp.name, unit.cp.tags)) {
    return { run: false, reason: 'not selected by --only-collect-points' };
  }
  switch (unit.kind) {
    case 'collect':
      if (selection.skipCollect) return { run: false, reason: 'skipped by --skip-collect' };
      return dueDecision(titleOf(unit), unit.cp.frequency, unit.cp.layout.stateFile, states, now, selection);
    case 'backup': {
      const bp = unit.bp as BoundBackupPoint;
      if (selection.skipBackup) return { run: false, reason: 'skipped by --skip-backup' };
      if (!matchesOnly(selection.onlyBackupPoints, bp.name, bp.tags)) {
        return { run: false, reason: 'not selected by --only-backup-points' };
      }
      return dueDecision(titleOf(unit), bp.frequency, bp.stateFile, states, now, selection);
    }
    case 'metadata':
    case 'fetch':
    case 'restore':
      return { run: true, reason: unit.why ?? 'restore' };
  }
}

function finishUnit(
  unit: DraftUnit,
  requires: string[],
  why: string,
  request: PlanRequest,
  records: StateRecords,
): PlanUnit {
  const stateFile =
    unit.kind === 'collect'
      ? unit.cp.layout.stateFile
      : unit.kind === 'backup'
        ? unit.bp?.stateFile
        : undefined;
  const snapshot = stateFile === undefined ? undefined : request.states.get(stateFile);
  // What the sources collected, in clear: an encrypted copy's size varies from run to run.
  const measure =
    snapshot !== undefined && unit.kind === 'collect' ? unit.cp.engine.exportDir(unit.cp.layout) : undefined;
  // One set of options for the unit's steps, not one for each step.
  const options: Unfinished<CommandOptions> = { allowShrink: request.selection.allowShrink === true };
  // Only a unit that records a state judges its copies by the figures it keeps there, and only
  // after a success: a failed run may have changed its copies without new figures.
  if (snapshot !== undefined)
    options.copyFigures = snapshot.state.last_state_valid === false ? {} : (snapshot.state.copies ?? {});
  if (measure !== undefined) options.measure = measure;
  const tools = request.config.tools;
  const steps = orderActions(linkUnit(unit.id, unit.drafts)).map((action) => ({
    action,
    commands: buildCommands(action, tools, options),
  }));
  const keepsFigures = steps.some((step) =>
    step.commands.some((command) => command.kind === 'copy' && command.figuresKey !== undefined),
  );
  // Key by key, in the order saved plans have always had them.
  const planned: Unfinished<PlanUnit> = {
    id: unit.id,
    kind: unit.kind,
    title: titleOf(unit),
    collectPoint: unit.cp.name,
  };
  if (unit.bp !== undefined) planned.backupPoint = unit.bp.name;
  planned.origin = unit.bp?.origin ?? unit.cp.origin;
  planned.lockFile = unit.cp.layout.lockFile;
  planned.guards = stateFile === undefined ? [] : [{ file: stateFile, sha256: snapshot?.sha256 ?? null }];
  if (stateFile !== undefined && snapshot !== undefined) {
    const record: Unfinished<StateRecord> = new RecordDraft(stateFile);
    withTemplates(record, records, [
      snapshot.state,
      unit.bp?.variables ?? unit.cp.variables,
      unit.kind === 'collect',
      unit.history,
      keepsFigures,
    ]);
    if (measure !== undefined) record.measure = measure;
    if (snapshot.problem?.kind === 'corrupt') record.keepAside = true;
    planned.record = record as StateRecord;
  }
  planned.requires = requires;
  planned.why = why;
  if (unit.tellsWhy !== undefined) planned.tellsWhy = unit.tellsWhy;
  // A history that explains nothing (one archive, replaced) says nothing.
  if (unit.history !== undefined && unit.history.notes.length > 0) planned.notes = unit.history.notes;
  planned.steps = steps;
  return planned as PlanUnit;
}

/**
 * Gives a record its templates as members made when first read, then kept: a text plan never
 * reads them, and a plan of thousands of points that ran before spent a fifth of its time and a
 * quarter of its memory making two texts of each point's state. The members are enumerable, so
 * a saved plan (JSON) holds them as any other. Made here, apart from the unit: what the getters
 * hold is what they make the templates of, not the unit's drafts. The getters are the same two
 * functions for every record, their arguments kept in a hidden member: a getter made for each
 * record gave each its own V8 hidden class, 12,000 of them in a plan of 6,000 units.
 */
function withTemplates(
  record: Unfinished<StateRecord>,
  records: StateRecords,
  of: Parameters<StateRecords['templates']>,
): void {
  // A point that never ran shares its templates with every other (made once): plain members,
  // which keep the record an object of the plan's usual shape.
  if (of[0] === EMPTY_STATE) {
    const shared = records.templates(...of);
    record.onSuccess = shared.onSuccess;
    record.onFailure = shared.onFailure;
    return;
  }
  const pending: PendingTemplates = { records, of };
  Object.defineProperty(record, TEMPLATES, { value: pending, writable: true });
  Object.defineProperties(record, LAZY_TEMPLATES);
}

/**
 * A record's first member, set by a constructor: the members added to it then take the same
 * hidden classes in every record. Made by an object literal, each record took a class of its own
 * as its templates' getters were added (V8 left that literal's class out of its transition tree).
 */
class RecordDraft {
  declare file: string;
  constructor(file: string) {
    this.file = file;
  }
}

const TEMPLATES = Symbol('templates');

interface PendingTemplates {
  readonly records: StateRecords;
  readonly of: Parameters<StateRecords['templates']>;
}

type LazyRecord = { [TEMPLATES]: PendingTemplates | StateTemplates };

function templatesOf(record: LazyRecord): StateTemplates {
  const held = record[TEMPLATES];
  if ('onSuccess' in held) return held;
  const made = held.records.templates(...held.of);
  record[TEMPLATES] = made;
  return made;
}

const LAZY_TEMPLATES: PropertyDescriptorMap = {
  onSuccess: {
    enumerable: true,
    get(this: LazyRecord) {
      return templatesOf(this).onSuccess;
    },
  },
  onFailure: {
    enumerable: true,
    get(this: LazyRecord) {
      return templatesOf(this).onFailure;
    },
  },
};
