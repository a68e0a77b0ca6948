import { appendFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MailboxAlignCommand } from '../../graph/command.js';
import { HELPERS } from '../../graph/helper-contracts.js';
import { matchesMask } from '../../graph/user-mask.js';
import { HELPER_MESSAGES } from '../helper-messages.js';
import { DOVEADM_READ } from '../tool-conventions.js';
import { capture } from './capture.js';
import { type RunContext, sayWhy, wordOf, writeAsTool } from './run-exec.js';

interface MailboxState {
  readonly next: string;
  readonly guid: string;
}

/**
 * Twin of polyarchiv_mailbox_rows: `doveadm -f tab mailbox status 'uidnext guid'`, a header line
 * then NAME NEXT GUID per mailbox, the name read from the right.
 */
export function mailboxRows(output: string): Map<string, MailboxState> {
  const rows = new Map<string, MailboxState>();
  const lines = output.replace(/\n+$/, '').split('\n').slice(1);
  for (const line of lines) {
    const fields = line.split('\t');
    const [guid, next] = [fields.pop(), fields.pop()];
    const name = fields.join('\t');
    if (name !== '') rows.set(name, { next: next ?? '', guid: guid ?? '' });
  }
  return rows;
}

/** A UID set grows past this many characters into another, far below the kernel's argument limit. */
const UID_SET_CHARACTERS = 4000;

/**
 * Twin of polyarchiv_lost_uids: the UIDs of the copy's `doveadm search` output (GUID UID lines, by
 * UID) that the live one does not list, as doveadm UID sets; a range never spans a live message.
 */
export function lostUidSets(copyOutput: string, liveOutput: string): string[] {
  const uids = (output: string) =>
    output
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[1])
      .filter((uid): uid is string => uid !== undefined && uid !== '');
  const live = new Set(uids(liveOutput));
  const sets: string[] = [];
  let set = '';
  let range: { first: string; last: string } | undefined;
  const close = () => {
    if (range === undefined) return;
    if (set.length > UID_SET_CHARACTERS) {
      sets.push(set);
      set = '';
    }
    const text = range.first === range.last ? range.first : `${range.first}:${range.last}`;
    set += set === '' ? text : `,${text}`;
    range = undefined;
  };
  for (const uid of uids(copyOutput)) {
    if (live.has(uid)) close();
    else if (range === undefined) range = { first: uid, last: uid };
    else range.last = uid;
  }
  close();
  if (set !== '') sets.push(set);
  return sets;
}

const FAILED = HELPERS.dovecotAlign.statuses.failed;

type Read = { readonly outcome: 'ok'; readonly output: string } | { readonly outcome: 'no-user' | 'failed' };

/**
 * Twin of polyarchiv_dovecot_align (templates/partials/helpers-dovecot.hbs): before `doveadm
 * backup -R`, gives the copy the live next UIDs that are ahead of its own, and the copy's messages
 * that the live mailboxes lost new UIDs above them. Returns the helper's exit code (its contract's).
 */
export async function alignMailboxes(
  command: MailboxAlignCommand,
  ctx: RunContext,
  say: (line: string) => void,
): Promise<number> {
  const live = command.live.map((word) => wordOf(word, ctx));
  const copy = command.copy.map((word) => wordOf(word, ctx));
  const via = command.socket === '' ? [] : ['-S', command.socket];
  const usersFile = wordOf({ prefix: '', workFile: command.users }, ctx);
  writeFileSync(usersFile, '', { mode: 0o600 });
  const selected = copyUsers(command.copyDir).filter(
    (user) => command.mask === '' || matchesMask(command.mask, user),
  );
  // doveadm expands % in settings: the copy's path is written with them doubled.
  const copyAt = (user: string) => {
    const location = join(command.copyDir, user).replaceAll('%', '%%');
    return [...copy, '-o', `mail_home=${location}`, '-o', `mail_location=maildir:${location}:LAYOUT=fs`];
  };
  const fields = (user: string) => ['-u', user, 'uidnext guid', '*'];
  if (command.mailbox !== '') {
    const held = await holdsMailbox(command.mailbox, selected, copyAt, fields, say, ctx);
    if (held === 'failed') return FAILED;
    if (!held) {
      sayWhy(say, ctx, HELPER_MESSAGES.noMailbox(command.copyDir, command.lacking));
      return HELPERS.dovecotAlign.statuses.noMailbox;
    }
  }
  let restored = 0;
  for (const user of selected) {
    const at = copyAt(user);
    const liveRead = await read(
      `the state of the live mailboxes of ${user}`,
      [...live, '-f', 'tab', 'mailbox', 'status', ...via, ...fields(user)],
      say,
      ctx,
    );
    if (liveRead.outcome === 'failed') return FAILED;
    const copyRead = await read(
      `the state of the mail copy of ${user}`,
      [...at, '-f', 'tab', 'mailbox', 'status', ...fields(user)],
      say,
      ctx,
    );
    if (copyRead.outcome === 'failed') return FAILED;
    // Unknown to the userdb: dsync could not restore them. Said, as a copy left out is not nothing.
    if (liveRead.outcome !== 'ok' || copyRead.outcome !== 'ok') {
      say(HELPER_MESSAGES.unknownMailUser(user));
      continue;
    }
    appendFileSync(usersFile, `${user}\n`);
    restored++;
    const liveBoxes = mailboxRows(liveRead.output);
    for (const [name, state] of mailboxRows(copyRead.output)) {
      const current = liveBoxes.get(name);
      // Another GUID is another mailbox, which dsync replaces anyway.
      if (current === undefined || current.guid !== state.guid) continue;
      if (!isNumber(current.next) || !isNumber(state.next)) continue;
      const [next, copyNext] = [BigInt(current.next), BigInt(state.next)];
      if (next > copyNext) {
        if (
          !(await runStep(
            [...at, 'mailbox', 'update', '-u', user, '--min-next-uid', current.next, name],
            ctx,
          ))
        )
          return FAILED;
      }
      if (copyNext <= 1n) continue;
      const copied = await read(
        `the messages of the mail copy of ${user} in ${name}`,
        [...at, 'search', '-u', user, 'mailbox-guid', state.guid, 'all'],
        say,
        ctx,
      );
      if (copied.outcome !== 'ok') return FAILED;
      const still = await read(
        `the live messages of ${user} in ${name}`,
        [...live, 'search', ...via, '-u', user, 'mailbox-guid', state.guid, 'uid', `1:${copyNext - 1n}`],
        say,
        ctx,
      );
      if (still.outcome !== 'ok') return FAILED;
      for (const set of lostUidSets(copied.output, still.output)) {
        const messages = ['mailbox-guid', state.guid, 'uid', set];
        if (!(await runStep([...at, 'copy', '-u', user, name, ...messages], ctx))) return FAILED;
        if (!(await runStep([...at, 'expunge', '-u', user, ...messages], ctx))) return FAILED;
      }
    }
  }
  if (restored > 0) return HELPERS.dovecotAlign.statuses.aligned;
  sayWhy(say, ctx, HELPER_MESSAGES.noMailUser(command.copyDir, command.selects));
  return HELPERS.dovecotAlign.statuses.noUser;
}

/**
 * Whether the copy holds `mailbox` for one of `users` (those Dovecot does not know are passed
 * over, as the restore passes them over), read before anything changes; true when it holds none
 * of them, which the alignment then refuses as such.
 */
async function holdsMailbox(
  mailbox: string,
  users: readonly string[],
  copyAt: (user: string) => string[],
  fields: (user: string) => string[],
  say: (line: string) => void,
  ctx: RunContext,
): Promise<boolean | 'failed'> {
  let known = 0;
  for (const user of users) {
    const rows = await read(
      `the mailboxes of the mail copy of ${user}`,
      [...copyAt(user), '-f', 'tab', 'mailbox', 'status', ...fields(user)],
      say,
      ctx,
    );
    if (rows.outcome === 'failed') return 'failed';
    if (rows.outcome !== 'ok') continue;
    known++;
    if (mailboxRows(rows.output).has(mailbox)) return true;
  }
  return known === 0;
}

/** A command of the helper that changes the copy: its output passed on, false when it failed. */
async function runStep(argv: readonly string[], ctx: RunContext): Promise<boolean> {
  const done = await run(argv, ctx);
  writeAsTool(ctx, 'stdout', done.stdout);
  writeAsTool(ctx, 'stderr', done.stderr);
  return done.status === 0;
}

const isNumber = (text: string): boolean => /^[0-9]+$/.test(text);

/** The users of the copy: its directories, in the order of bash's glob (LC_ALL=C), dot names left out. */
function copyUsers(copyDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(copyDir);
  } catch {
    return [];
  }
  return names
    .filter((name) => !name.startsWith('.') && isDirectory(join(copyDir, name)))
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Twin of polyarchiv_doveadm_read. */
async function read(
  what: string,
  argv: readonly string[],
  say: (line: string) => void,
  ctx: RunContext,
): Promise<Read> {
  const result = await run(argv, ctx);
  if (result.status === 0 || result.status === DOVEADM_READ.listedMailboxMissing)
    return { outcome: 'ok', output: result.stdout };
  if (result.status === DOVEADM_READ.noSuchUser) return { outcome: 'no-user' };
  say(HELPER_MESSAGES.cannotRead(what));
  writeAsTool(ctx, 'stderr', result.stderr);
  return { outcome: 'failed' };
}

/**
 * A doveadm command run as every tool of the unit runs (its own process group, the lock
 * inherited, stopped on a signal), both outputs kept for the caller to pass on or not. A tool that
 * cannot start says why in its errors, as bash would (exit 127).
 */
const run = (argv: readonly string[], ctx: RunContext) => capture(argv, ctx, 'both');
