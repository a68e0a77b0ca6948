import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { executePlan } from '../backends/execute/execute.js';
import { configChanged } from '../backends/execute/primitives.js';
import { HELPER_MESSAGES } from '../backends/helper-messages.js';
import { skippedLine } from '../backends/skipped-lines.js';
import { UsageError } from '../diag/diagnostic.js';
import { fsProblem } from '../diag/fs-problem.js';
import { VERSION } from '../install/paths.js';
import { planSecrets } from '../pipeline.js';
import { PLAN_FORMAT_VERSION, type Plan, usesCommand } from '../planner/plan.js';
import { carryOnWithoutOutput } from './closed-output.js';
import { type CommonFlags, runTime } from './common-options.js';
import { EXIT } from './exit-codes.js';
import { backupStatus, NAGIOS } from './nrpe.js';
import { say } from './output.js';
import { planFrom } from './plan-commands.js';

/**
 * readline, loaded only for the questions of --confirm-commands and of a restore. Required, not
 * imported: the bundle's chunks run compiled from their code cache (code-cache.ts), where node
 * has no loader for `import()`.
 */
const readline = () => createRequire(import.meta.url)('node:readline') as typeof import('node:readline');

export interface ApplyFlags extends CommonFlags {
  dry?: boolean;
  confirmCommands?: boolean;
  yes?: boolean;
  from?: string;
  nrpe?: boolean;
  jobs?: string;
}

export async function applyCommand(
  planFile: string | undefined,
  flags: ApplyFlags,
  mode: 'backup' | 'restore',
): Promise<number> {
  if (planFile !== undefined) refuseSelection(flags);
  carryOnWithoutOutput();
  const jobs = jobsOf(flags.jobs);
  const started = runTime(flags);
  const plan = planFile === undefined ? planFrom(flags, mode, mode, started) : await readSavedPlan(planFile);
  if (typeof plan === 'number') {
    if (flags.nrpe) process.stdout.write('UNKNOWN - unable to load configuration\n');
    return flags.nrpe ? NAGIOS.unknown : plan;
  }
  if (flags.dry && !flags.quiet) say('dry run: nothing is executed, locked, created or recorded');
  const replacesLiveData = usesCommand(plan, 'confirm') && flags.dry !== true;
  // POLYARCHIV_YES=1 answers as --yes does, for `restore` as for a restore script.
  const yes = flags.yes === true || process.env.POLYARCHIV_YES === '1';
  if (replacesLiveData && !yes && process.stdin.isTTY !== true) {
    say(HELPER_MESSAGES.noTerminalToConfirm());
    return EXIT.usage;
  }
  const reader = flags.confirmCommands
    ? readline().createInterface({ input: process.stdin, terminal: false })
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
      ...(replacesLiveData ? { confirmation: { yes, ask: askOnTerminal } } : {}),
    });
    for (const skipped of plan.skipped) if (skipped.failed || !flags.quiet) say(skippedLine(skipped));
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
  const reader = readline().createInterface({
    input: process.stdin,
    output: process.stderr,
    terminal: false,
  });
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

/** The keys every saved plan of this format has (`hooks` is optional). */
const PLAN_KEYS: readonly (keyof Plan)[] = [
  'polyarchivVersion',
  'mode',
  'configDir',
  'inputs',
  'configHash',
  'now',
  'hostVariables',
  'pinned',
  'selection',
  'regenerate',
  'units',
  'skipped',
  'tools',
  'secrets',
  'warnings',
];

/**
 * A saved plan runs what was reviewed, as Terraform's saved plans and as a generated script: a
 * configuration changed since is only a warning, and each unit refuses to run if a state file it
 * depends on changed (the stale-plan guard).
 */
async function readSavedPlan(file: string): Promise<Plan> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read plan ${file}: ${fsProblem(error)}`);
  }
  const notAPlan = (why: string) =>
    new UsageError(
      `${file} is not a saved polyarchiv plan: ${why}; expected a plan written by polyarchiv plan --format json --out FILE`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw notAPlan('it is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw notAPlan('it is not a JSON object');
  const { formatVersion } = parsed as { formatVersion?: unknown };
  if (formatVersion === undefined) throw notAPlan('it has no formatVersion');
  if (formatVersion !== PLAN_FORMAT_VERSION) {
    throw new UsageError(
      `plan ${file} has format ${JSON.stringify(formatVersion)}, this polyarchiv reads format ${PLAN_FORMAT_VERSION}: run polyarchiv plan again`,
    );
  }
  const missing = PLAN_KEYS.filter((key) => !(key in parsed));
  if (missing.length > 0) throw notAPlan(`it has no ${missing.join(', ')}`);
  const plan = parsed as Plan;
  // As Terraform does with its saved plans: another version may read the same format and yet
  // leave out a field it does not know (a clean-up, a guard), and run less than was reviewed.
  if (plan.polyarchivVersion !== VERSION) {
    throw new UsageError(
      `plan ${file} was made by polyarchiv ${JSON.stringify(plan.polyarchivVersion)}, this is polyarchiv ${VERSION}: a saved plan runs only with the version that made it; run polyarchiv plan again`,
    );
  }
  if (configChanged(plan.configDir, plan.inputs)) say(HELPER_MESSAGES.configChanged(plan.configDir));
  return plan;
}
