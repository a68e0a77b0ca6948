import { existsSync } from 'node:fs';
import { checkHost } from '../config/check-host.js';
import type { UnreadableFiles } from '../config/load.js';
import { METADATA_OPTIONS } from '../config/metadata-options.js';
import { normalizedIni } from '../config/normalize.js';
import type { ScannedSection } from '../config/scan.js';
import { counted } from '../counted.js';
import { formatOrigin } from '../diag/origin.js';
import type { BoundFilter, BoundHook, Role } from '../engines/engine.js';
import { findEngine } from '../engines/registry.js';
import { secretVariables } from '../engines/secrets.js';
import { describeFrequency, type Frequency, isInFuture, nextDue } from '../options/frequency.js';
import { loadConfiguration } from '../pipeline.js';
import { checkSelection, matchesOnly } from '../planner/select.js';
import { unfinishedRestoreMark, unfinishedRestoreProblem } from '../planner/unfinished-restore.js';
import { formatTimestamp, parseTimestamp } from '../state/point-state.js';
import { readState, stateProblemText } from '../state/read-states.js';
import { type CommonFlags, configDir, pinnedVariables, runTime } from './common-options.js';
import { EXIT } from './exit-codes.js';
import { sizeHeapForLargePlans } from './large-plan-heap.js';
import { printDiagnostics } from './output.js';

const METADATA_SECRETS = new Set(METADATA_OPTIONS.filter((o) => o.secret === true).map((o) => o.name));

function load(flags: CommonFlags, unreadableFiles?: UnreadableFiles) {
  const now = runTime(flags);
  return {
    now,
    ...loadConfiguration(configDir(flags), now, pinnedVariables(flags), {
      onRead: sizeHeapForLargePlans,
      ...(unreadableFiles === undefined ? {} : { unreadableFiles }),
    }),
  };
}

export function validateCommand(flags: CommonFlags): number {
  // Valid means that it runs: a file the run could not read would leave its points out.
  const { diagnostics, config } = load(flags, 'refused');
  // The machine's checks too, on every option that resolved: one round gives every error.
  checkHost(config, 'backup', diagnostics);
  if (printDiagnostics(diagnostics)) return EXIT.usage;
  if (!flags.quiet) {
    process.stdout.write(
      `configuration is valid: ${counted(config.collectPoints.length, 'collect point')}, ${counted(config.backupPoints.length, 'backup point')}, ${counted(config.pairs.length, 'association')}\n`,
    );
  }
  return EXIT.ok;
}

export function configCommand(flags: CommonFlags & { show?: boolean }): number {
  const { diagnostics, config, input, now } = load(flags);
  if (!diagnostics.hasErrors) checkSelection(config, flags, diagnostics);
  checkHost(config, 'backup', diagnostics);
  if (printDiagnostics(diagnostics)) return EXIT.usage;
  if (flags.show) {
    // A variable that a secret is made of is a secret too.
    const hidden = secretVariables(config);
    const masked = (section: ScannedSection, key: string) =>
      section.kind === 'variables' ? hidden.has(key) : isSecretOption(section, key);
    for (const file of input.files) process.stdout.write(`; ${file.name}\n${normalizedIni(file, masked)}\n`);
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
    out.push(...cp.filters.map((filter) => `  ${filterLine(filter)}`));
    out.push(...(cp.hooks ?? []).map((hook) => `  ${hookLine(hook)}`));
    out.push(`  ${statusLine(cp.frequency, cp.layout.stateFile, now)}`);
    if (existsSync(unfinishedRestoreMark(cp))) out.push(`  ${unfinishedRestoreProblem(cp)}`);
    for (const pair of config.pairs.filter((p) => p.collectPoint === cp.name)) {
      out.push(
        `  -> backup point ${pair.name} (${pair.engine.name}): ${statusLine(pair.frequency, pair.stateFile, now)}`,
      );
      out.push(...pair.filters.map((filter) => `     ${filterLine(filter)}`));
      out.push(...(pair.hooks ?? []).map((hook) => `     ${hookLine(hook)}`));
    }
  }
  const lonely = config.backupPoints.filter((bp) => !config.pairs.some((p) => p.name === bp.name));
  for (const bp of lonely)
    out.push('', `backup point ${bp.name} (${bp.engine.name}) is associated with no collect point`);
  if (config.globalHooks !== undefined)
    out.push('', 'around the whole run', ...config.globalHooks.map((hook) => `  ${hookLine(hook)}`));
  process.stdout.write(`${out.join('\n')}\n`);
  return EXIT.ok;
}

/** A hook as `config` lists it: what runs it, and where it is configured. */
const hookLine = (hook: BoundHook) =>
  `hook ${hook.name} (${hook.engine.name}) on ${hook.events.join(', ')}, at ${formatOrigin({ file: hook.origin.file, line: hook.origin.line })}`;

const filterLine = (filter: BoundFilter) =>
  `filter ${filter.name} (${filter.engine.name}), at ${formatOrigin({ file: filter.origin.file, line: filter.origin.line })}`;

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

/**
 * Secret options of the section's engine (passwords), and of every backup point (metadata_url's):
 * `config --show` never prints them.
 */
function isSecretOption(section: ScannedSection, key: string): boolean {
  if (section.kind === 'point' && METADATA_SECRETS.has(key)) return true;
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
