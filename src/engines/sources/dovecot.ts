import type { ActionDraft, DirSwapPaths } from '../../graph/action.js';
import type { OptionValues } from '../../options/schema.js';
import type { BoundCollectPoint, BoundSource, SourceEngine } from '../engine.js';
import { siblingPaths } from '../sibling-paths.js';
import { destinationPath, setString } from '../toolkit.js';
import {
  copyConfig,
  copySide,
  doveadmBackup,
  liveDoveadm,
  pruneUsers,
  restoredUsersFile,
  selectionCheck,
  socketPath,
  where,
} from './dovecot-doveadm.js';

/**
 * Copies Dovecot mailboxes with `doveadm backup`, one maildir per user, and restores them with
 * `doveadm backup -R` (the original's defect, every user synced into one location, fixed).
 *
 * How it runs, and why:
 * - Per-user locations: doveadm does not expand `%u` in a local destination, but it does in
 *   `dsync_remote_cmd`. So the destination is `remote:polyarchiv` and that command is a local
 *   `doveadm dsync-server` whose mail_location is `maildir:<copy>/%u:LAYOUT=fs` (LAYOUT=fs accepts
 *   any mailbox name, dots included).
 * - Privileges: doveadm never accesses mail as root. The copy side runs as `mail_owner`
 *   (`-o mail_uid`), who owns the whole copy; the mailbox side runs as each user, as usual.
 * - Nothing good is destroyed: doveadm updates its destination in place, so it works on a staging
 *   copy of the previous tree, swapped in by two renames once doveadm succeeded. The staging copy
 *   hard-links message files (maildir never rewrites a message: flags rename it, expunges unlink
 *   it) and really copies everything else (indexes, uidlists and logs are updated in place, and
 *   would otherwise corrupt the previous copy through the shared inode).
 * - `socket`: `doveadm -S` cannot be used: the doveadm server runs the whole command, with its own
 *   dsync_remote_cmd (the client's `-o` settings do not travel), so the copy side could not be
 *   described. Instead the sides swap: the local doveadm is the copy side, and reaches the
 *   mailboxes through the running Dovecot's doveadm server, whose `dsync-server` runs there with
 *   the server's own configuration (`tcp:SOCKET`: doveadm connects to a location with a `/` as a
 *   unix socket). The local side's mail_location needs `%u` expanded per user, which a `-o`
 *   value never is, so it comes from a generated configuration file in the run's private work
 *   directory that includes config_file and sets mail_location; mail_uid stays a `-o` (it must
 *   win over the userdb's uid). Backup is `backup -R` (server to copy), restore `backup`.
 */
export const dovecot: SourceEngine = {
  role: 'source',
  name: 'dovecot',
  summary:
    'Copy Dovecot mailboxes (one maildir per user) with doveadm backup; restore them with doveadm backup -R.',
  options: [
    {
      name: 'destination_path',
      type: 'inner-path',
      default: 'dovecot',
      help: 'Directory of the collect point that receives one maildir per user (DIR/USER, LAYOUT=fs).',
    },
    { name: 'mailbox', type: 'string', help: 'Only this mailbox (doveadm -m).' },
    {
      name: 'user_mask',
      type: 'string',
      help: 'Users to copy (doveadm -u, * and ? wildcards, letters of either case); all users (-A) when unset. A restore restores the users of the copy that it selects, never a user the copy does not hold.',
    },
    {
      name: 'socket',
      type: 'absolute-path',
      help: "Unix socket of the running Dovecot's doveadm server (a `service doveadm` unix_listener, e.g. /run/dovecot/doveadm-server). When set, the mailboxes are read (and restored) by that server, with its own configuration and privileges, through `doveadm backup ... tcp:SOCKET`; the copy is still written locally, by a doveadm running as mail_owner with config_file (default /etc/dovecot/dovecot.conf, for the userdb that -A and user_mask list) and the copy as its mail_location. This is not doveadm -S, which would run the whole copy inside the server.",
    },
    {
      name: 'config_file',
      type: 'absolute-path',
      help: 'Dovecot configuration to use (doveadm -c); the system one when unset.',
    },
    {
      name: 'mail_owner',
      type: 'string',
      default: 'vmail',
      help: 'Local account (name or uid, not root) that owns the copy and writes it (doveadm never accesses mail as root). local_path and local_path/backups must let it through (x permission).',
    },
    { name: 'dump_executable', type: 'string', default: 'doveadm', help: 'doveadm to use.' },
  ],
  checkPlacement(source, layout, diagnostics) {
    if (source.options.optionalString('socket') === undefined && /\s/.test(layout.importDir)) {
      diagnostics.error(
        `the collect point's directory ${layout.importDir} holds white space, which the copy command of source "${source.name}" cannot carry`,
        source.origin,
        'doveadm splits its copy command on spaces: use a local_path without white space, or set socket',
      );
    }
  },
  check(options, diagnostics) {
    const socket = setString(options, 'socket');
    if (socket?.includes(':')) {
      diagnostics.error(
        `bad value for option 'socket': '${socket}'`,
        options.origin('socket'),
        'doveadm reads what follows a colon as a port: use a unix socket path without colons',
      );
    }
    const config = setString(options, 'config_file');
    if (config !== undefined && /\s/.test(config)) {
      diagnostics.error(
        `bad value for option 'config_file': '${config}'`,
        options.origin('config_file'),
        'doveadm splits its copy command on spaces: use a path without white space',
      );
    }
    if (socket !== undefined && config?.includes('#')) {
      diagnostics.error(
        `bad value for option 'config_file': '${config}'`,
        options.origin('config_file'),
        'with socket, config_file is included by a Dovecot configuration, where # starts a comment: use a path without #',
      );
    }
    const owner = options.optionalString('mail_owner');
    if (owner === 'root' || owner === '0' || owner === '') {
      diagnostics.error(
        `bad value for option 'mail_owner': '${owner}'`,
        options.origin('mail_owner'),
        'doveadm never accesses mail as root: name an unprivileged account, e.g. vmail',
      );
    }
  },
  backup(source, cp) {
    const paths = stagingPaths(source, cp);
    const what = `the mail copy of source "${source.name}"`;
    const origin = source.origin;
    const _at = where(source);
    return [
      ...selectionCheck(source, cp),
      { kind: 'recover-dir', ...paths, origin, summary: `recover ${what} if a previous run was interrupted` },
      { kind: 'mkdir', path: paths.target, origin, summary: `create ${what}` },
      {
        kind: 'run',
        argv: ['rm', '-rf', '--', paths.staging],
        origin,
        summary: `remove the staging copy a failed run of source "${source.name}" left`,
      },
      {
        kind: 'rsync',
        from: paths.target,
        to: paths.staging,
        deleteExtraneous: true,
        hardLinks: false,
        // Message files only, hard-linked: they are never modified in place.
        filters: [
          { rule: 'include', pattern: '*/' },
          { rule: 'include', pattern: 'cur/*' },
          { rule: 'include', pattern: 'new/*' },
          { rule: 'exclude', pattern: '*' },
        ],
        linkDest: paths.target,
        origin,
        summary: `stage ${what}: hard-link the previous messages`,
      },
      {
        kind: 'rsync',
        from: paths.target,
        to: paths.staging,
        deleteExtraneous: true,
        hardLinks: false,
        filters: [],
        origin,
        summary: `stage ${what}: copy the previous indexes (updated in place by doveadm)`,
      },
      passThrough(source, cp),
      {
        kind: 'run',
        argv: ['chown', '--', source.options.string('mail_owner'), paths.staging],
        origin,
        summary: `give the staging copy of source "${source.name}" to mail_owner, who writes it`,
      },
      ...copyConfig(source, cp, paths.staging),
      {
        kind: 'run',
        argv: doveadmBackup(source, cp, paths.staging, false),
        origin,
        summary: `copy the Dovecot mailboxes of ${users(source.options)}${through(source.options)} into ${what}`,
      },
      ...pruneUsers(source, cp, paths.staging),
      { kind: 'replace-dir', ...paths, origin, summary: `replace ${what} with the new copy` },
    ];
  },
  leftovers(source, cp) {
    const paths = stagingPaths(source, cp);
    return [paths.staging, paths.previous];
  },
  restore(source, cp) {
    const target = stagingPaths(source, cp).target;
    const o = source.options;
    const socket = socketPath(o);
    const mask = setString(o, 'user_mask');
    const mailbox = setString(o, 'mailbox');
    return [
      {
        kind: 'confirm',
        warning: `source "${source.name}": the mailboxes of ${restored(o)} become the backed-up copy; mail received since the backup is removed, changed flags are reset and deleted messages come back`,
        origin: source.origin,
        summary: `confirm that restoring source "${source.name}" replaces the mailboxes of ${restored(o)}`,
      },
      passThrough(source, cp),
      ...copyConfig(source, cp, target),
      {
        kind: 'align-mailboxes',
        copyDir: target,
        live: liveDoveadm(o),
        ...(socket === undefined ? {} : { socket }),
        copy: copySide(source, cp),
        users: restoredUsersFile(source, cp),
        ...(mask === undefined ? {} : { mask }),
        ...(mailbox === undefined ? {} : { mailbox }),
        ...restoreSelection(o),
        origin: source.origin,
        summary: `prepare the mail copy of source "${source.name}" for the live mailboxes: their next UIDs, so that mail received since the backup can be removed, and new UIDs for the messages they lost`,
      },
      // Under the run's umask 077, unlike slapadd: doveadm gives what it creates in a mailbox the
      // modes of the mailbox's root (0770 and 0660 in a maildir shared with its group), whatever
      // its umask.
      {
        kind: 'run',
        argv: doveadmBackup(source, cp, target, true),
        origin: source.origin,
        summary: `restore the Dovecot mailboxes of ${restored(o)}${through(o)} from the mail copy of source "${source.name}"`,
      },
    ];
  },
};

/**
 * Dovecot never touches mail as root, and mail_owner must cross the collect point's directories,
 * which an operator (or an older version) may have made private: they get the search bit, nothing more.
 */
function passThrough(source: BoundSource, cp: BoundCollectPoint): ActionDraft {
  return {
    kind: 'run',
    argv: ['chmod', 'o+x', '--', cp.layout.root, cp.layout.importDir],
    readiesCopy: true,
    origin: source.origin,
    summary: `let mail_owner ${source.options.string('mail_owner')} pass through the collect point's directories`,
  };
}

function through(o: OptionValues): string {
  const socket = socketPath(o);
  return socket === undefined ? '' : ` (through the doveadm server at ${socket})`;
}

function stagingPaths(source: BoundSource, cp: BoundCollectPoint): DirSwapPaths {
  const target = destinationPath(source, cp);
  // Next to the copy, so that mail_owner needs no way into the collect point's metadata.
  return { ...siblingPaths(target), target };
}

/** How a restore's refusals name the selection: the options and their lines. */
function restoreSelection(o: OptionValues): { selects: string; lacking: string } {
  const mask = setString(o, 'user_mask');
  const line = (option: string) => `${o.origin(option).file}:${o.origin(option).line}`;
  const selects = mask === undefined ? 'the source' : `user_mask '${mask}' (${line('user_mask')})`;
  const mailbox = setString(o, 'mailbox');
  const lacking =
    mailbox === undefined
      ? ''
      : `mailbox '${mailbox}' (${line('mailbox')}) for no user${mask === undefined ? '' : ` matching '${mask}'`}`;
  return { selects, lacking };
}

/** A restore's users: never a live user the copy does not hold. */
function restored(o: OptionValues): string {
  const mask = setString(o, 'user_mask');
  return `the users the copy holds${mask === undefined ? '' : ` that match ${mask}`}`;
}

function users(o: OptionValues): string {
  const mask = setString(o, 'user_mask');
  return mask === undefined ? 'all users' : `users matching ${mask}`;
}
