import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { constants } from 'node:os';
import { dirname } from 'node:path';
import { sha256 } from '../../config/load.js';
import type { DirSwapCommand, EnvValue, ExecCommand } from '../../graph/command.js';
import { fillStateTemplate, formatTimestamp } from '../../state/point-state.js';

/**
 * The executor's side of the helpers the script defines in templates/partials/helpers.hbs. Each
 * function here must keep the effect of its bash twin; the parity tests compare both.
 */

/** Takes the collect point's flock like `exec 9>>lock; flock --nonblock 9`: the fd holds it until closed. */
export function takeLock(lockFile: string): number | 'busy' {
  mkdirSync(dirname(lockFile), { recursive: true });
  const fd = openSync(lockFile, 'a');
  const result = spawnSync('flock', ['--nonblock', '3'], { stdio: ['ignore', 'inherit', 'inherit', fd] });
  if (result.error !== undefined) {
    closeSync(fd);
    throw result.error;
  }
  if (result.status === 0) return fd;
  closeSync(fd);
  return 'busy';
}

export function releaseLock(fd: number): void {
  closeSync(fd);
}

export function isStale(file: string, expected: string | null): boolean {
  const actual = existsSync(file) ? sha256(readFileSync(file)) : null;
  return actual !== (expected === '' ? null : expected);
}

export function recordState(file: string, template: string, message: string, now: Date): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.partial`, fillStateTemplate(template, formatTimestamp(now), message));
  renameSync(`${file}.partial`, file);
}

export function dirRecover(command: DirSwapCommand): void {
  if (!isDirectory(command.previous)) return;
  if (existsSync(command.target)) rmSync(command.previous, { recursive: true, force: true });
  else renameSync(command.previous, command.target);
}

export function dirSwap(command: DirSwapCommand): void {
  if (existsSync(command.target)) renameSync(command.target, command.previous);
  renameSync(command.staging, command.target);
  rmSync(command.previous, { recursive: true, force: true });
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Environment of a child: inherited, plus the command's variables; secrets from POLYARCHIV_SECRET_*. */
export function childEnv(env: Readonly<Record<string, EnvValue>> | undefined): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(env ?? {})) {
    if ('literal' in value) result[name] = value.literal;
    else {
      const secret = process.env[value.secret];
      if (secret === undefined || secret === '')
        throw new Error(`secret variable ${value.secret} is not set`);
      result[name] = secret;
    }
  }
  return result;
}

/** Runs argv without a shell; resolves with the exit code bash would report (128+N for signal N). */
export function runExec(command: ExecCommand): Promise<number> {
  return new Promise((resolve) => {
    let env: NodeJS.ProcessEnv;
    try {
      env = childEnv(command.env);
    } catch (error) {
      process.stderr.write(`polyarchiv: ${(error as Error).message}\n`);
      resolve(1);
      return;
    }
    const [tool, ...args] = command.argv as [string, ...string[]];
    const child = spawn(tool, args, {
      stdio: ['ignore', 'inherit', 'inherit'],
      env,
      ...(command.cwd === undefined ? {} : { cwd: command.cwd }),
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      process.stderr.write(
        `polyarchiv: ${tool}: ${error.code === 'ENOENT' ? 'command not found' : error.message}\n`,
      );
      resolve(error.code === 'ENOENT' ? 127 : 126);
    });
    child.on('close', (code, signal) => {
      if (signal !== null) resolve(128 + (constants.signals[signal] ?? 0));
      else resolve(code ?? 1);
    });
  });
}
