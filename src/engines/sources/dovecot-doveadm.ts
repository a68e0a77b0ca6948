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
