import { resolve } from 'node:path';
import type { Spool } from '../backends/bash/render.js';
import { shellWord } from '../backends/bash/shell-word.js';
import { checkHost } from '../config/check-host.js';
import { Diagnostics, UsageError } from '../diag/diagnostic.js';
import { formatOrigin } from '../diag/origin.js';
import { makePlanParts, planSecrets, REVIEW_USERNAME } from '../pipeline.js';
import { collectPlan, type Plan, type PlanParts, type PlanTail } from '../planner/plan.js';
import { type CommonFlags, configDir, pinnedVariables, planTime, selectionOf } from './common-options.js';
import { EXIT } from './exit-codes.js';
import { sizeHeapForLargePlans } from './large-plan-heap.js';
import { printDiagnostics, say, writeToStream } from './output.js';
import { warnSecretsPinned } from './pinned-secrets.js';
import { fileSpool } from './spool-file.js';
import { writeFileAtomic } from './write-file-atomic.js';

export interface PlanFlags extends CommonFlags {
  format: 'bash' | 'text' | 'json';
  out?: string;
  restore?: boolean;
  from?: string;
  includeSecrets?: boolean;
  review?: boolean;
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
    regenerate: (withheld) =>
      ['polyarchiv', command, ...withheldValues(words, withheld)].map(shellWord).join(' '),
    onRead: sizeHeapForLargePlans,
  });
  // What options name on this machine (users, directories) says nothing of the machine that runs
  // it: its own diagnostics, which the plan's warnings never carry. Checked even when the
  // configuration has errors, on the options that resolved, so that one round reports them all.
  const host = new Diagnostics();
  if (result.config !== undefined && !review) checkHost(result.config, mode, host);
  // A run holds its command line for as long as it lasts; `plan` only for the time it plans.
  if (result.config !== undefined && command !== 'plan') warnSecretsPinned(result.config, flags, host);
  const diagnostics = [result.diagnostics, host];
  if (result.parts === undefined || host.hasErrors) {
    printDiagnostics(diagnostics, flags.quiet === true);
    return EXIT.usage;
  }
  return { parts: result.parts, diagnostics };
}

/**
 * The command line's words with the value of each `--set` variable that a secret is made of
 * replaced by `(secret)` (without a comma, which `--set` reads as a separator): the script and
 * the plan it regenerates are the same bytes, since they refer to that secret by its variable
 * name only, and `plan --check` renders it again the same.
 */
const WITHHELD_VALUE = '(secret)';

function withheldValues(words: readonly string[], withheld: ReadonlySet<string>): string[] {
  if (withheld.size === 0) return [...words];
  const hidden = (item: string) => {
    const name = item.slice(0, Math.max(0, item.indexOf('=')));
    return withheld.has(name) ? `${name}=${WITHHELD_VALUE}` : item;
  };
  const shown: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (word === '--') {
      shown.push(...words.slice(i));
      break;
    }
    if (word === '--set' && i + 1 < words.length) shown.push(word, hidden(words[++i] as string));
    else shown.push(word.startsWith('--set=') ? `--set=${hidden(word.slice('--set='.length))}` : word);
  }
  return shown;
}

export async function planCommand(flags: PlanFlags): Promise<number> {
  if (flags.review === true) refuseUnreviewable(flags);
  refuseRestoreChoiceInBackup(flags);
  const mode = flags.restore ? 'restore' : 'backup';
  // Each format writes or renders each unit as it is planned: a plan of thousands of units is never held.
  const started = startPlan(flags, mode, 'plan', planTime(flags), process.argv.slice(3));
  if (typeof started === 'number') return started;
  const { parts, tail } = keepingTail(started.parts);
  await writePlan(flags, await renderer(parts, flags, fileSpool));
  if (printDiagnostics(started.diagnostics, flags.quiet === true)) return EXIT.usage;
  sayCannotRun(tail());
  return EXIT.ok;
}

/** The parts, and their tail once the renderer has read every unit. */
function keepingTail(parts: PlanParts): { parts: PlanParts; tail: () => PlanTail | undefined } {
  let tail: PlanTail | undefined;
  const units = (function* () {
    tail = yield* parts.units;
    return tail;
  })();
  return { parts: { head: parts.head, units }, tail: () => tail };
}

/**
 * A unit that cannot run is written into the plan as a failure: said on the terminal too, as one
 * who writes a restore script at a bad moment reads the terminal, not the script's header.
 */
function sayCannotRun(tail: PlanTail | undefined): void {
  for (const skipped of tail?.skipped ?? [])
    if (skipped.failed)
      say(
        `warning: ${skipped.title} cannot run: ${skipped.reason} (${formatOrigin(skipped.origin)}); the plan records it as a failure`,
      );
}

async function writePlan(flags: PlanFlags, pieces: Iterable<string | Uint8Array>): Promise<void> {
  if (flags.out === undefined) await writeToStream(process.stdout, pieces);
  else
    writeFileAtomic(
      flags.out,
      pieces,
      flags.includeSecrets ? 0o600 : flags.format === 'bash' ? 0o755 : 0o644,
      `--out ${flags.out}`,
    );
}

/**
 * The plan in its format, handed out piece by piece as it is rendered: each format is its own
 * module. The script's units wait in spools that `spool` makes until its head is known.
 */
export async function renderer(
  parts: PlanParts,
  flags: Pick<PlanFlags, 'format' | 'includeSecrets' | 'out'>,
  spool?: () => Spool<string | Uint8Array>,
): Promise<Iterable<string | Uint8Array>> {
  if (flags.format !== 'bash') return describer(parts, flags.format);
  // The template engine is the heaviest, and only the script needs it.
  const { scriptPieces } = await import('../backends/bash/render.js');
  // The secrets are resolved once every unit is planned, as the script is written.
  const secrets = (tail: PlanTail) => {
    if (flags.includeSecrets !== true || tail.secrets.length === 0) return undefined;
    if (flags.out === undefined)
      say(
        'warning: the secret values go to standard output, whose file mode polyarchiv cannot set; use --out FILE to write them to a file of mode 0600',
      );
    return planSecrets({ ...parts.head, secrets: tail.secrets });
  };
  return spool === undefined ? scriptPieces(parts, secrets) : scriptPieces(parts, secrets, spool);
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
 * --from and --at choose what a restore takes: without --restore the plan would be a backup, whose
 * script, run in place of the restore meant, sends the live data over the copies instead.
 */
function refuseRestoreChoiceInBackup(flags: PlanFlags): void {
  if (flags.restore === true) return;
  const given = [flags.from === undefined ? '' : '--from', flags.at === undefined ? '' : '--at'].filter(
    Boolean,
  );
  if (given.length > 0)
    throw new UsageError(
      `${given.join(' and ')} choose${given.length === 1 ? 's' : ''} the copy a restore takes, and this plan is a backup: add --restore`,
    );
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
