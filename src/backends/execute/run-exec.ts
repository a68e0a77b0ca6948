import {
  type ChildProcess,
  type SpawnSyncReturns,
  type StdioOptions,
  spawn,
  spawnSync,
} from 'node:child_process';
import { chmodSync, chownSync, closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  type EnvValue,
  type ExecCommand,
  type Explanation,
  type PrivateFileCommand,
  printedExplanation,
  type Word,
} from '../../graph/command.js';
import { HELPERS } from '../../graph/helper-contracts.js';
import type { MeasuredPart } from './measured-size.js';
import { redirectProblem, spawnProblem } from './tool-problems.js';

/** What the executor holds while it runs one unit. */
export interface RunContext {
  /** Created mode 0700 at the start of the run, removed at its end (the script's `mktemp -d`). */
  readonly workDir: string;
  /** Secret values from the configuration; a `POLYARCHIV_SECRET_*` variable in the environment wins. */
  readonly secrets: ReadonlyMap<string, string>;
  /** Tools' output goes through this process's streams (to reach a log file) instead of the terminal's. */
  readonly relayOutput?: boolean;
  /**
   * The collect point's lock, open as fd 9 in every tool as the script's `exec 9>>lock` leaves it:
   * the kernel keeps the lock while any holder lives, so a killed run never frees it under its tools.
   */
  readonly lockFd?: number;
  /**
   * The fd that holds the work directory's lock, open as fd 8 in every tool as the script's
   * `exec 8<DIR` leaves it: a killed run's directory is kept while one of its tools lives.
   */
  readonly workDirFd?: number;
  /** Running tools, each the leader of its own process group, so an interruption stops them whole. */
  readonly processes: Set<ChildProcess>;
  /** Receives the tools' output when the unit's output is kept until it ends; else it is relayed or inherited. */
  readonly output?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /** The figures the unit's guarded copies kept, for its state record (see `fillStateTemplate`). */
  readonly copyFigures?: string[];
  /** The parts of the measured directory its copies counted (polyarchiv_copy's MEASURED). */
  readonly measuredParts?: MeasuredPart[];
  /** The signal that interrupted the run, if one did: no tool of the unit's steps starts after it. */
  readonly interrupted?: () => NodeJS.Signals | undefined;
  /**
   * Takes why a helper refuses (a copy or a dump under its guard): the state records it with the
   * failure, as the script records what its helpers put in `polyarchiv_explained`.
   */
  readonly explain?: (why: string) => void;
  /** When the run started, as its state files record it (the script's `polyarchiv_started`). */
  readonly runStarted?: string;
  /** The same time in seconds since the epoch (the script's `polyarchiv_started_seconds`). */
  readonly runStartedSeconds?: number;
}

/**
 * Says why the step fails, as a helper's line, and records it; nothing without words (a helper's
 * optional words). The script's `polyarchiv_say_why`.
 */
export function sayWhy(say: (line: string) => void, ctx: RunContext, why: string | undefined): void {
  if (why === undefined || why === '') return;
  say(`  ${why}`);
  ctx.explain?.(why);
}

/** The fds a tool finds the work directory's lock and the collect point's lock on, as in the script. */
const WORK_DIR_FD = 8;
const LOCK_FD = 9;

/**
 * Writes as the unit's tools write: into the unit's kept output when it has one (units side by
 * side, hooks that receive the unit's output), else to this process's stream. The script's unit
 * sends its helpers' messages and its tools' output to the same place, in the order they come.
 */
export function writeAsTool(
  ctx: Pick<RunContext, 'output'>,
  stream: 'stdout' | 'stderr',
  text: string | Buffer,
): void {
  if (text.length === 0) return;
  const chunk = typeof text === 'string' ? Buffer.from(text) : text;
  if (ctx.output !== undefined) ctx.output(stream, chunk);
  else process[stream].write(chunk);
}

export function secretValue(name: string, ctx: RunContext): string {
  const value = process.env[name] ?? ctx.secrets.get(name);
  if (value === undefined || value === '') throw new Error(`${name}: secret not set`);
  return value;
}

/** Twin of polyarchiv_require_secrets: the secret variables that resolve to nothing. */
export function missingSecrets(names: readonly string[], secrets: ReadonlyMap<string, string>): string[] {
  return names.filter((name) => (process.env[name] ?? secrets.get(name) ?? '') === '');
}

export function wordOf(word: Word, ctx: RunContext): string {
  if (typeof word === 'string') return word;
  if ('workFile' in word) return `${word.prefix}${join(ctx.workDir, word.workFile)}`;
  if (ctx.runStartedSeconds === undefined) throw new Error('the time the run started is not known here');
  return `${word.prefix}${ctx.runStartedSeconds}`;
}

export function envValue(name: string, value: EnvValue, ctx: RunContext): string {
  if ('literal' in value) return value.literal;
  if ('workFile' in value) return join(ctx.workDir, value.workFile);
  if ('fileText' in value) return workFileText(value.fileText, ctx);
  if ('runStarted' in value) {
    const set = process.env[name];
    if (set !== undefined && set !== '') return set;
    if (ctx.runStarted === undefined) throw new Error('the time the run started is not known here');
    return ctx.runStarted;
  }
  const secret = secretValue(value.secret, ctx);
  return value.obscuredBy === undefined ? secret : obscured(secret, value.obscuredBy);
}

/** Twin of the script's `$(printf '%s' SECRET | rclone obscure -)`: the secret read on stdin. */
function obscured(secret: string, rclone: string): string {
  const run = spawnSync(rclone, ['obscure', '-'], { input: secret, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${rclone} obscure: ${run.error?.message ?? run.stderr.trim()}`);
  return run.stdout.replace(/\n$/, '');
}

/** A work file's text as bash's `$(<file)` reads it: without its final newlines. */
export function workFileText(name: string, ctx: RunContext): string {
  return readFileSync(join(ctx.workDir, name), 'utf8').replace(/\n+$/, '');
}

/** Each of `characters` preceded by a backslash (twin of polyarchiv_private_file's loop). */
function escaped(value: string, characters: string): string {
  let text = value;
  for (const c of characters) text = text.replaceAll(c, `\\${c}`);
  return text;
}

/** Twin of polyarchiv_private_file. */
export function writePrivateFile(command: PrivateFileCommand, ctx: RunContext): void {
  const text = command.parts
    .map((part) => {
      if (typeof part === 'string') return part;
      if ('secret' in part) return escaped(secretValue(part.secret, ctx), part.escape);
      return escaped(workFileText(part.fileText, ctx), part.escape).replace(/\r?\n|\r/g, part.newline);
    })
    .join('');
  const file = join(ctx.workDir, command.workFile);
  writeFileSync(file, text, { mode: 0o600 });
  if (command.owner !== undefined) {
    const { uid, gid } = userIds(command.owner);
    chmodSync(ctx.workDir, 0o711);
    chownSync(file, uid, gid);
  }
}

function userIds(user: string): { uid: number; gid: number } {
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === user);
  if (entry === undefined) throw new Error(`no local user ${user}`);
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

/**
 * Runs a program to its end outside any unit (a dry run's list, a state file read back before
 * planning): its words and environment resolved as runExec resolves them in `ctx`; returns the
 * program as run and its result. A secret that cannot be made ready is returned as the reason,
 * and nothing runs.
 */
export function runToEnd(
  command: { readonly argv: readonly Word[]; readonly env?: Readonly<Record<string, EnvValue>> | undefined },
  ctx: RunContext,
  stdio: StdioOptions = 'pipe',
): { readonly program: string; readonly run: SpawnSyncReturns<string> } | { readonly unready: string } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  try {
    for (const [name, value] of Object.entries(command.env ?? {})) env[name] = envValue(name, value, ctx);
  } catch (error) {
    return { unready: (error as Error).message };
  }
  const [program = '', ...args] = command.argv.map((word) => wordOf(word, ctx));
  return { program, run: spawnSync(program, args, { encoding: 'utf8', env, stdio, maxBuffer: 1 << 30 }) };
}

/**
 * Runs `command` with its error output kept until it ends (its standard output goes on as the
 * tool's): what it printed, not yet shown, for the words a failure is explained in.
 */
export async function runKeepingErrors(
  command: ExecCommand,
  ctx: RunContext,
): Promise<{ status: number; errors: Buffer }> {
  const kept: Buffer[] = [];
  const status = await runExec(command, {
    ...ctx,
    output: (stream, chunk) => {
      if (stream === 'stderr') kept.push(chunk);
      else writeAsTool(ctx, stream, chunk);
    },
  });
  return { status, errors: Buffer.concat(kept) };
}

/**
 * Twin of polyarchiv_kept_errors_said: a tool's error output, kept until it ended, shown as its
 * own; then a failure (`status`) said in the words of the first of `explains` whose text it
 * printed, else in `otherwise`'s.
 */
export function keptErrorsSaid(
  ctx: RunContext,
  say: (line: string) => void,
  status: number,
  errors: Buffer | string,
  explains: readonly Explanation[],
  otherwise?: string,
): void {
  writeAsTool(ctx, 'stderr', errors);
  if (status !== 0) sayWhy(say, ctx, printedExplanation(explains, errors.toString()) ?? otherwise);
}

/**
 * Runs argv without a shell, piped into each program of `pipeline` in turn; resolves with the exit
 * code bash would report (128+N for signal N; for a pipe, under pipefail, the status of the last
 * program that did not exit 0). node joins two programs with a socket pair, not a pipe: one that
 * writes after the next stopped reading fails with an error instead of SIGPIPE, a different
 * status (1 or 2, not 141) for the same failure. With `childErrors`, the lines that a program the
 * tool started wrote into that file follow the tool's error output once it ends.
 */
export async function runExec(command: ExecCommand, ctx: RunContext): Promise<number> {
  if (command.childErrors === undefined) return await runTool(command, ctx);
  const file = join(ctx.workDir, command.childErrors.workFile);
  rmSync(file, { force: true });
  try {
    return await runTool(command, ctx);
  } finally {
    showChildErrors(file, command.childErrors.prefix, ctx);
  }
}

/**
 * Twin of polyarchiv_child_errors' end: the lines a program the tool started wrote into `file`,
 * each after `prefix` and without the carriage return ssh ends its lines with, as the tool's error
 * output; then the file is removed.
 */
function showChildErrors(file: string, prefix: string, ctx: RunContext): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return;
  }
  rmSync(file, { force: true });
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  writeAsTool(ctx, 'stderr', lines.map((line) => `${prefix}${line.replace(/\r$/, '')}\n`).join(''));
}

async function runTool(command: ExecCommand, ctx: RunContext): Promise<number> {
  const fds: number[] = [];
  try {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const [name, value] of Object.entries(command.env ?? {})) env[name] = envValue(name, value, ctx);
    let stdin: number | 'ignore' = 'ignore';
    let stdout: number | 'inherit' = 'inherit';
    try {
      if (command.stdin !== undefined) {
        stdin = openSync(wordOf(command.stdin, ctx), 'r');
        fds.push(stdin);
      }
      if (command.stdout !== undefined) {
        stdout = openSync(wordOf(command.stdout, ctx), 'w', 0o600);
        fds.push(stdout);
      }
    } catch (error) {
      writeAsTool(ctx, 'stderr', `polyarchiv: ${redirectProblem(error as NodeJS.ErrnoException)}\n`);
      return 1;
    }
    const start = (argv: readonly Word[], input: Stdio, output: Stdio) =>
      startTool(
        argv.map((w) => wordOf(w, ctx)),
        input,
        output,
        { env, cwd: command.cwd },
        ctx,
      );
    // Started from the last program back, so that each writes into a reader already running.
    const stages = [command.argv, ...(command.pipeline ?? [])];
    const done: Promise<number>[] = [];
    let output: Stdio = stdout;
    for (let i = stages.length - 1; i >= 0; i--) {
      const tool = start(stages[i] as readonly Word[], i === 0 ? stdin : 'pipe', output);
      // The program holds the pipe's writing end now: the next sees its end when this one exits.
      if (output instanceof Writable) output.destroy();
      done.unshift(tool.done);
      if (i === 0) break;
      const pipe = tool.child?.stdin;
      // A program that cannot start fails the pipe as in bash, without running those before it.
      if (tool.child?.pid === undefined || pipe === null || pipe === undefined) break;
      output = pipe;
    }
    return lastFailure(await Promise.all(done));
  } catch (error) {
    writeAsTool(ctx, 'stderr', `polyarchiv: ${(error as Error).message}\n`);
    return 1;
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

/** The status of a tool that `signal` ended, as bash reports it: 128 + the signal's number. */
export const signalStatus = (signal: NodeJS.Signals): number => 128 + (constants.signals[signal] ?? 0);

/** bash's pipefail: the status of the last program of a pipe that did not exit 0. */
function lastFailure(statuses: readonly number[]): number {
  for (let i = statuses.length - 1; i >= 0; i--) if (statuses[i] !== 0) return statuses[i] as number;
  return 0;
}

/** Twin of polyarchiv_tolerate: a command's status, with the one that also means success made 0. */
export function tolerated(status: number, alsoSucceedsOn: number | undefined): number {
  return status !== 0 && status === alsoSucceedsOn ? HELPERS.tolerate.statuses.tolerated : status;
}

type Stdio = number | 'ignore' | 'inherit' | 'pipe' | Writable;

interface StartedTool {
  readonly child?: ChildProcess;
  readonly done: Promise<number>;
}

/**
 * Spawns one tool in a process group of its own, with the lock on fd 9; its output goes to
 * `output` (a file, or a pipe to another tool) and its errors to the terminal, or to the unit's
 * buffer when the unit's output is kept.
 */
function startTool(
  words: readonly string[],
  input: Stdio,
  output: Stdio,
  options: { readonly env: NodeJS.ProcessEnv; readonly cwd: string | undefined },
  ctx: RunContext,
): StartedTool {
  const [tool, ...args] = words as [string, ...string[]];
  // A helper runs several tools in turn (a guarded copy measures, then copies): after a signal the
  // next one fails as if the signal had ended it, as the script's unit exits before starting it.
  const signal = ctx.interrupted?.();
  if (signal !== undefined) return { done: Promise.resolve(signalStatus(signal)) };
  const buffered =
    ctx.output ??
    (ctx.relayOutput === true
      ? (stream: 'stdout' | 'stderr', chunk: Buffer) => process[stream].write(chunk)
      : undefined);
  const stdio: StdioOptions = [
    input,
    output === 'inherit' && buffered ? 'pipe' : output,
    buffered ? 'pipe' : 'inherit',
  ];
  if (ctx.workDirFd !== undefined || ctx.lockFd !== undefined) {
    while (stdio.length < WORK_DIR_FD) stdio.push('ignore');
    stdio[WORK_DIR_FD] = ctx.workDirFd ?? 'ignore';
    if (ctx.lockFd !== undefined) stdio[LOCK_FD] = ctx.lockFd;
  }
  let child: ChildProcess | undefined;
  let settle: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => {
    let settled = false;
    settle = (code) => {
      if (settled) return;
      settled = true;
      resolve(code);
    };
  });
  const failed = (error: NodeJS.ErrnoException) => {
    writeAsTool(ctx, 'stderr', `polyarchiv: ${tool}: ${spawnProblem(error)}\n`);
    if (child !== undefined) ctx.processes.delete(child);
    settle(error.code === 'ENOENT' ? 127 : 126);
  };
  try {
    child = spawn(tool, args, {
      stdio,
      env: options.env,
      detached: true,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
  } catch (error) {
    // Some failures (E2BIG, EINVAL) are thrown instead of emitted: the unit fails, not the run.
    failed(error as NodeJS.ErrnoException);
    return { done };
  }
  const started = child;
  ctx.processes.add(started);
  if (output === 'inherit') started.stdout?.on('data', (chunk: Buffer) => buffered?.('stdout', chunk));
  started.stderr?.on('data', (chunk: Buffer) => buffered?.('stderr', chunk));
  started.on('error', failed);
  started.on('close', (code, signal) => {
    ctx.processes.delete(started);
    settle(signal !== null ? signalStatus(signal) : (code ?? 1));
  });
  return { child: started, done };
}
