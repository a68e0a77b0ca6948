import { chmodSync, chownSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import type { MapTreeCommand } from '../../graph/command.js';
import { HELPERS } from '../../graph/helper-contracts.js';
import { TREE_LISTING_FORMAT } from '../tool-conventions.js';
import { below, copySpecial, type Entry, type FileToMap, ids, mapFiles, root } from './map-tree-files.js';
import { type RunContext, runExec } from './run-exec.js';

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
  const toMap: FileToMap[] = [];
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
        if (entry.kind !== 'f') {
          const copied = await copySpecial(below(from, path), `${held}/file`, ctx);
          if (copied !== 0) return copied;
          if (had?.kind === 'd') rmSync(target, { recursive: true, force: true });
          renameSync(`${held}/file`, target);
          break;
        }
        toMap.push({ path, entry, replacesDir: had?.kind === 'd' });
        break;
      }
      default:
        break;
    }
  }
  const mapped = await mapFiles(toMap, { from, to, held, tool: command.tool }, ctx, say);
  if (mapped !== 0) {
    rmSync(held, { recursive: true, force: true });
    return mapped;
  }
  for (const path of have.keys())
    if (!seen.has(path)) rmSync(below(to, path), { recursive: true, force: true });
  // Directory modes last: a directory without write permission is filled first.
  for (const { path, entry, had } of dirs) {
    if (root() && entry.owner !== had?.owner) chownSync(below(to, path), ...ids(entry.owner));
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

/** `a >= b` for find's `SECONDS.FRACTION` times. */
function notBefore(a: string, b: string): boolean {
  const value = (time: string) => {
    const [seconds = '0', fraction = '0'] = time.split('.');
    return BigInt(seconds) * 10_000_000_000n + BigInt(fraction.padEnd(10, '0').slice(0, 10));
  };
  return value(a) >= value(b);
}
