import { checkHost } from '../config/check-host.js';
import { normalizedIni } from '../config/normalize.js';
import type { ResolvedConfig } from '../config/resolve.js';
import type { ScannedSection } from '../config/scan.js';
import type { Role } from '../engines/engine.js';
import { findEngine } from '../engines/registry.js';
import { describeFrequency, type Frequency, isInFuture, isOverdue, nextDue } from '../options/frequency.js';
import { loadConfiguration } from '../pipeline.js';
import { futureSuccessWarning, matchesOnly, unmatchedSelection } from '../planner/select.js';
import { formatTimestamp, parseTimestamp } from '../state/point-state.js';
import { readState, stateProblemText } from '../state/read-states.js';
import { type CommonFlags, configDir, pinnedVariables, runTime } from './common-options.js';
import { EXIT } from './exit-codes.js';
import { printDiagnostics } from './output.js';

function load(flags: CommonFlags) {
  const now = runTime(flags);
  return { now, ...loadConfiguration(configDir(flags), now, pinnedVariables(flags)) };
}

export function validateCommand(flags: CommonFlags): number {
  const { diagnostics, config } = load(flags);
  if (!diagnostics.hasErrors) checkHost(config, 'backup', diagnostics);
  if (printDiagnostics(diagnostics)) return EXIT.usage;
  if (!flags.quiet) {
    process.stdout.write(
      `configuration is valid: ${config.collectPoints.length} collect points, ${config.backupPoints.length} backup points, ${config.pairs.length} associations\n`,
    );
  }
  return EXIT.ok;
}

interface Freshness {
  readonly label: string;
  readonly frequency: Frequency;
  readonly stateFile: string;
}

/** Every selected point and pair with its state file; read-only. */
function freshnessTargets(config: ResolvedConfig, flags: CommonFlags): Freshness[] {
  const targets: Freshness[] = [];
  for (const cp of config.collectPoints) {
    if (!matchesOnly(flags.onlyCollectPoints, cp.name, cp.tags)) continue;
    targets.push({ label: cp.name, frequency: cp.frequency, stateFile: cp.layout.stateFile });
    for (const pair of config.pairs.filter((p) => p.collectPoint === cp.name)) {
      if (!matchesOnly(flags.onlyBackupPoints, pair.name, pair.tags)) continue;
      // The backup point's own frequency judges the pair (the original used the collect point's).
      targets.push({
        label: `${cp.name}:${pair.name}`,
        frequency: pair.frequency,
        stateFile: pair.stateFile,
      });
    }
  }
  return targets;
}

export function configCommand(flags: CommonFlags & { show?: boolean }): number {
  const { diagnostics, config, input, now } = load(flags);
  if (!diagnostics.hasErrors) {
    for (const problem of unmatchedSelection(config, flags)) diagnostics.error(problem);
    checkHost(config, 'backup', diagnostics);
  }
  if (printDiagnostics(diagnostics)) return EXIT.usage;
  if (flags.show) {
    for (const file of input.files)
      process.stdout.write(`; ${file.name}\n${normalizedIni(file, isSecretOption)}\n`);
    return EXIT.ok;
  }
  const out: string[] = [`configuration directory: ${configDir(flags)} (change it with -C DIR)`];
  for (const cp of config.collectPoints) {
    if (!matchesOnly(flags.onlyCollectPoints, cp.name, cp.tags)) continue;
    out.push(
      '',
      `collect point ${cp.name} (${cp.engine.name}, ${cp.layout.root}), tags: ${cp.tags.own.join(', ') || 'none'}`,
    );
    for (const source of cp.sources) out.push(`  source ${source.name} (${source.engine.name})`);
    out.push(`  ${statusLine(cp.frequency, cp.layout.stateFile, now)}`);
    for (const pair of config.pairs.filter((p) => p.collectPoint === cp.name)) {
      out.push(
        `  -> backup point ${pair.name} (${pair.engine.name}): ${statusLine(pair.frequency, pair.stateFile, now)}`,
      );
    }
  }
  const lonely = config.backupPoints.filter((bp) => !config.pairs.some((p) => p.name === bp.name));
  for (const bp of lonely)
    out.push('', `backup point ${bp.name} (${bp.engine.name}) is associated with no collect point`);
  process.stdout.write(`${out.join('\n')}\n`);
  return EXIT.ok;
}

function statusLine(frequency: Frequency, stateFile: string, now: Date): string {
  const { state, problem } = readState(stateFile);
  if (problem !== undefined)
    return `${describeFrequency(frequency)}, ${stateProblemText(stateFile, problem)}, due now`;
  const last = parseTimestamp(state.last_success);
  const next = nextDue(frequency, last, now);
  const lastText =
    last === undefined
      ? 'never succeeded'
      : `last success ${formatTimestamp(last)}${isInFuture(last, now) ? ' (in the future: a clock was wrong)' : ''}`;
  const failed = state.last_state_valid === false ? `, last run failed: ${state.last_message}` : '';
  const nextText = next === undefined || next <= now ? 'due now' : `next due ${formatTimestamp(next)}`;
  return `${describeFrequency(frequency)}, ${lastText}${failed}, ${nextText}`;
}

export function checkCommand(flags: CommonFlags & { nrpe?: boolean }): number {
  const nagios = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'];
  const { diagnostics, config, input, now } = load(flags);
  // Points of an unreadable file or outside a mistyped selection cannot be judged: never say OK.
  const unjudgeable = [
    ...input.unreadable.map((file) => `cannot read ${file}`),
    ...unmatchedSelection(config, flags),
  ];
  if (diagnostics.hasErrors || unjudgeable.length > 0) {
    if (flags.nrpe)
      process.stdout.write(
        `UNKNOWN - ${unjudgeable.length > 0 ? unjudgeable.join(', ') : 'unable to load configuration'}\n`,
      );
    printDiagnostics(diagnostics);
    for (const problem of unjudgeable) process.stderr.write(`error: ${problem}\n`);
    return flags.nrpe ? 3 : EXIT.usage;
  }
  const critical: string[] = [];
  const unknown: string[] = [];
  const warning: string[] = [];
  for (const target of freshnessTargets(config, flags)) {
    const { state, problem } = readState(target.stateFile);
    const last = parseTimestamp(state.last_success);
    if (problem !== undefined)
      unknown.push(`cannot judge ${target.label}: ${stateProblemText(target.stateFile, problem)}`);
    else if (state.last_state_valid === false)
      critical.push(`the last backup of ${target.label} has failed: ${state.last_message}`);
    else if (last === undefined) critical.push(`no successful backup of ${target.label}`);
    else if (isInFuture(last, now)) warning.push(futureSuccessWarning(target.label, last));
    else if (isOverdue(target.frequency, last, now))
      warning.push(`the last backup of ${target.label} is out of date: ${formatTimestamp(last)}`);
  }
  // A failure outranks a state that cannot be judged, which outranks a late backup.
  const level = critical.length > 0 ? 2 : unknown.length > 0 ? 3 : warning.length > 0 ? 1 : 0;
  const message = level === 0 ? 'everything is valid' : [...critical, ...unknown, ...warning].join(', ');
  process.stdout.write(flags.nrpe ? `${nagios[level]} - ${message}\n` : `${message}\n`);
  if (!flags.nrpe) printDiagnostics(diagnostics);
  return level;
}

/** Secret options of the section's engine (passwords): `config --show` never prints them. */
function isSecretOption(section: ScannedSection, key: string): boolean {
  const role =
    section.kind === 'source' || section.kind === 'filter' || section.kind === 'hook'
      ? section.kind
      : undefined;
  const engineName = section.entries.find((e) => e.key === 'engine')?.value;
  const roles: Role[] = role !== undefined ? [role] : section.kind === 'point' ? ['collect', 'backup'] : [];
  return roles.some((r) => {
    const found = engineName === undefined ? undefined : findEngine(r, engineName);
    return found?.kind === 'found' && found.engine.options.some((o) => o.name === key && o.secret === true);
  });
}
