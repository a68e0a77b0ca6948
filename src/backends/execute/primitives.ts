import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { sha256 } from '../../config/load.js';
import { isDirectory } from '../../fs-probe.js';
import { assertNever } from '../../graph/action.js';
import { type DirSwapCommand, DUMP_END_BYTES, type DumpCheckCommand } from '../../graph/command.js';
import { HELPERS } from '../../graph/helper-contracts.js';
import type { PlanInput } from '../../planner/plan.js';
import { fillStateTemplate, stateTimestamp } from '../../state/point-state.js';
import { HELPER_MESSAGES } from '../helper-messages.js';
import { makeDir } from './make-dir.js';

/**
 * The executor's side of the helpers the script defines in templates/partials/helpers.hbs and
 * helpers-state.hbs. Each function here must keep the effect of its bash twin; the parity tests
 * compare both.
 */

/**
 * Twin of polyarchiv_create_file: `path` new and empty (O_EXCL, mode 0666 less the umask, as bash
 * creates it), what a killed run left there removed first; a file opened for writing would keep
 * the leftover's mode and owner.
 */
export function createFile(path: string): void {
  rmSync(path, { force: true });
  closeSync(openSync(path, 'wx'));
}

/**
 * Twin of polyarchiv_lock: takes the collect point's flock like `exec 9>>lock; flock --nonblock 9`
 * (the fd holds it until closed), again if the file locked was removed by a run that just ended.
 * Rejects with an Error naming the cause when the lock cannot be taken at all. flock is waited for
 * without blocking, so that units running side by side go on meanwhile.
 */
export async function takeLock(lockFile: string): Promise<number | 'busy'> {
  try {
    makeDir(dirname(lockFile));
  } catch (error) {
    throw new Error(HELPER_MESSAGES.lockDirFailed(dirname(lockFile), causeOf(error)));
  }
  for (;;) {
    let fd: number;
    try {
      fd = openSync(lockFile, 'a');
    } catch (error) {
      throw new Error(HELPER_MESSAGES.lockOpenFailed(lockFile, causeOf(error)));
    }
    const result = await flockNonblocking(fd);
    if (result.status === 0 && isSameFile(fd, lockFile)) return fd;
    closeSync(fd);
    if (result.status === 0) continue;
    if (result.status === 1) return 'busy';
    const why =
      result.error?.code === 'ENOENT'
        ? 'flock: command not found'
        : result.error !== undefined
          ? causeOf(result.error)
          : (result.stderr.trim().split(': ').pop() ?? `flock exited with ${result.status}`);
    throw new Error(HELPER_MESSAGES.lockFailed(lockFile, why));
  }
}

/** `flock --nonblock 3` on `fd`: its exit status (null when killed), error output, spawn error. */
function flockNonblocking(
  fd: number,
): Promise<{ status: number | null; stderr: string; error?: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    const child = spawn(HELPERS.lock.tools[0], ['--nonblock', '3'], {
      stdio: ['ignore', 'ignore', 'pipe', fd],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    child.on('error', (error) => resolve({ status: null, stderr, error }));
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

function isSameFile(fd: number, path: string): boolean {
  try {
    const held = fstatSync(fd);
    const named = statSync(path);
    return held.dev === named.dev && held.ino === named.ino;
  } catch {
    return false;
  }
}

/** Where libuv's words differ from the C library's, which the script prints. */
const SYSTEM_WORDS: Readonly<Record<string, string>> = {
  EISDIR: 'Is a directory',
  EIO: 'Input/output error',
};

/** The system's words for a failed call ("Read-only file system"), without node's code and path. */
export function causeOf(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  if (code !== undefined && SYSTEM_WORDS[code] !== undefined) return SYSTEM_WORDS[code];
  const text =
    code !== undefined && message.startsWith(`${code}: `) ? message.slice(code.length + 2) : message;
  const words = text.replace(/, \w+ '.*$/, '');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * Twin of polyarchiv_unlock: the original PolyArchiv takes an existing lock file for a live lock.
 * The fd is closed even when the file cannot be removed.
 */
export function releaseLock(fd: number, lockFile: string): void {
  try {
    rmSync(lockFile, { force: true });
  } finally {
    closeSync(fd);
  }
}

/**
 * Twin of polyarchiv_check_config: whether the configuration directory differs from the files a
 * plan was made from (a file edited, added, removed or unreadable).
 */
export function configChanged(dir: string, inputs: readonly PlanInput[]): boolean {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return true;
  }
  const files = names.filter(
    (n) => /\.(global|collect|backup)$/.test(n) && !n.startsWith('.') && isFile(join(dir, n)),
  );
  if (files.length !== inputs.length) return true;
  return inputs.some((input) => {
    try {
      return sha256(readFileSync(join(dir, input.file))) !== input.sha256;
    } catch {
      return true;
    }
  });
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function isStale(file: string, expected: string | null): boolean {
  let actual: string | null = null;
  if (existsSync(file)) {
    try {
      actual = sha256(readFileSync(file));
    } catch (error) {
      throw new Error(HELPER_MESSAGES.stateUnreadable(file, causeOf(error)));
    }
  }
  return actual !== (expected === '' ? null : expected);
}

export interface RecordOptions {
  /** `total_size`, measured with `measuredSize`. */
  readonly size?: number;
  /** The file is corrupt: keep it as `FILE.corrupt-TIMESTAMP` instead of overwriting its history. */
  readonly keepAside?: boolean;
  /** The figures the unit's copies kept (see `fillStateTemplate`). */
  readonly copies?: readonly string[];
}

export function recordState(
  file: string,
  template: string,
  message: string,
  times: { readonly started: Date; readonly now: Date; readonly duration: number },
  options: RecordOptions = {},
): void {
  const stamps = {
    started: stateTimestamp(times.started),
    now: stateTimestamp(times.now),
    duration: times.duration,
  };
  const text = fillStateTemplate(template, stamps, message, options.size ?? 0, options.copies);
  // A full disk or a read-only directory fails the unit, never the run; no partial file is left.
  try {
    makeDir(dirname(file));
    createFile(`${file}.partial`);
    writeFileSync(`${file}.partial`, text);
    if (options.keepAside === true && existsSync(file))
      renameSync(file, `${file}.corrupt-${compactStamp(times.now)}`);
    publishFile(`${file}.partial`, file);
  } catch (error) {
    try {
      rmSync(`${file}.partial`, { force: true });
    } catch {
      // The directory refused the write already; nothing was left in it.
    }
    throw new Error(HELPER_MESSAGES.stateNotRecorded(file, causeOf(error)));
  }
}

/** `date +%Y%m%dT%H%M%S`: local time, for file names. */
function compactStamp(date: Date): string {
  return stateTimestamp(date).replaceAll('-', '').replaceAll(':', '');
}

/**
 * Twin of polyarchiv_publish: the partial's data reaches the disk before the rename that publishes
 * it, and the rename before the run goes on, so a crash leaves the old file or the new one, whole.
 */
export function publishFile(partial: string, file: string): void {
  fsyncPath(partial);
  renameSync(partial, file);
  fsyncPath(dirname(file));
}

/** `sync -- PATH`: fsync a file or a directory. */
function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function dirRecover(command: DirSwapCommand): void {
  if (!isDirectory(command.previous)) return;
  if (existsSync(command.target)) rmSync(command.previous, { recursive: true, force: true });
  else renameSync(command.previous, command.target);
}

/** Twin of polyarchiv_dir_swap: the staged tree was flushed by the step before (sync -f). */
export function dirSwap(command: DirSwapCommand): void {
  if (existsSync(command.target)) renameSync(command.target, command.previous);
  renameSync(command.staging, command.target);
  fsyncPath(dirname(command.target));
  rmSync(command.previous, { recursive: true, force: true });
}

/**
 * Twin of polyarchiv_check_dump: returns false when the dump must fail its step. Reads the last
 * DUMP_END_BYTES of the dump only, as tail -c does, and judges them as bash judges tail's output
 * (its NUL bytes dropped).
 */
export function checkDump(
  command: DumpCheckCommand,
  say: (line: string) => void,
  explain: (why: string) => void = () => undefined,
): boolean {
  const size = statSync(command.partial).size;
  const mark = command.completeMark;
  let problem: string | undefined;
  let incomplete = false;
  if (size === 0) {
    problem = HELPER_MESSAGES.dumpEmpty(command.partial);
    incomplete = mark !== '';
  } else if (
    mark !== '' &&
    !`\n${dumpEnd(command.partial, size)}`.includes(`\n${Buffer.from(mark).toString('latin1')}`)
  ) {
    problem = HELPER_MESSAGES.dumpIncomplete(command.partial, String(DUMP_END_BYTES), mark);
    incomplete = true;
  }
  if (problem === undefined && command.previous !== '' && existsSync(command.previous)) {
    const old = statSync(command.previous).size;
    if (old > 0 && size * 100 < old * (100 - command.maxShrinkPercent)) {
      problem = HELPER_MESSAGES.dumpShrank(
        command.partial,
        String(old),
        String(size),
        String(command.maxShrinkPercent),
      );
    }
  }
  if (problem === undefined) return true;
  switch (command.onSuspicious) {
    case 'allow':
      say(HELPER_MESSAGES.dumpNotLoaded(problem));
      say(HELPER_MESSAGES.shrinkAccepted());
      return true;
    case 'refuse':
      say(HELPER_MESSAGES.dumpNotLoaded(problem));
      say(HELPER_MESSAGES.shrinkRefused());
      explain(HELPER_MESSAGES.dumpNotLoaded(problem));
      return false;
    case 'warn':
    case 'fail':
      if (incomplete) {
        say(HELPER_MESSAGES.dumpRefused(problem));
        explain(HELPER_MESSAGES.dumpRefused(problem));
        return false;
      }
      say(HELPER_MESSAGES.dumpWarning(problem));
      if (command.onSuspicious === 'warn') return true;
      explain(HELPER_MESSAGES.dumpWarning(problem));
      return false;
    default:
      return assertNever(command.onSuspicious);
  }
}

/** The last DUMP_END_BYTES of a dump, byte for byte, without the NUL bytes bash drops. */
function dumpEnd(path: string, size: number): string {
  const length = Math.min(size, DUMP_END_BYTES);
  const bytes = Buffer.alloc(length);
  const fd = openSync(path, 'r');
  try {
    let read = 0;
    while (read < length) {
      const n = readSync(fd, bytes, read, length - read, size - length + read);
      if (n === 0) break;
      read += n;
    }
    return bytes.subarray(0, read).toString('latin1').replaceAll('\0', '');
  } finally {
    closeSync(fd);
  }
}
