import { isUtf8 } from 'node:buffer';
import {
  chmodSync,
  chownSync,
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { fsProblem } from '../../diag/fs-problem.js';
import type { MapTreeCommand } from '../../graph/command.js';
import { HELPERS } from '../../graph/helper-contracts.js';
import { HELPER_MESSAGES } from '../helper-messages.js';
import { TREE_LISTING_FORMAT } from '../tool-conventions.js';
import { type RunContext, runExec, wordOf, writeAsTool } from './run-exec.js';

/** One entry of a tree listing (see TREE_LISTING_FORMAT). */
interface Entry {
  readonly kind: string;
  readonly mtime: string;
  readonly ctime: string;
  readonly mode: string;
  readonly owner: string;
  readonly link: string;
}

/**
 * Twin of polyarchiv_map_tree (templates/partials/helpers-map-tree.hbs): both list the trees with
 * the same find command, decide alike which files to write again, and run the tool, touch and the
 * listing the same way; the rest is done with the file system calls the helper's programs make.
 */
export async function mapTree(
  command: MapTreeCommand,
  ctx: RunContext,
  say: (line: string) => void,
): Promise<number> {
  const { from, to } = command;
  const held = `${to}/${command.hold}`;
  rmSync(held, { recursive: true, force: true });
  mkdirSync(held);
  const prune = ['-name', command.hold, ...command.excludes.flatMap((pattern) => ['-o', '-path', pattern])];
  const list = (dir: string, pruned: string[], file: string) =>
    runExec(
      {
        kind: 'exec',
        argv: ['find', '.', '-mindepth', '1', ...pruned, '-prune', '-o', '-printf', TREE_LISTING_FORMAT],
        cwd: dir,
        stdout: file,
      },
      ctx,
    );
  const listed = await list(to, ['-name', command.hold], `${held}/to`);
  if (listed !== 0) return listed;
  const read = await list(from, ['(', ...prune, ')'], `${held}/from`);
  if (read !== 0) return read;
  const have = listing(`${held}/to`);
  const seen = new Set<string>();
  const dirs: { path: string; entry: Entry; had: Entry | undefined }[] = [];
  const root = process.geteuid?.() === 0;
  for (const [path, entry] of listing(`${held}/from`)) {
    seen.add(path);
    let had = have.get(path);
    const target = below(to, path);
    switch (entry.kind) {
      case 'd':
        if (had?.kind !== 'd') {
          rmSync(target, { recursive: true, force: true });
          mkdirSync(target);
          had = undefined;
        }
        dirs.push({ path, entry, had });
        break;
      case 'l':
        if (had?.kind !== 'l' || had.link !== entry.link) {
          rmSync(target, { recursive: true, force: true });
          symlinkSync(Buffer.from(entry.link, 'latin1'), target);
        }
        break;
      case 'f':
      case 'p':
      case 's':
      case 'b':
      case 'c': {
        if (had?.kind === entry.kind && had.mtime === entry.mtime && notBefore(had.ctime, entry.ctime)) break;
        const file = `${held}/file`;
        const source = below(from, path);
        if (entry.kind !== 'f') {
          // A named pipe, a socket or a device has no contents to map: copied as it is. Its name,
          // perhaps not UTF-8, reaches cp through xargs from a file (node's argv is UTF-8), and
          // cp copies it into a directory of its own under its own name.
          writeFileSync(`${held}/name`, source);
          mkdirSync(`${held}/special`);
          const copied = await runExec(
            {
              kind: 'exec',
              argv: [
                'xargs',
                '-0',
                '-a',
                `${held}/name`,
                'cp',
                '-a',
                '--no-dereference',
                '-t',
                `${held}/special`,
                '--',
              ],
            },
            ctx,
          );
          if (copied !== 0) return copied;
          if (had?.kind === 'd') rmSync(target, { recursive: true, force: true });
          renameSync(below(`${held}/special`, path.slice(path.lastIndexOf('/') + 1)), target);
          rmSync(`${held}/special`, { recursive: true });
          break;
        }
        // Node passes argv as UTF-8: a name that is not reaches the tool and touch as their
        // standard input, opened here by its bytes, where the helper names it; any other name is
        // given to them as the helper gives it.
        let input: number | undefined;
        if (!isUtf8(source)) {
          try {
            input = openSync(source, 'r');
          } catch (error) {
            // As the tool (gpg) fails to open it in the script: its words, its status 2, the helper's.
            const tool = wordOf(command.tool[0] ?? '', ctx);
            writeAsTool(ctx, 'stderr', `${tool}: can't open '${from}/${shown(path)}': ${fsProblem(error)}\n`);
            say(HELPER_MESSAGES.mapToolFailed(tool, from, shown(path)));
            rmSync(held, { recursive: true, force: true });
            return 2;
          }
        }
        try {
          const stdin = input === undefined ? {} : { stdin: `/proc/self/fd/${input}` };
          const named = input === undefined ? source.toString() : '/dev/stdin';
          const code = await runExec(
            {
              kind: 'exec',
              argv: [...command.tool.map((w) => wordOf(w, ctx)), '--output', file, '--', named],
              ...stdin,
            },
            ctx,
          );
          if (code !== 0) {
            say(HELPER_MESSAGES.mapToolFailed(wordOf(command.tool[0] ?? '', ctx), from, shown(path)));
            rmSync(held, { recursive: true, force: true });
            return code;
          }
          // Owner first: chown clears the set-user-ID and set-group-ID bits that chmod sets.
          if (root) chownSync(file, ...ids(entry.owner));
          chmodSync(file, Number.parseInt(entry.mode, 8));
          const touched = await runExec(
            { kind: 'exec', argv: ['touch', '-r', named, '--', file], ...stdin },
            ctx,
          );
          if (touched !== 0) return touched;
        } finally {
          if (input !== undefined) closeSync(input);
        }
        if (had?.kind === 'd') rmSync(target, { recursive: true, force: true });
        renameSync(file, target);
        break;
      }
      default:
        break;
    }
  }
  for (const path of have.keys())
    if (!seen.has(path)) rmSync(below(to, path), { recursive: true, force: true });
  // Directory modes last: a directory without write permission is filled first.
  for (const { path, entry, had } of dirs) {
    if (root && entry.owner !== had?.owner) chownSync(below(to, path), ...ids(entry.owner));
    if (entry.mode !== had?.mode) chmodSync(below(to, path), Number.parseInt(entry.mode, 8));
  }
  rmSync(held, { recursive: true, force: true });
  return HELPERS.mapTree.statuses.done;
}

/**
 * The entries of a listing file by path, in the listing's order. Names and link targets are bytes,
 * not necessarily UTF-8: read as latin1, one character per byte, and made bytes again by `below`.
 */
function listing(file: string): Map<string, Entry> {
  const fields = readFileSync(file).toString('latin1').split('\0');
  const entries = new Map<string, Entry>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const record = fields[i] as string;
    const [kind, mtime, ctime, mode, owner] = record.split('/', 5) as [
      string,
      string,
      string,
      string,
      string,
    ];
    const path = record.slice(kind.length + mtime.length + ctime.length + mode.length + owner.length + 5);
    entries.set(path, { kind, mtime, ctime, mode, owner, link: fields[i + 1] as string });
  }
  return entries;
}

/** `path` (latin1, as listed) below the directory `dir`, as the bytes the file system knows. */
const below = (dir: string, path: string): Buffer =>
  Buffer.concat([Buffer.from(`${dir}/`), Buffer.from(path, 'latin1')]);

/** A listed path as a message shows it: its UTF-8 read back (bash writes the bytes as they are). */
const shown = (path: string): string => Buffer.from(path, 'latin1').toString();

/** `a >= b` for find's `SECONDS.FRACTION` times. */
function notBefore(a: string, b: string): boolean {
  const value = (time: string) => {
    const [seconds = '0', fraction = '0'] = time.split('.');
    return BigInt(seconds) * 10_000_000_000n + BigInt(fraction.padEnd(10, '0').slice(0, 10));
  };
  return value(a) >= value(b);
}

const ids = (owner: string): [number, number] => {
  const [uid = '0', gid = '0'] = owner.split(':');
  return [Number(uid), Number(gid)];
};
