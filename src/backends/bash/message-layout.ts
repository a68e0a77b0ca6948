import { HELPER_MESSAGES, type HelperMessages } from '../helper-messages.js';

/** A bash expansion: `${name}`, or `$1` for a positional parameter. */
export const expand = (name: string) => (/^\d$/.test(name) ? `$${name}` : `\${${name}}`);

/**
 * The names the helpers give each message's values, in its parameters' order: the message is
 * rendered with their expansions in place of the values.
 */
export const HELPER_LOCALS: { readonly [K in keyof HelperMessages]: Parameters<HelperMessages[K]> } = {
  cannotMeasure: ['what'],
  becomesEmpty: [],
  shrinksPast: ['percent'],
  shrinkFigures: ['what', 'problem', 'old_files', 'old_bytes', 'files', 'bytes'],
  shrinkAccepted: [],
  shrinkRefused: [],
  reservedLeftOut: ['what', 'entry'],
  reservedInTheWay: ['what', 'entry'],
  dumpEmpty: ['partial'],
  dumpShrank: ['partial', 'old', 'size', 'percent'],
  dumpWarning: ['problem'],
  dumpIncomplete: ['partial', 'end_bytes', 'mark'],
  dumpRefused: ['problem'],
  dumpNotLoaded: ['problem'],
  reloadStopFailed: ['rc', 'stop_origin', 'target'],
  reloadInputMissing: ['input', 'target'],
  reloadNotDirectory: ['target'],
  reloadInUse: ['polyarchiv_holder', 'target'],
  reloadLoadFailed: ['rc', 'target'],
  reloadOwnerFailed: ['target'],
  gitlabExists: ['project'],
  gitlabCreated: ['project'],
  gitlabRefused: ['2', '3', '1', 'why'],
  cannotRead: ['what'],
  unknownMailUser: ['user'],
  noMailUser: ['copy_dir', 'selects'],
  noMailbox: ['copy_dir', 'lacking'],
  snapshotChosen: ['short_id', 'taken'],
  commitChosen: ['short_hash', 'made'],
  revisionChosen: ['revision'],
  newestFound: ['shown'],
  mapToolFailed: ['tool[0]', 'from', 'path'],
  notConfirmed: [],
  changesNotListed: ['more', 'deletions'],
  noTerminalToConfirm: [],
  hookFailed: ['polyarchiv_hook_labels[k]', 'event', 'rc'],
  workDirFailed: ['polyarchiv_work_parent', 'polyarchiv_work_error'],
  workDirLockHeld: ['polyarchiv_work_wait', 'polyarchiv_work_status'],
  stepFailed: ['1', 'polyarchiv_current_step'],
  stepFailedBecause: ['1', 'polyarchiv_current_step', 'polyarchiv_explained'],
  interruptedBy: ['polyarchiv_signal'],
  notRunInterrupted: ['polyarchiv_units[i]', 'polyarchiv_signal'],
  skippedAfter: ['polyarchiv_units[i]', 'polyarchiv_units[j]'],
  lockDirFailed: ['lock_dir', 'cause'],
  lockOpenFailed: ['lock_file', 'cause'],
  lockFailed: ['lock_file', 'cause'],
  stateUnreadable: ['state_file', 'cause'],
  stateNotRecorded: ['file', 'cause'],
  lockBusy: ['lock_file'],
  stalePlan: ['state_file'],
  configChanged: ['dir'],
};

export type MessageLayout = { readonly [K in keyof HelperMessages]: string };

/**
 * Every helper message for double quotes in bash. Besides the expansions of its values, a
 * message may hold nothing that double quotes expand: it would print otherwise than the twin's.
 */
export function messageLayout(): MessageLayout {
  const layout: Record<string, string> = {};
  for (const key of Object.keys(HELPER_MESSAGES) as (keyof HelperMessages)[]) {
    const names = HELPER_LOCALS[key] as readonly string[];
    const expansions = names.map(expand);
    const text = (HELPER_MESSAGES[key] as (...values: string[]) => string)(...expansions);
    let rest = text;
    for (const expansion of expansions) rest = rest.replaceAll(expansion, '');
    if (/[\\"`$]/.test(rest))
      throw new Error(`the message ${key} would not print in bash as written: ${text}`);
    layout[key] = text;
  }
  return layout as MessageLayout;
}
