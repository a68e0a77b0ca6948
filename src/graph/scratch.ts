import type { Action } from './action.js';
import { assertNever } from './action.js';
import type { Command } from './command.js';

/*
 * What a unit's steps write only for the unit's own length: the partials that a rename publishes
 * (a dump, an index, an archive), the holding directory of a tree mapped file by file, and what
 * actions declare (a restore's staging copy, its decrypted tree; a listing that the next step
 * reads). A step that fails or is interrupted would leave them until the next run, which removes
 * them first: a whole dump refused by its check, the plain text of encrypted files. Both backends
 * remove them once the unit's steps end, whatever their outcome (the script's
 * polyarchiv_scratch, run by the unit's subshell as it exits; apply's removeScratch): a success
 * has already published or removed them, and nothing else reads them.
 */

/** The scratch of a command: what it writes that a later command of its unit publishes or removes. */
export function scratchOf(command: Command): readonly string[] {
  switch (command.kind) {
    case 'create-file':
      return [command.path];
    // What a tool wrote under a temporary name (a file fetched, a file put on this host).
    case 'publish-file':
      return [command.partial];
    case 'map-tree':
      return [`${command.to}/${command.hold}`];
    case 'exec':
    case 'make-dir':
    case 'dir-recover':
    case 'dir-swap':
    case 'private-file':
    case 'check-dump':
    case 'check-copy':
    case 'copy':
    case 'dir-reload':
    case 'confirm':
    case 'align-mailboxes':
    case 'exec-if-changed':
    case 'restic-init':
    case 'restic-restore-at':
    case 'git-reset-at':
    case 'newest-file':
    case 'gitlab-project':
    case 'svn-stage':
    case 'svn-update-at':
    case 'apply-modes':
      return [];
    default:
      return assertNever(command);
  }
}

/** A unit's scratch, each path once, in the order its steps write them. */
export function unitScratch(
  steps: readonly { readonly action: Action; readonly commands: readonly Command[] }[],
): string[] {
  const paths = new Set<string>();
  for (const step of steps) {
    for (const path of step.action.scratch ?? []) paths.add(path);
    // A file sent elsewhere is written for the sending only: its put-file removes it once sent.
    if (step.action.kind === 'put-file' && step.action.keepFile !== true) paths.add(step.action.file);
    // What a load's filter writes is read by a later step of the unit only.
    if (step.action.kind === 'load' && step.action.writes !== undefined) paths.add(step.action.writes);
    for (const command of step.commands) for (const path of scratchOf(command)) paths.add(path);
  }
  return [...paths];
}
