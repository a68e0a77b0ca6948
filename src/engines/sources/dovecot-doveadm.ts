import type { ActionDraft } from '../../graph/action.js';
import type { Word } from '../../graph/command.js';
import type { OptionValues } from '../../options/schema.js';
import type { BoundCollectPoint, BoundSource } from '../engine.js';
import { setString } from '../toolkit.js';

// The doveadm command lines of the Dovecot source (dovecot.ts says how it runs, and why).

/**
 * The copy side's doveadm, the mailbox side a command it spawns or a server it connects to:
 * - local: `doveadm [-c CONF] -o dsync_remote_cmd=... backup [-R] [-m BOX] (-A | -u MASK | -F USERS)
 *   remote:polyarchiv` (-F USERS at restore). The remote command is split on spaces and its `%`
 *   are variables (`%u`: the user); the copy side's doveadm expands its mail_location once more,
 *   hence `%` written `%%%%`.
 * - socket: `doveadm -c WORKFILE -o mail_uid=OWNER backup [-R] [-m BOX] (-A | -u MASK | -F USERS)
 *   tcp:SOCKET`, where the copy is the local side, so the directions are the other way round.
 */
export function doveadmBackup(
  source: BoundSource,
  cp: BoundCollectPoint,
  copyDir: string,
  restore: boolean,
): Word[] {
  const o = source.options;
  const doveadm = o.string('dump_executable');
  const socket = socketPath(o);
  const mailbox = setString(o, 'mailbox');
  const mask = setString(o, 'user_mask');
  // A restore names its users (the copy's, listed by the step before it): with -A or -u, a user
  // the copy lacks, added since the backup or whose copy was lost, would have their mail deleted.
  const users: Word[] = restore
    ? ['-F', { prefix: '', workFile: restoredUsersFile(source, cp) }]
    : mask === undefined
      ? ['-A']
      : ['-u', mask];
  const selection: Word[] = [...(mailbox === undefined ? [] : ['-m', mailbox]), ...users];
  if (socket !== undefined) {
    return [...copySide(source, cp), 'backup', ...(restore ? [] : ['-R']), ...selection, `tcp:${socket}`];
  }
  const config = configArgs(o);
  const dir = copyDir.replaceAll('%', '%%%%');
  const remote = [
    doveadm,
    ...config.map((arg) => arg.replaceAll('%', '%%')),
    '-o',
    `mail_uid=${o.string('mail_owner').replaceAll('%', '%%')}`,
    '-o',
    `mail_home=${dir}/%u`,
    '-o',
    `mail_location=maildir:${dir}/%u:LAYOUT=fs`,
    'dsync-server',
    '-u%u',
  ].join(' ');
  return [
    doveadm,
    ...config,
    '-o',
    `dsync_remote_cmd=${remote}`,
    'backup',
    ...(restore ? ['-R'] : []),
    ...selection,
    'remote:polyarchiv',
  ];
}

/**
 * With `socket`, the copy side's configuration: config_file (for the userdb and everything else)
 * with the copy as mail_location and mail_home, `%u` expanded per user (values quoted: a `#` would
 * start a comment; `%` doubled: Dovecot expands them once).
 */
export function copyConfig(source: BoundSource, cp: BoundCollectPoint, copyDir: string): ActionDraft[] {
  if (socketPath(source.options) === undefined) return [];
  const config = source.options.optionalString('config_file');
  const quoted = (value: string) => `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  const dir = copyDir.replaceAll('%', '%%');
  return [
    {
      kind: 'private-file',
      workFile: copyConfigFile(source, cp),
      parts: [
        `# The copy side of source "${source.name}" (${where(source)}); the mailboxes are reached through the doveadm server.\n`,
        `!include ${config === undefined ? SYSTEM_CONFIG : config}\n`,
        `mail_home = ${quoted(`${dir}/%u`)}\n`,
        `mail_location = ${quoted(`maildir:${dir}/%u:LAYOUT=fs`)}\n`,
      ],
      origin: source.options.origin('socket'),
      summary: `write the Dovecot configuration of the copy side of source "${source.name}"`,
    },
  ];
}

const SYSTEM_CONFIG = '/etc/dovecot/dovecot.conf';

export const configArgs = (o: OptionValues): string[] => {
  const config = o.optionalString('config_file');
  return config === undefined ? [] : ['-c', config];
};

/** doveadm with the live side's configuration: what asks the userdb and the live mailboxes. */
export const liveDoveadm = (o: OptionValues): string[] => [o.string('dump_executable'), ...configArgs(o)];

/**
 * The copy side's doveadm and global options, as mail_owner: locally config_file (the copy's
 * location is given per user), through a socket the generated configuration that names it.
 */
export function copySide(source: BoundSource, cp: BoundCollectPoint): Word[] {
  const o = source.options;
  const config: Word[] =
    socketPath(o) === undefined
      ? configArgs(o)
      : ['-c', { prefix: '', workFile: copyConfigFile(source, cp) }];
  return [o.string('dump_executable'), ...config, '-o', `mail_uid=${o.string('mail_owner')}`];
}

const copyConfigFile = (source: BoundSource, cp: BoundCollectPoint): string =>
  `dovecot.${encodeURIComponent(cp.name)}.${encodeURIComponent(source.name)}.conf`;

/** The users a restore restores, one a line, written by the step that prepares the copy. */
export const restoredUsersFile = (source: BoundSource, cp: BoundCollectPoint): string =>
  `dovecot.${encodeURIComponent(cp.name)}.${encodeURIComponent(source.name)}.users`;

export function socketPath(o: OptionValues): string | undefined {
  const socket = o.optionalString('socket');
  return socket === undefined ? undefined : socket;
}

export const where = (source: BoundSource): string => `${source.origin.file}:${source.origin.line}`;

/**
 * A backup's first steps when the source selects users or a mailbox: doveadm backup copies
 * nothing, and exits 0, for a user_mask that matches no user or a mailbox that no selected user
 * has, which would record an empty copy as a success. The live side is asked (its userdb; its
 * mailboxes, through the doveadm server with `socket`) before anything changes, its answer kept in
 * a work file; then the answer is read. A question doveadm could not answer (the server down, the
 * userdb unreachable) fails as such, never as an empty selection; nothing found fails the step.
 * Both name the option's line.
 */
export function selectionCheck(source: BoundSource, cp: BoundCollectPoint): ActionDraft[] {
  const o = source.options;
  const mailbox = setString(o, 'mailbox');
  const mask = setString(o, 'user_mask');
  const doveadm = liveDoveadm(o);
  const answer = { prefix: '', workFile: selectionFile(source, cp) };
  if (mailbox !== undefined) {
    const socket = socketPath(o);
    const at = o.origin('mailbox');
    const users = mask === undefined ? 'a user' : `a user matching ${mask}`;
    const message = `mailbox '${mailbox}' (${at.file}:${at.line}) exists for no user ${mask === undefined ? 'of the userdb' : `matching '${mask}'`}: nothing would be copied; check the name as doveadm mailbox list prints it`;
    const unanswered = `cannot ask doveadm${socket === undefined ? '' : ` (through the doveadm server at ${socket})`} whether mailbox '${mailbox}' (${at.file}:${at.line}) exists for ${mask === undefined ? 'a user' : `a user matching '${mask}'`}: nothing was copied`;
    return [
      {
        kind: 'run',
        argv: [
          ...doveadm,
          ...['-f', 'tab', 'mailbox', 'status'],
          ...(socket === undefined ? [] : ['-S', socket]),
          ...(mask === undefined ? ['-A'] : ['-u', mask]),
          'messages',
          '*',
        ],
        stdout: answer,
        // 67: doveadm's "no such user", for a mask without wildcards.
        explains: [
          { status: 67, message },
          { status: 'other', message: unanswered },
        ],
        origin: at,
        summary: `ask doveadm which mailboxes ${mask === undefined ? 'the users' : `the users matching ${mask}`} have`,
      },
      {
        kind: 'run',
        argv: [...MAILBOX_FINDER, answer],
        env: { [MAILBOX_VARIABLE]: { literal: mailbox } },
        explains: [{ status: 1, message }],
        origin: at,
        summary: `check that mailbox ${mailbox} exists for ${users}`,
      },
    ];
  }
  if (mask === undefined) return [];
  const at = o.origin('user_mask');
  const message = `user_mask '${mask}' (${at.file}:${at.line}) matches no user of the userdb: nothing would be copied`;
  return [
    {
      kind: 'run',
      argv: [...doveadm, 'user', mask],
      stdout: answer,
      // 67: doveadm's "no such user", for a mask without wildcards.
      explains: [
        { status: 67, message },
        {
          status: 'other',
          message: `cannot ask doveadm which users of the userdb user_mask '${mask}' (${at.file}:${at.line}) matches: nothing was copied`,
        },
      ],
      origin: at,
      summary: `ask doveadm which users match user_mask ${mask}`,
    },
    {
      kind: 'run',
      argv: ['awk', 'END { exit NR == 0 }', answer],
      explains: [{ status: 1, message }],
      origin: at,
      summary: `check that user_mask ${mask} matches a user`,
    },
  ];
}

const selectionFile = (source: BoundSource, cp: BoundCollectPoint): string =>
  `dovecot.${encodeURIComponent(cp.name)}.${encodeURIComponent(source.name)}.selection`;

const MAILBOX_VARIABLE = 'POLYARCHIV_MAILBOX';

/**
 * Reads `doveadm -f tab mailbox status ... messages '*'` (a header, then [USER TAB] NAME TAB COUNT)
 * and exits 1 unless a row names the mailbox, given in the environment (awk -v would read its
 * backslashes as escapes); INBOX is named in any case, as doveadm takes it.
 */
const MAILBOX_FINDER: readonly string[] = [
  'awk',
  '-F',
  '\\t',
  `BEGIN { m = ENVIRON["${MAILBOX_VARIABLE}"]; if (toupper(m) == "INBOX") m = "INBOX" } NR > 1 && $(NF - 1) == m { found = 1 } END { exit !found }`,
];

/**
 * After the copy, the staging copy keeps only the users the userdb lists (those user_mask
 * selects): a user removed from the userdb, or no longer selected, would else stay in every copy
 * and be warned about at every restore. Only where the users are listed, by -A or a mask with
 * wildcards (an exact name is one user, whose absence fails the copy); a listing that names no
 * user removes nothing.
 */
export function pruneUsers(source: BoundSource, cp: BoundCollectPoint, staging: string): ActionDraft[] {
  const o = source.options;
  const mask = setString(o, 'user_mask');
  if (mask !== undefined && !/[*?]/.test(mask)) return [];
  const listed = { prefix: '', workFile: liveUsersFile(source, cp) };
  const origin = source.origin;
  return [
    {
      kind: 'run',
      argv: [...liveDoveadm(o), 'user', mask ?? '*'],
      stdout: listed,
      origin,
      summary: `list the users of the userdb${mask === undefined ? '' : ` that match ${mask}`} (source "${source.name}")`,
    },
    {
      kind: 'run',
      argv: ['find', staging, '-mindepth', '1', '-maxdepth', '1', '-type', 'd', '-printf', '%f\\n'],
      pipeline: [
        ['awk', STALE_USERS, listed, '-'],
        ['xargs', '-r', '-d', '\\n', '-I{}', '--', 'rm', '-rf', '--', `${staging}/{}`],
      ],
      origin,
      summary: `remove from the staging copy of source "${source.name}" the users the userdb no longer lists`,
    },
  ];
}

/** The users file (first argument), then the copy's directories (standard input): those of no user. */
const STALE_USERS = 'FILENAME == ARGV[1] { live[$0] = 1; n++; next } n > 0 && !($0 in live) { print }';

const liveUsersFile = (source: BoundSource, cp: BoundCollectPoint): string =>
  `dovecot.${encodeURIComponent(cp.name)}.${encodeURIComponent(source.name)}.live-users`;
