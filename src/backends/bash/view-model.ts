import { formatOrigin } from '../../diag/origin.js';
import type { Command } from '../../graph/command.js';
import { secretsOf } from '../../graph/command-needs.js';
import { GPG_AGENT_STOP_TRIES, GPGCONF_WORDS, unitGpgHomes } from '../../graph/gpg-agents.js';
import {
  EMPTY_WORK_DIR_MINUTES,
  HELPERS,
  INTERRUPTING_SIGNAL_NAMES,
  INTERRUPTING_SIGNALS,
  WORK_DIR_LOCK_WAIT_SECONDS,
  WORK_DIR_MARK,
} from '../../graph/helper-contracts.js';
import { HOLD_UPDATES } from '../../graph/rsync-commands.js';
import { unitScratch } from '../../graph/scratch.js';
import {
  commandKinds,
  hookEvents,
  hookLabel,
  type PlanHead,
  type PlanHooks,
  type PlanTail,
  type PlanUnit,
} from '../../planner/plan.js';
import { describeSelection } from '../describe-selection.js';
import { type HelperLayouts, helperCall, helperLayouts } from '../helper-calls.js';
import { type RegistrationLayouts, registrationLayouts } from '../registration-contracts.js';
import { skippedLine } from '../skipped-lines.js';
import {
  CONFIRM_LISTING,
  DOVEADM_READ,
  GITLAB_ANSWERS,
  GITLAB_REFUSAL_HINTS,
  PROBE_STATUSES,
  RESTIC_MISSING,
  RSYNC_RESERVED_HIDDEN,
  TREE_LISTING_FORMAT,
  TREE_LISTING_SUM,
} from '../tool-conventions.js';
import { expand, type MessageLayout, messageLayout } from './message-layout.js';
import { originWords } from './origin-words.js';
import { commandLine } from './quote.js';
import { hookRegistrations, runHookFunction, unitFunction, unitHookFunction } from './registration-lines.js';
import { obscuringLines, wordText } from './run-words.js';
import { commentText, shellWord } from './shell-word.js';

/** Everything the templates lay out, already quoted: templates add no logic and no escaping. */
export interface ScriptView {
  readonly version: string;
  readonly regenerate: string;
  readonly mode: string;
  readonly now: string;
  readonly configDir: string;
  readonly inputs: readonly string[];
  readonly selection: string;
  readonly skipped: readonly string[];
  readonly tools: string;
  readonly secrets: string;
  /** polyarchiv_main's first words: how many points were not run, then what apply says of each. */
  readonly skippedLines: string;
  /** polyarchiv_check_config's arguments: the configuration directory, each input and its sha256. */
  readonly configCheck: string;
  readonly warnings: readonly string[];
  readonly mainComment: string;
  readonly exitOk: string;
  /** A review render's refusal to run, quoted; empty in a script made to run. */
  readonly reviewRefusal: string;
  /** The secret variables checked before anything runs; empty when the plan needs none. */
  readonly requiredSecrets: string;
  /** `NAME=value` lines, only when the secrets are embedded (`plan --include-secrets`). */
  readonly secretAssignments: readonly string[];
  /** polyarchiv_dir_reload is defined only in scripts that use it, so other scripts stay as they were. */
  readonly reloadHelper: boolean;
  readonly copyCheckHelper: boolean;
  /** Restores that replace live data take --yes and confirm each source (helpers-confirm). */
  readonly confirmHelper: boolean;
  readonly dovecotHelper: boolean;
  readonly ifChangedHelper: boolean;
  readonly resticHelper: boolean;
  readonly resticRestoreHelper: boolean;
  readonly gitResetHelper: boolean;
  readonly newestFileHelper: boolean;
  readonly resticMissing: ResticMissingLayout;
  /** How long a run waits for its new work directory's lock (graph/helper-contracts.ts). */
  readonly workLockWait: number;
  /** The file that marks a live run's work directory, quoted (graph/helper-contracts.ts). */
  readonly workDirMark: string;
  /** How long an empty work directory is left before a sweep removes it, in minutes. */
  readonly emptyWorkDirMinutes: number;
  /** How many times, 0.1 s apart, a unit's end looks whether a gpg-agent it stopped has gone. */
  readonly gpgAgentStopTries: number;
  /** gpgconf's words after `--homedir HOME` (GPGCONF_WORDS), quoted. */
  readonly gpgconfWords: Readonly<Record<keyof typeof GPGCONF_WORDS, string>>;
  readonly mapTreeHelper: boolean;
  readonly applyModesHelper: boolean;
  /** find's -printf format of polyarchiv_map_tree's listings, quoted. */
  readonly treeListing: string;
  /** polyarchiv_sum_listing's awk program (TREE_LISTING_SUM), quoted. */
  readonly listingSum: string;
  /** The words that hold a copy's updates back (HOLD_UPDATES), quoted: its first copy lacks them. */
  readonly holdUpdates: string;
  readonly copyHelper: boolean;
  readonly gitlabHelper: boolean;
  readonly svnHelper: boolean;
  readonly svnUpdateAtHelper: boolean;
  /** polyarchiv_copy_stats, which both copy helpers read figures with. */
  readonly copyStatsHelper: boolean;
  /** Each helper's argument lines and exit statuses, from the contract it shares with its twin. */
  readonly helpers: HelperLayouts;
  /** The signals that interrupt a run and the status of each (graph/helper-contracts.ts). */
  readonly signals: typeof INTERRUPTING_SIGNALS;
  /** Their names, as a trap's words. */
  readonly signalNames: string;
  /** Where the registration functions find their arguments (registration-contracts.ts). */
  readonly registrations: RegistrationLayouts;
  readonly probe: typeof PROBE_STATUSES;
  /** How many changes polyarchiv_confirm lists, and how it knows a deletion. */
  readonly confirmListing: typeof CONFIRM_LISTING;
  /** The doveadm statuses that polyarchiv_dovecot_align reads as no user and as not a failure. */
  readonly doveadm: typeof DOVEADM_READ;
  readonly gitlab: typeof GITLAB_ANSWERS;
  /** How rsync names an entry of live data hidden for its reserved name, quoted. */
  readonly reservedHidden: { readonly prefix: string; readonly suffix: string; readonly file: string };
  /** What the helpers say, with bash expansions for the values (helper-messages.ts). */
  readonly messages: MessageLayout;
  /** polyarchiv_gitlab_refused's hints: the statuses as a case pattern, the hint quoted. */
  readonly gitlabHints: readonly { readonly statuses: string; readonly hint: string }[];
  /** The plan has hooks: helpers-hooks and the calls of the unit runner and the main part. */
  readonly hooks: boolean;
  /** The run's events (before, success, error, after), as polyarchiv_events' words. */
  readonly hookEvents: string;
  /** polyarchiv_hook's arguments, one entry per hook: the units' in plan order, then the run's. */
  readonly hookRegistrations: readonly string[];
  /** The functions of the run's hooks. */
  readonly runHooks: readonly HookView[];
}

/** A hook's function: its steps' lines, without announcements (hooks are no steps of a unit). */
export interface HookView {
  readonly label: string;
  readonly fn: string;
  readonly lines: readonly string[];
}

export interface UnitView {
  readonly title: string;
  readonly why: string;
  /** The why said as the unit's steps begin (a restore's choice of copy), as a shell word. */
  readonly toldWhy?: string;
  /** The polyarchiv_scratch line of a unit whose steps write scratch. */
  readonly scratch?: string;
  /** The polyarchiv_gpg_home lines of a unit whose steps run gpg. */
  readonly gpgHomes: readonly string[];
  /** Why each dated archive is kept or deleted, as comment lines. */
  readonly notes: readonly string[];
  readonly origin: string;
  readonly fn: string;
  readonly steps: readonly StepView[];
  readonly hooks: readonly HookView[];
}

interface StepView {
  readonly origin: string;
  readonly number: number;
  readonly total: number;
  readonly summary: string;
  readonly originWord: string;
  readonly lines: readonly string[];
}

/**
 * What the script's outline needs of its units (the helpers their commands call, their hooks),
 * gathered as each unit's function and line are rendered: the units themselves are not kept.
 */
export interface UnitsOutline {
  readonly kinds: Set<Command['kind']>;
  readonly hookRegistrations: string[];
  hooks: boolean;
}

export function emptyOutline(): UnitsOutline {
  return { kinds: new Set(), hookRegistrations: [], hooks: false };
}

/** Adds the unit at `index` of the plan to the outline. */
export function outlineUnit(outline: UnitsOutline, unit: PlanUnit, index: number): void {
  for (const kind of commandKinds({ units: [unit] })) outline.kinds.add(kind);
  outline.hookRegistrations.push(
    ...hookRegistrations(unit.id, unit.hooks, (k) => unitHookFunction(unit, index, k)),
  );
  if (unit.hooks !== undefined) outline.hooks = true;
}

export function scriptView(
  head: PlanHead,
  tail: PlanTail,
  units: UnitsOutline,
  secrets?: ReadonlyMap<string, string>,
): ScriptView {
  const kinds = new Set([...units.kinds, ...commandKinds({ units: [], hooks: tail.hooks })]);
  const copyCheckHelper = kinds.has('check-copy');
  const copyHelper = kinds.has('copy');
  return {
    version: head.polyarchivVersion,
    regenerate: commentText(head.regenerate),
    mode: head.mode,
    now: head.now,
    configDir: commentText(head.configDir),
    inputs: head.inputs.map((i) => `${i.sha256}  ${commentText(i.file)}`),
    selection: commentText(describeSelection(head.selection, head.mode)),
    skipped: tail.skipped.map((s) =>
      commentText(`${s.failed ? 'cannot run: ' : ''}${s.title}: ${s.reason} (${formatOrigin(s.origin)})`),
    ),
    warnings: tail.warnings.map(commentText),
    mainComment:
      head.mode === 'backup'
        ? 'each unit runs isolated; a failed collect point skips its own backup points only.'
        : 'each collect point is fetched, then its sources are restored; a failed fetch skips that restore only.',
    secretAssignments: [...(secrets ?? new Map())].map(([name, value]) => `${name}=${shellWord(value)}`),
    exitOk: head.mode === 'backup' ? '0 every unit succeeded or was not due' : '0 every unit succeeded',
    reviewRefusal:
      head.selection.review === true
        ? shellWord(
            'polyarchiv: this script is a review render (plan --review), for reading only: it runs nothing. Make the script to run on the server with polyarchiv plan, without --review.',
          )
        : '',
    tools: tail.tools.join(' '),
    secrets: tail.secrets.length === 0 ? 'none' : tail.secrets.join(' '),
    requiredSecrets: tail.secrets.join(' '),
    skippedLines: [String(tail.skipped.length), ...tail.skipped.map((s) => shellWord(skippedLine(s)))].join(
      ' ',
    ),
    configCheck: [head.configDir, ...head.inputs.flatMap((i) => [i.file, i.sha256])].map(shellWord).join(' '),
    reloadHelper: kinds.has('dir-reload'),
    copyCheckHelper,
    confirmHelper: kinds.has('confirm'),
    dovecotHelper: kinds.has('align-mailboxes'),
    ifChangedHelper: kinds.has('exec-if-changed'),
    resticHelper: kinds.has('restic-init'),
    resticRestoreHelper: kinds.has('restic-restore-at'),
    gitResetHelper: kinds.has('git-reset-at'),
    newestFileHelper: kinds.has('newest-file'),
    mapTreeHelper: kinds.has('map-tree'),
    applyModesHelper: kinds.has('apply-modes'),
    copyHelper,
    copyStatsHelper: copyCheckHelper || copyHelper,
    gitlabHelper: kinds.has('gitlab-project'),
    svnHelper: kinds.has('svn-stage'),
    svnUpdateAtHelper: kinds.has('svn-update-at'),
    hookRegistrations: [...units.hookRegistrations, ...hookRegistrations('', tail.hooks, runHookFunction)],
    runHooks: hookViews(tail.hooks, runHookFunction),
    ...helperPartialsView({ mode: head.mode, hooks: units.hooks || tail.hooks !== undefined }),
  };
}

/**
 * What the helper partials read, in a script and in a partial rendered on its own (twin tests),
 * which belongs to no run, hence to no hooks.
 */
export function helperPartialsView(
  run?: Readonly<{ mode: PlanHead['mode']; hooks: boolean }>,
): Pick<
  ScriptView,
  | 'helpers'
  | 'signals'
  | 'signalNames'
  | 'registrations'
  | 'probe'
  | 'confirmListing'
  | 'doveadm'
  | 'resticMissing'
  | 'workLockWait'
  | 'workDirMark'
  | 'emptyWorkDirMinutes'
  | 'gpgAgentStopTries'
  | 'gpgconfWords'
  | 'gitlab'
  | 'reservedHidden'
  | 'gitlabHints'
  | 'messages'
  | 'treeListing'
  | 'listingSum'
  | 'holdUpdates'
  | 'hooks'
  | 'hookEvents'
> {
  return {
    hooks: run?.hooks === true,
    hookEvents: run === undefined ? '' : Object.values(hookEvents(run.mode)).join(' '),
    helpers: helperLayouts(),
    signals: INTERRUPTING_SIGNALS,
    signalNames: INTERRUPTING_SIGNAL_NAMES,
    registrations: registrationLayouts(),
    probe: PROBE_STATUSES,
    confirmListing: CONFIRM_LISTING,
    doveadm: DOVEADM_READ,
    resticMissing: resticMissingLayout(),
    workLockWait: WORK_DIR_LOCK_WAIT_SECONDS,
    workDirMark: shellWord(WORK_DIR_MARK),
    emptyWorkDirMinutes: EMPTY_WORK_DIR_MINUTES,
    gpgAgentStopTries: GPG_AGENT_STOP_TRIES,
    gpgconfWords: {
      socket: GPGCONF_WORDS.socket.map(shellWord).join(' '),
      launch: GPGCONF_WORDS.launch.map(shellWord).join(' '),
      stop: GPGCONF_WORDS.stop.map(shellWord).join(' '),
    },
    treeListing: shellWord(TREE_LISTING_FORMAT),
    listingSum: shellWord(TREE_LISTING_SUM),
    holdUpdates: HOLD_UPDATES.map(shellWord).join(' '),
    gitlab: GITLAB_ANSWERS,
    reservedHidden: {
      prefix: shellWord(RSYNC_RESERVED_HIDDEN.prefix),
      suffix: shellWord(RSYNC_RESERVED_HIDDEN.suffix),
      file: shellWord(RSYNC_RESERVED_HIDDEN.file),
    },
    messages: messageLayout(),
    // The token's option is the helper's `token_option`, expanded in double quotes.
    gitlabHints: GITLAB_REFUSAL_HINTS.map((h) => ({
      statuses: h.statuses.join(' | '),
      hint: `"${h.hint(expand('token_option'))}"`,
    })),
  };
}

export interface ResticMissingLayout {
  readonly status: number;
  readonly question: string;
  readonly causes: string;
}

/** How restic says a repository is missing, quoted for polyarchiv_restic_init. */
export function resticMissingLayout(): ResticMissingLayout {
  return {
    status: RESTIC_MISSING.status,
    question: shellWord(RESTIC_MISSING.question),
    causes: RESTIC_MISSING.causes.map(shellWord).join(' '),
  };
}

function hookViews(hooks: PlanHooks | undefined, fn: (k: number) => string): HookView[] {
  return (hooks?.hooks ?? []).map((hook, k) => ({
    label: commentText(`${hookLabel(hook)} (${hook.engine}): ${hook.events.join(', ')}`),
    fn: fn(k),
    lines: hook.steps.flatMap((step) => [
      `# ${commentText(step.action.summary)}`,
      ...step.commands.flatMap(scriptLines),
    ]),
  }));
}

export function unitView(unit: PlanUnit, index: number): UnitView {
  return {
    title: commentText(unit.title),
    why: commentText(unit.why),
    ...(unit.tellsWhy === true ? { toldWhy: shellWord(`  ${unit.why}`) } : {}),
    ...scratchLine(unit),
    gpgHomes: unitGpgHomes(unit.steps).map((gpg) =>
      helperCall(HELPERS.gpgHome, {
        gpgconf: shellWord(gpg.gpgconf),
        home: wordText({ prefix: '', workFile: gpg.home }),
      }),
    ),
    notes: (unit.notes ?? []).map(commentText),
    origin: originWords(unit.origin).comment,
    fn: unitFunction(unit, index),
    steps: unit.steps.map((step, i) => ({
      origin: originWords(step.action.origin).comment,
      number: i + 1,
      total: unit.steps.length,
      summary: shellWord(step.action.summary),
      originWord: originWords(step.action.origin).word,
      lines: step.commands.flatMap(scriptLines),
    })),
    hooks: hookViews(unit.hooks, (k) => unitHookFunction(unit, index, k)),
  };
}

function scratchLine(unit: PlanUnit): { scratch?: string } {
  const paths = unitScratch(unit.steps);
  return paths.length === 0 ? {} : { scratch: helperCall(HELPERS.scratch, { paths: paths.map(shellWord) }) };
}

/**
 * A command's lines in the script. A tool run through sudo with a redirection reads or writes its
 * file as the invoking user on purpose (the dump lands in the collect point, owned by it), which
 * shellcheck flags as SC2024: say so on the line before.
 */
function scriptLines(command: Command): string[] {
  const line = commandLine(command);
  const redirected = command.kind === 'exec' && (command.stdin !== undefined || command.stdout !== undefined);
  const lines = [
    ...obscuringLines(command),
    ...(redirected && command.argv[0] === 'sudo'
      ? [
          '# shellcheck disable=SC2024 # the redirection is meant for the invoking user',
          // A directive covers the one command after it: the line of a command whose errors are
          // kept (status reset; tool; helper) is grouped into one.
          command.errorsUntilEnd === undefined ? line : `{ ${line}; }`,
        ]
      : [line]),
  ];
  // bash -x prints a line with its expansions: a line that expands a secret runs untraced.
  return secretsOf(command).length === 0
    ? lines
    : ['polyarchiv_hide_trace', ...lines, 'polyarchiv_restore_trace'];
}
