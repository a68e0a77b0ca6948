import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { shellWord } from '../backends/bash/quote.js';
import { executePlan } from '../backends/execute/execute.js';
import { configChanged, configChangedWarning } from '../backends/execute/primitives.js';
import { checkHost } from '../config/check-host.js';
import { Diagnostics, UsageError } from '../diag/diagnostic.js';
import { makePlanParts, planSecrets, REVIEW_USERNAME } from '../pipeline.js';
import {
  collectPlan,
  PLAN_FORMAT_VERSION,
  type Plan,
  type PlanParts,
  partsOf,
  usesCommand,
} from '../planner/plan.js';
import {
  type CommonFlags,
  configDir,
  pinnedVariables,
  planTime,
  runTime,
  selectionOf,
} from './common-options.js';
import { EXIT } from './exit-codes.js';
import { backupStatus, NAGIOS } from './nrpe.js';
import { printDiagnostics, say, writeToStream } from './output.js';
import { writeFileAtomic } from './write-file-atomic.js';

export interface PlanFlags extends CommonFlags {
  format: 'bash' | 'text' | 'json';
  out?: string;
  restore?: boolean;
  from?: string;
  includeSecrets?: boolean;
  review?: boolean;
}

export interface ApplyFlags extends CommonFlags {
  dry?: boolean;
  confirmCommands?: boolean;
  yes?: boolean;
  from?: string;
  nrpe?: boolean;
  jobs?: string;
}

export function planFrom(
  flags: CommonFlags & { from?: string; review?: boolean },
  mode: 'backup' | 'restore',
  command: string,
  now: Date,
  words: readonly string[] = process.argv.slice(3),
): Plan | number {
  const started = startPlan(flags, mode, command, now, words);
  if (typeof started === 'number') return started;
  const plan = collectPlan(started.parts);
  if (printDiagnostics(started.diagnostics, flags.quiet === true)) return EXIT.usage;
  return plan;
}

interface StartedPlan {
  readonly parts: PlanParts;
  /** The plan's diagnostics (to which its units add warnings), then what this machine lacks. */
  readonly diagnostics: readonly Diagnostics[];
}

/**
 * The plan's parts once neither the configuration nor this machine has errors (printed, with the
 * exit code returned, when they have). The caller prints the diagnostics once the units are
 * planned, since planning them adds warnings.
 */
function startPlan(
  flags: CommonFlags & { from?: string; review?: boolean },
  mode: 'backup' | 'restore',
  command: string,
  now: Date,
  words: readonly string[],
): StartedPlan | number {
  const review = flags.review === true;
  const selection = selectionOf(flags, flags.from);
  const result = makePlanParts({
    // Absolute, so that a saved plan or script made with a relative -C runs from anywhere; a
    // review render is not run, and names the directory as given, the same on every machine.
    configDir: review ? configDir(flags) : resolve(configDir(flags)),
    mode,
    now,
    pinned: review ? { username: REVIEW_USERNAME, ...pinnedVariables(flags) } : pinnedVariables(flags),
    selection: review ? { ...selection, review: true } : selection,
    regenerate: ['polyarchiv', command, ...words].map(shellWord).join(' '),
  });
  // What options name on this machine (users, directories) says nothing of the machine that runs
  // it: its own diagnostics, which the plan's warnings never carry.
  const host = new Diagnostics();
  if (result.parts !== undefined && result.config !== undefined && !review)
    checkHost(result.config, mode, host);
  const diagnostics = [result.diagnostics, host];
  if (result.parts === undefined || host.hasErrors) {
    printDiagnostics(diagnostics, flags.quiet === true);
    return EXIT.usage;
  }
  return { parts: result.parts, diagnostics };
}

export async function planCommand(flags: PlanFlags): Promise<number> {
  if (flags.review === true) refuseUnreviewable(flags);
  const mode = flags.restore ? 'restore' : 'backup';
  // Text and JSON describe each unit as it is planned: a plan of thousands of units is never held.
  if (flags.format !== 'bash') {
    const started = startPlan(flags, mode, 'plan', planTime(flags), process.argv.slice(3));
    if (typeof started === 'number') return started;
    await writePlan(flags, await describer(started.parts, flags.format));
    return printDiagnostics(started.diagnostics, flags.quiet === true) ? EXIT.usage : EXIT.ok;
  }
  const plan = planFrom(flags, mode, 'plan', planTime(flags));
  if (typeof plan === 'number') return plan;
  const pieces = await renderer(plan, flags);
  if (flags.out === undefined && flags.includeSecrets && plan.secrets.length > 0)
    say(
      'warning: the secret values go to standard output, whose file mode polyarchiv cannot set; use --out FILE to write them to a file of mode 0600',
    );
  await writePlan(flags, pieces);
  return EXIT.ok;
}

async function writePlan(flags: PlanFlags, pieces: Iterable<string>): Promise<void> {
  if (flags.out === undefined) await writeToStream(process.stdout, pieces);
  else
    writeFileAtomic(
      flags.out,
      pieces,
      flags.includeSecrets ? 0o600 : flags.format === 'bash' ? 0o755 : 0o644,
      `--out ${flags.out}`,
    );
}

/** The plan in its format, handed out piece by piece as it is rendered: each format is its own module. */
export async function renderer(
  plan: Plan,
  flags: Pick<PlanFlags, 'format' | 'includeSecrets'>,
): Promise<Iterable<string>> {
  // The template engine is the heaviest, and only the script needs it.
  if (flags.format !== 'bash') return describer(partsOf(plan), flags.format);
  const { bashPieces } = await import('../backends/bash/render.js');
  // A generator of its own: the secrets are resolved when the script is first read, as it is written.
  return (function* () {
    yield* bashPieces(plan, flags.includeSecrets ? planSecrets(plan) : undefined);
  })();
}

/** The text or JSON description, each unit planned as it is written. */
async function describer(parts: PlanParts, format: 'text' | 'json'): Promise<Iterable<string>> {
  if (format === 'json') {
    const { jsonPieces } = await import('../backends/describe-json.js');
    return jsonPieces(parts);
  }
  const { textPieces } = await import('../backends/describe-text.js');
  return textPieces(parts);
}

/**
 * A review render is the same bytes on every machine: it needs the time and the host from the
 * command line, and it never carries secrets or depends on recorded backups.
 */
export function refuseUnreviewable(flags: PlanFlags): void {
  const missing = [
    flags.now === undefined ? '--now TIME' : '',
    pinnedVariables(flags).fqdn === undefined ? '--set fqdn=HOST' : '',
  ].filter(Boolean);
  if (missing.length > 0)
    throw new UsageError(
      `plan --review renders the same bytes on every machine, so it takes the time and the host from the command line: add ${missing.join(' and ')}`,
    );
  if (flags.includeSecrets === true)
    throw new UsageError('plan --review never embeds secret values: drop --include-secrets');
  if (flags.restore === true)
    throw new UsageError(
      'plan --review --restore: a restore depends on the backups this machine recorded; review the backup plan, or render the restore with plan --restore on the machine',
    );
}

export async function applyCommand(
  planFile: string | undefined,
  flags: ApplyFlags,
  mode: 'backup' | 'restore',
): Promise<number> {
  if (planFile !== undefined) refuseSelection(flags);
  const jobs = jobsOf(flags.jobs);
  const started = runTime(flags);
  const plan = planFile === undefined ? planFrom(flags, mode, mode, started) : await readSavedPlan(planFile);
  if (typeof plan === 'number') {
    if (flags.nrpe) process.stdout.write('UNKNOWN - unable to load configuration\n');
    return flags.nrpe ? NAGIOS.unknown : plan;
  }
  if (flags.dry && !flags.quiet) say('dry run: nothing is executed, locked, created or recorded');
  const replacesLiveData = usesCommand(plan, 'confirm') && flags.dry !== true;
  if (replacesLiveData && flags.yes !== true && process.stdin.isTTY !== true) {
    say(
      'this restore deletes or overwrites live data and there is no terminal to confirm it on: nothing was changed; run it again with --yes',
    );
    return EXIT.usage;
  }
  // readline only for the questions of --confirm-commands and of a restore.
  const reader = flags.confirmCommands
    ? (await import('node:readline')).createInterface({ input: process.stdin, terminal: false })
    : undefined;
  const answers = reader?.[Symbol.asyncIterator]();
  try {
    const report = await executePlan(plan, {
      dry: flags.dry === true,
      showCommands: flags.showCommands === true || flags.verbose === true,
      quiet: flags.quiet === true,
      say,
      // --now pins the whole run, its records included; otherwise the run starts now.
      clock: flags.now === undefined ? () => new Date() : () => started,
      relayOutput: flags.logFile !== undefined,
      jobs,
      ...(plan.secrets.length === 0 ? {} : { secrets: planSecrets(plan) }),
      ...(answers === undefined ? {} : { confirm: (line: string) => confirm(answers, line) }),
      ...(replacesLiveData ? { confirmation: { yes: flags.yes === true, ask: askOnTerminal } } : {}),
    });
    for (const skipped of plan.skipped)
      if (skipped.failed || !flags.quiet)
        say(`${skipped.failed ? 'cannot run' : 'not run'}: ${skipped.title}: ${skipped.reason}`);
    if (!flags.nrpe || mode !== 'backup') return report.exitCode;
    const status = backupStatus(plan, report);
    process.stdout.write(`${status.line}\n`);
    return status.code;
  } finally {
    reader?.close();
  }
}

/** A saved plan carries the selection it was made with: flags that would change it are refused. */
function refuseSelection(flags: ApplyFlags): void {
  const given = [
    flags.onlyCollectPoints.length > 0 ? '--only-collect-points' : '',
    flags.onlyBackupPoints.length > 0 ? '--only-backup-points' : '',
    flags.force ? '--force' : '',
    flags.skipCollect ? '--skip-collect' : '',
    flags.skipBackup ? '--skip-backup' : '',
    flags.config !== undefined ? '--config' : '',
    flags.now !== undefined ? '--now' : '',
    flags.set.length > 0 ? '--set' : '',
  ].filter(Boolean);
  if (given.length > 0) {
    throw new UsageError(
      `${given.join(', ')}: a saved plan runs the selection it was made with; give these to polyarchiv plan instead`,
    );
  }
}

/** The script reads `--jobs N` the same way (polyarchiv_parse_args). */
function jobsOf(value: string | undefined): number {
  if (value === undefined) return availableParallelism();
  if (!/^[1-9][0-9]{0,3}$/.test(value)) {
    throw new UsageError(`--jobs expects a whole number from 1 to 9999, not '${value}'`);
  }
  return Number(value);
}

/** A restore's question: only `y` goes on; anything else, or the end of input, declines. */
async function askOnTerminal(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline');
  const reader = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
  try {
    const answer = await new Promise<string>((resolve) => {
      reader.question(question, resolve);
      reader.once('close', () => resolve(''));
    });
    return answer.trim().toLowerCase() === 'y';
  } finally {
    reader.close();
  }
}

/** `[Y]/n` as the original asked it; the end of input declines, which is the safe answer. */
async function confirm(answers: AsyncIterator<string>, line: string): Promise<boolean> {
  for (;;) {
    process.stderr.write(`${line} [Y]/n `);
    const next = await answers.next();
    if (next.done === true) {
      process.stderr.write('\n');
      return false;
    }
    const answer = String(next.value).trim().toLowerCase();
    if (answer === '' || answer === 'y') return true;
    if (answer === 'n') return false;
  }
}

/**
 * A saved plan runs what was reviewed, as Terraform's saved plans and as a generated script: a
 * configuration changed since is only a warning, and each unit refuses to run if a state file it
 * depends on changed (the stale-plan guard).
 */
async function readSavedPlan(file: string): Promise<Plan> {
  let plan: Plan;
  try {
    plan = JSON.parse(readFileSync(file, 'utf8')) as Plan;
  } catch (error) {
    throw new UsageError(`cannot read plan ${file}: ${(error as Error).message}`);
  }
  if (plan.formatVersion !== PLAN_FORMAT_VERSION) {
    throw new UsageError(
      `plan ${file} has format ${plan.formatVersion}, this polyarchiv reads format ${PLAN_FORMAT_VERSION}: run polyarchiv plan again`,
    );
  }
  if (configChanged(plan.configDir, plan.inputs)) say(configChangedWarning(plan.configDir));
  return plan;
}
