import { isUtf8 } from 'node:buffer';
import { chmodSync, chownSync, closeSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fsProblem } from '../../diag/fs-problem.js';
import type { Word } from '../../graph/command.js';
import { HELPER_MESSAGES } from '../helper-messages.js';
import { type RunContext, runExec, wordOf, writeAsTool } from './run-exec.js';

/** One entry of a tree listing (see TREE_LISTING_FORMAT). */
export interface Entry {
  readonly kind: string;
  readonly mtime: string;
  readonly ctime: string;
  readonly mode: string;
  readonly owner: string;
  readonly link: string;
}

/** A regular file whose output is written again; `replacesDir`: a directory holds its name in `to`. */
export interface FileToMap {
  readonly path: string;
  readonly entry: Entry;
  readonly replacesDir: boolean;
}

interface Trees {
  readonly from: string;
  readonly to: string;
  readonly held: string;
  readonly tool: readonly Word[];
}

/**
 * Runs the tool on `files`, up to one process per CPU at a time (the script's `nproc`): gpg spends
 * nearly all its time per file deriving the key from the passphrase, one CPU's work. Each output
 * is written in the holding directory under the file's number, then renamed over the old one as
 * soon as it is complete. After a failure no other file is started; those running end, and the
 * status of the first that failed is returned, its file named.
 */
export async function mapFiles(
  files: readonly FileToMap[],
  trees: Trees,
  ctx: RunContext,
  say: (line: string) => void,
): Promise<number> {
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (failed === 0 && next < files.length) {
      const number = next++;
      const status = await mapFile(files[number] as FileToMap, `${trees.held}/${number}`, trees, ctx, say);
      if (status !== 0 && failed === 0) failed = status;
    }
  };
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), files.length) }, worker));
  return failed;
}

/** One file of mapFiles, written as `file` in the holding directory first (polyarchiv_map_file). */
async function mapFile(
  { path, entry, replacesDir }: FileToMap,
  file: string,
  { from, to, tool }: Trees,
  ctx: RunContext,
  say: (line: string) => void,
): Promise<number> {
  const source = below(from, path);
  // Node passes argv as UTF-8: a name that is not reaches the tool and touch as their standard
  // input, opened here by its bytes, where the helper names it; any other name is given to them
  // as the helper gives it.
  let input: number | undefined;
  if (!isUtf8(source)) {
    try {
      input = openSync(source, 'r');
    } catch (error) {
      // As the tool (gpg) fails to open it in the script: its words, its status 2, the helper's.
      const name = wordOf(tool[0] ?? '', ctx);
      writeAsTool(ctx, 'stderr', `${name}: can't open '${from}/${shown(path)}': ${fsProblem(error)}\n`);
      say(HELPER_MESSAGES.mapToolFailed(name, from, shown(path)));
      return 2;
    }
  }
  try {
    const stdin = input === undefined ? {} : { stdin: `/proc/self/fd/${input}` };
    const named = input === undefined ? source.toString() : '/dev/stdin';
    const code = await runExec(
      { kind: 'exec', argv: [...tool.map((w) => wordOf(w, ctx)), '--output', file, '--', named], ...stdin },
      ctx,
    );
    if (code !== 0) {
      say(HELPER_MESSAGES.mapToolFailed(wordOf(tool[0] ?? '', ctx), from, shown(path)));
      return code;
    }
    // Owner first: chown clears the set-user-ID and set-group-ID bits that chmod sets.
    if (root()) chownSync(file, ...ids(entry.owner));
    chmodSync(file, Number.parseInt(entry.mode, 8));
    const touched = await runExec({ kind: 'exec', argv: ['touch', '-r', named, '--', file], ...stdin }, ctx);
    if (touched !== 0) return touched;
  } finally {
    if (input !== undefined) closeSync(input);
  }
  const target = below(to, path);
  if (replacesDir) rmSync(target, { recursive: true, force: true });
  renameSync(file, target);
  return 0;
}

/**
 * A named pipe, a socket or a device has no contents to map: copied as it is, by the helper's cp
 * command. A name that is not UTF-8 (node's argv is) reaches cp through xargs from a file; xargs
 * reports any failed status of cp as 123, and cp fails with 1 only: given back as cp's.
 */
export async function copySpecial(source: Buffer, file: string, ctx: RunContext): Promise<number> {
  const cp = ['cp', '-a', '--no-dereference', '--'];
  if (isUtf8(source)) return runExec({ kind: 'exec', argv: [...cp, source.toString(), file] }, ctx);
  const names = `${file}.name`;
  writeFileSync(names, Buffer.concat([source, Buffer.from('\0')]));
  const copied = await runExec(
    { kind: 'exec', argv: ['xargs', '-0', '-a', names, '-I', '{}', ...cp, '{}', file] },
    ctx,
  );
  rmSync(names);
  return copied === XARGS_COMMAND_FAILED ? CP_FAILED : copied;
}

const XARGS_COMMAND_FAILED = 123;
const CP_FAILED = 1;

/** `path` (latin1, as listed) below the directory `dir`, as the bytes the file system knows. */
export const below = (dir: string, path: string): Buffer =>
  Buffer.concat([Buffer.from(`${dir}/`), Buffer.from(path, 'latin1')]);

/** A listed path as a message shows it: its UTF-8 read back (bash writes the bytes as they are). */
const shown = (path: string): string => Buffer.from(path, 'latin1').toString();

/** Run as root: outputs get their input's owner. */
export const root = (): boolean => process.geteuid?.() === 0;

export const ids = (owner: string): [number, number] => {
  const [uid = '0', gid = '0'] = owner.split(':');
  return [Number(uid), Number(gid)];
};
