import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Seconds after which a command of a test that has not ended has what the machine runs then
 * printed beside the test's output: no command of the suite takes more than 8 s on a machine of 2
 * cores, so a run past this is stuck, and the processes and what each waits on in the kernel say
 * where. The test's own timeout still fails it.
 */
const STALL_SECONDS = 40;

// Every process but the kernel's threads.
const PROCESSES = [
  '--ppid',
  '2',
  '-p',
  '2',
  '--deselect',
  '-o',
  'pid,ppid,stat,etime,wchan:32,args',
  '--forest',
];

const stallReport = (what: string, processes: string) =>
  `${what}: still running after ${STALL_SECONDS} s; the machine's processes then:\n${processes}`;

let watches = 0;

/**
 * For a command run synchronously, which holds this process: a watcher of its own looks at the
 * machine when the command is late, into a file read once the command has ended. It waits on a
 * pipe from here, whose end, when the command ends, ends it: no process is left behind.
 */
function watchSync(what: string): () => void {
  const file = join(tmpdir(), `polyarchiv-stall-${process.pid}-${++watches}.txt`);
  const fd = openSync(file, 'w', 0o600);
  const watcher = spawn(
    'bash',
    ['-c', `read -r -t ${STALL_SECONDS} || { (($? > 128)) && exec ps "$@"; }`, 'bash', ...PROCESSES],
    { stdio: ['pipe', fd, fd] },
  );
  closeSync(fd);
  return () => {
    watcher.stdin?.destroy();
    const processes = readFileSync(file, 'utf8');
    rmSync(file, { force: true });
    if (processes !== '') console.error(stallReport(what, processes));
  };
}

/** The machine's processes now, with what each waits on in the kernel. */
export function processList(): string {
  const ps = spawnSync('ps', PROCESSES, { encoding: 'utf8' });
  return ps.error === undefined ? ps.stdout + ps.stderr : ps.error.message;
}

/** For a command run asynchronously: a timer, as this process is free meanwhile. */
export function watchAsync(what: string): () => void {
  const timer = setTimeout(() => console.error(stallReport(what, processList())), STALL_SECONDS * 1000);
  return () => clearTimeout(timer);
}

/** Runs the built CLI (npm test builds it first) with a pinned time zone; in `cwd`, when given. */
export function runCli(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  cwd?: string,
): CliResult {
  const ended = watchSync(`polyarchiv ${args.join(' ')}`);
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'Europe/Paris', ...env },
    ...(cwd === undefined ? {} : { cwd }),
  });
  ended();
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Same, without blocking the test (for concurrency tests). */
export function runCliAsync(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<CliResult> {
  return runAsync(process.execPath, [CLI, ...args], env);
}

export function runAsync(
  command: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<CliResult> {
  const ended = watchAsync(`${command} ${args.join(' ')}`);
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, TZ: 'Europe/Paris', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code, signal) => {
      ended();
      resolve({ code: code ?? (signal === null ? -1 : 128), stdout, stderr });
    });
  });
}

/**
 * A backup of `args` (`-C DIR` and flags) through apply, or through the script that `plan` writes
 * to `script` and bash runs with `env` (apply reads secrets from the configuration).
 */
export function backupThrough(
  backend: 'apply' | 'script',
  script: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<CliResult> {
  if (backend === 'apply') return runCliAsync(['backup', ...args]);
  const plan = runCli(['plan', ...args]);
  if (plan.code !== 0) throw new Error(`plan failed with ${plan.code}: ${plan.stderr}`);
  writeFileSync(script, plan.stdout);
  return runAsync('bash', [script], env);
}

/**
 * A backup or a restore through apply, or through the script that `plan` renders with the same
 * flags, written into `dir`; a restore goes on without asking (--yes), so that only the guards
 * can stop it.
 */
export function runThrough(
  how: 'apply' | 'script',
  command: 'backup' | 'restore',
  args: readonly string[],
  dir: string,
): CliResult {
  const yes = command === 'restore' ? ['--yes'] : [];
  if (how === 'apply') return runCli([command, ...yes, ...args]);
  const plan = runCli(['plan', ...(command === 'restore' ? ['--restore'] : []), ...args]);
  if (plan.code !== 0) throw new Error(`plan failed with ${plan.code}: ${plan.stderr}`);
  const script = join(dir, `${command}.sh`);
  writeFileSync(script, plan.stdout);
  const result = spawnSync('bash', [script, ...yes], { encoding: 'utf8' });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** A `--log-file` with the time stamp that starts each of its lines removed (checked first). */
export function withoutLogStamps(log: string): string {
  for (const line of log.split('\n').slice(0, -1))
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2} /.test(line))
      throw new Error(`a log line without its time: ${line}`);
  return log.replace(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2} /gm, '');
}
