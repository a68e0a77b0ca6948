import { chmodSync, chownSync, existsSync, lchownSync, lstatSync, readFileSync, statSync } from 'node:fs';
import type { ApplyModesCommand } from '../../graph/command.js';
import { HELPERS } from '../../graph/helper-contracts.js';
import { makeDirs } from './make-dir.js';
import { type RunContext, writeAsTool } from './run-exec.js';

/**
 * Twin of polyarchiv_apply_modes (templates/partials/helpers-apply-modes.hbs), with the file
 * system calls its programs make. Paths stay bytes: a name that is not UTF-8 is found as it is.
 */
export function applyModes(command: ApplyModesCommand, ctx: Pick<RunContext, 'output'> = {}): number {
  if (!existsSync(command.manifest) || !lstatSync(command.manifest).isFile())
    return HELPERS.applyModes.statuses.applied;
  const manifest = readFileSync(command.manifest);
  // The manifest comes back from a backup: one with a record that is not what a backup writes
  // changes nothing, as the script reads every record before it changes anything.
  const bad = badRecord(manifest);
  if (bad !== undefined) {
    writeAsTool(
      ctx,
      'stderr',
      `polyarchiv: ${command.manifest}: a record is not TYPE/MODE/UID:GID/PATH: ${bad}\n`,
    );
    return HELPERS.applyModes.statuses.failed;
  }
  const root = process.geteuid?.() === 0;
  const prefix = Buffer.from(`${command.tree}/`);
  const dirs: { mode: number; owner: [number, number]; full: Buffer }[] = [];
  let start = 0;
  while (start < manifest.length) {
    let end = manifest.indexOf(0, start);
    if (end === -1) end = manifest.length;
    const record = manifest.subarray(start, end);
    start = end + 1;
    // TYPE/MODE/UID:GID/PATH: the first three fields never hold a slash.
    const first = record.indexOf(0x2f);
    const second = record.indexOf(0x2f, first + 1);
    const third = record.indexOf(0x2f, second + 1);
    if (first === -1 || second === -1 || third === -1) continue;
    const kind = record.subarray(0, first).toString('latin1');
    const modeText = record.subarray(first + 1, second).toString('latin1');
    const ownerText = record.subarray(second + 1, third).toString('latin1');
    const mode = Number.parseInt(modeText, 8);
    const owner = ids(ownerText);
    const full = Buffer.concat([prefix, record.subarray(third + 1)]);
    const stat = lstatSync(full, { throwIfNoEntry: false });
    switch (kind) {
      case 'd':
        // As bash's -d: a symbolic link to a directory is one.
        if (statSync(full, { throwIfNoEntry: false })?.isDirectory() !== true) makeDirs(full);
        dirs.push({ mode, owner, full });
        break;
      case 'l':
        if (root && stat?.isSymbolicLink() === true) lchownSync(full, ...owner);
        break;
      default:
        if (stat !== undefined && !stat.isSymbolicLink() && !stat.isDirectory()) {
          // Owner first: chown clears the set-user-ID and set-group-ID bits that chmod sets.
          if (root) chownSync(full, ...owner);
          chmodSync(full, mode);
        }
    }
  }
  for (const { mode, owner, full } of dirs.reverse()) {
    if (root) chownSync(full, ...owner);
    chmodSync(full, mode);
  }
  return HELPERS.applyModes.statuses.applied;
}

const ids = (owner: string): [number, number] => {
  const [uid = '0', gid = '0'] = owner.split(':');
  return [Number(uid), Number(gid)];
};

/** The first record whose mode or owner is not what a backup writes, as the script shows it. */
function badRecord(manifest: Buffer): string | undefined {
  for (const record of manifest.toString('latin1').split('\0')) {
    if (record === '') continue;
    const [kind = '', mode = '', owner = ''] = record.split('/', 3);
    if (!/^[0-7]{3,4}$/.test(mode) || !/^[0-9]+:[0-9]+$/.test(owner)) return `${kind}/${mode}/${owner}`;
  }
  return undefined;
}
