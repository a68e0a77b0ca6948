import { closeSync, lstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../diag/diagnostic.js';
import { fsProblem } from '../diag/fs-problem.js';
import { isDirectory } from '../fs-probe.js';
import { loadConfiguration } from '../pipeline.js';
import { cronFile } from '../schedule/cron.js';
import { scheduleGroups } from '../schedule/groups.js';
import { GENERATED_MARK, type ScheduleOptions } from '../schedule/options.js';
import { type GeneratedFile, systemdUnits } from '../schedule/systemd.js';
import { type CommonFlags, configDir, pinnedVariables, runTime } from './common-options.js';
import { EXIT } from './exit-codes.js';
import { printDiagnostics } from './output.js';
import { refuseSecretsPinned } from './pinned-secrets.js';
import { writeFileAtomic } from './write-file-atomic.js';

export interface ScheduleFlags extends CommonFlags {
  systemd?: string;
  cron?: boolean;
  randomizedDelay?: string;
  nice: string;
  user?: string;
  name: string;
  polyarchiv?: string;
}

const CLI = fileURLToPath(new URL('./main.js', import.meta.url));

export function scheduleCommand(flags: ScheduleFlags): number {
  if ((flags.systemd === undefined) === (flags.cron !== true))
    throw new UsageError('schedule: give either --systemd DIR (write units) or --cron (print a cron.d file)');
  const options = scheduleOptions(flags);
  if (flags.systemd !== undefined && !isDirectory(flags.systemd))
    throw new UsageError(
      `--systemd ${flags.systemd}: not a directory (expected where unit files go, such as /etc/systemd/system)`,
    );
  const { diagnostics, config, input } = loadConfiguration(
    options.configDir,
    runTime(flags),
    pinnedVariables(flags),
  );
  for (const file of input.unreadable) diagnostics.error(`cannot read ${file}`);
  if (!diagnostics.hasErrors) refuseSecretsPinned(config, flags, diagnostics);
  if (!diagnostics.hasErrors) {
    const { groups, problems } = scheduleGroups(config);
    for (const problem of problems) diagnostics.error(problem.message, problem.origin);
    if (groups.length === 0 && problems.length === 0)
      diagnostics.error(`no collect or backup point in ${options.configDir}: nothing to schedule`);
    if (!diagnostics.hasErrors) {
      if (flags.systemd === undefined) process.stdout.write(cronFile(groups, options));
      else writeUnits(flags.systemd, systemdUnits(groups, options), options.name, flags.quiet === true);
    }
  }
  return printDiagnostics(diagnostics) ? EXIT.usage : EXIT.ok;
}

function scheduleOptions(flags: ScheduleFlags): ScheduleOptions {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(flags.name))
    throw new UsageError(
      `--name '${flags.name}': expected letters, digits, _ and - (it names units and the cron file)`,
    );
  if (!/^-?\d+$/.test(flags.nice) || Number(flags.nice) < -20 || Number(flags.nice) > 19)
    throw new UsageError(`--nice '${flags.nice}': expected a whole number from -20 to 19`);
  if (flags.user !== undefined && !/^[a-z_][a-z0-9_-]*[$]?$/i.test(flags.user))
    throw new UsageError(`--user '${flags.user}': expected a user name`);
  if (flags.polyarchiv !== undefined && !isAbsolute(flags.polyarchiv))
    throw new UsageError(
      `--polyarchiv '${flags.polyarchiv}': expected an absolute path, such as /usr/bin/polyarchiv`,
    );
  const dir = resolve(configDir(flags));
  // Control characters would end a unit file's line or a cron line early.
  for (const word of [dir, flags.polyarchiv ?? '', process.execPath, CLI, ...flags.set])
    if (/[\p{Cc}]/u.test(word))
      throw new UsageError(`${JSON.stringify(word)}: a path with control characters cannot be scheduled`);
  const delay = flags.randomizedDelay === undefined ? undefined : delaySeconds(flags.randomizedDelay);
  return {
    name: flags.name,
    configDir: dir,
    pinned: flags.set,
    command: flags.polyarchiv === undefined ? [process.execPath, CLI] : [flags.polyarchiv],
    flock: '/usr/bin/flock',
    nice: Number(flags.nice),
    ...(delay === undefined ? {} : { randomizedDelaySeconds: delay }),
    ...(flags.user === undefined ? {} : { user: flags.user }),
  };
}

function delaySeconds(text: string): number {
  const match = /^(\d{1,6})(s|min|h)?$/.exec(text);
  if (match === null)
    throw new UsageError(
      `--randomized-delay '${text}': expected seconds, or a number with s, min or h (30min)`,
    );
  const unit = { s: 1, min: 60, h: 3600 }[match[2] ?? 's'] as number;
  return Number(match[1]) * unit;
}

/** The first line of FILE, or undefined when it does not exist. */
function firstLine(file: string): string | undefined {
  if (lstatSync(file, { throwIfNoEntry: false }) === undefined) return undefined;
  const buffer = Buffer.alloc(256);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${fsProblem(error)}; nothing was written`);
  }
  try {
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, length).toString('utf8').split('\n')[0] ?? '';
  } finally {
    closeSync(fd);
  }
}

/**
 * Every file is checked before any is written: a file that polyarchiv schedule did not write is
 * never replaced. Each file is then replaced whole (atomically), so systemd never reads half a unit.
 */
function writeUnits(dir: string, files: readonly GeneratedFile[], name: string, quiet: boolean): void {
  const foreign = files
    .map((file) => join(dir, file.name))
    .filter((path) => {
      const line = firstLine(path);
      return line !== undefined && !line.startsWith(GENERATED_MARK);
    });
  if (foreign.length > 0)
    throw new UsageError(
      `${foreign.join(', ')}: not written by polyarchiv schedule (no '${GENERATED_MARK}' first line); nothing was written: move ${foreign.length > 1 ? 'them' : 'it'} away or choose another --name`,
    );
  for (const file of files) writeFileAtomic(join(dir, file.name), [file.text], 0o644, join(dir, file.name));
  const written = new Set(files.map((f) => f.name));
  const stale = readdirSync(dir)
    .filter(
      (entry) => entry.startsWith(`${name}-`) && /\.(service|timer)$/.test(entry) && !written.has(entry),
    )
    .filter((entry) => firstLine(join(dir, entry))?.startsWith(GENERATED_MARK) === true)
    .sort();
  for (const entry of stale)
    process.stderr.write(
      `warning: ${join(dir, entry)} was written by an earlier polyarchiv schedule and no point has its frequency now: disable and remove it\n`,
    );
  if (quiet) return;
  for (const file of files) process.stdout.write(`wrote ${join(dir, file.name)}\n`);
  const timers = files.filter((f) => f.name.endsWith('.timer')).map((f) => f.name);
  process.stdout.write(
    `enable them with: systemctl daemon-reload && systemctl enable --now ${timers.join(' ')}\n`,
  );
}
