import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeTree } from '../helpers/remove-tree.js';

/**
 * A private Dovecot 2.3 for the tests, configured entirely in a temporary directory: base_dir,
 * state_dir and log there, no protocols and no network listener (doveadm talks to the master's
 * auth socket in base_dir), a passwd-file userdb with three users and maildirs in `mail/USER`,
 * and a doveadm server listening on the unix socket `doveadm.sock` (a dovecot source's `socket`).
 * Dovecot never gives mail to root, so as root the users get an unused uid (the mail tree is
 * chowned to it) and the backup copy another one (`mailOwner`); otherwise both are the caller.
 */
export interface Dovecot {
  readonly root: string;
  readonly configFile: string;
  readonly mailDir: string;
  /** The doveadm server's unix socket (`service doveadm { unix_listener ... }`). */
  readonly doveadmSocket: string;
  /** The uid a dovecot source's mail_owner names. */
  readonly mailOwner: string;
  readonly users: readonly string[];
  doveadm(args: readonly string[], input?: string): string;
  /** Every message of the users, as sorted `user / mailbox / flags / full text` records. */
  contents(): string[];
  /** Deletes every user's maildir, as a lost disk would. */
  wipe(): void;
  /** Adds a user to the userdb (contents() then lists their mail too), or removes them and their mail. */
  addUser(user: string): void;
  removeUser(user: string): void;
  remove(): void;
}

const DOVECOT = '/usr/sbin/dovecot';
const asRoot = process.getuid?.() === 0;
// Unassigned ids: nothing else on the machine owns files with them.
const MAIL_UID = asRoot ? 61234 : (process.getuid?.() ?? 0);
const MAIL_GID = asRoot ? 61234 : (process.getgid?.() ?? 0);
const OWNER_UID = asRoot ? 61235 : MAIL_UID;

export function startDovecot(): Dovecot {
  const root = mkdtempSync(join(tmpdir(), 'polyarchiv-dovecot-'));
  // The mail users must reach their maildirs below the 0700 mkdtemp directory.
  chmodSync(root, 0o755);
  const mailDir = join(root, 'mail');
  mkdirSync(mailDir);
  chownSync(mailDir, MAIL_UID, MAIL_GID);
  for (const dir of ['run', 'state']) mkdirSync(join(root, dir));
  const users = ['alice', 'bob', 'carol'];
  writeFileSync(join(root, 'users'), users.map((u) => userLine(u, mailDir)).join(''));
  const known = (user: string) =>
    spawnSync('doveadm', ['-c', configFile, 'user', user], { stdio: 'ignore' }).status === 0;
  const configFile = join(root, 'dovecot.conf');
  writeFileSync(configFile, config(root, mailDir));
  const server: Dovecot = {
    root,
    configFile,
    mailDir,
    doveadmSocket: join(root, 'doveadm.sock'),
    mailOwner: String(OWNER_UID),
    users,
    doveadm(args, input) {
      const run = spawnSync('doveadm', ['-c', configFile, ...args], {
        encoding: 'utf8',
        ...(input === undefined ? {} : { input }),
      });
      if (run.status !== 0) throw new Error(`doveadm ${args.join(' ')} failed: ${run.stderr}`);
      return run.stdout;
    },
    contents() {
      const out = server.doveadm(['fetch', '-A', 'user mailbox flags text', 'ALL']);
      return (
        out
          .split('\f\n')
          .filter((record) => record.trim() !== '')
          // -A prints each user's name before their records; the `user:` field says it already.
          .map((record) => record.replace(/^(?!user: )[^\n]*\n/, '').replace(/\\Recent ?/g, ''))
          .sort()
      );
    },
    wipe() {
      for (const user of users) removeTree(join(mailDir, user));
    },
    addUser(user) {
      appendFileSync(join(root, 'users'), userLine(user, mailDir));
      // The auth process reads the file again once it sees it changed (at most once a second).
      waitFor(() => known(user));
    },
    removeUser(user) {
      const file = join(root, 'users');
      writeFileSync(file, readFileSync(file, 'utf8').replace(userLine(user, mailDir), ''));
      removeTree(join(mailDir, user));
      waitFor(() => !known(user));
    },
    remove() {
      const pidFile = join(root, 'run', 'master.pid');
      if (existsSync(pidFile)) {
        spawnSync('doveadm', ['-c', configFile, 'stop']);
        waitFor(() => !existsSync(pidFile));
      }
      removeTree(root);
    },
  };
  // The master daemonizes: its inherited pipes would keep spawnSync waiting, so no pipes.
  const start = spawnSync(DOVECOT, ['-c', configFile], { stdio: 'ignore' });
  if (start.status !== 0) throw new Error(`dovecot did not start: ${dovecotLog(server)}`);
  // doveadm -A lists the users through the master's auth-userdb socket.
  waitFor(() => existsSync(join(root, 'run', 'auth-userdb')) && existsSync(server.doveadmSocket));
  return server;
}

const userLine = (user: string, mailDir: string) =>
  `${user}:{PLAIN}secret:${MAIL_UID}:${MAIL_GID}::${mailDir}/${user}\n`;

function config(root: string, mailDir: string): string {
  return `# A test instance: nothing outside ${root}, no listener.
base_dir = ${root}/run
state_dir = ${root}/state
instance_name = polyarchiv-${root.slice(-6)}
log_path = ${root}/dovecot.log
protocols =
ssl = no
first_valid_uid = ${Math.min(MAIL_UID, OWNER_UID, 500)}
mail_location = maildir:${mailDir}/%u
namespace inbox {
  inbox = yes
  separator = /
}
passdb {
  driver = passwd-file
  args = ${root}/users
}
userdb {
  driver = passwd-file
  args = ${root}/users
}
# The doveadm server a dovecot source's socket connects to (root only: the server runs dsync as
# any user).
service doveadm {
  unix_listener ${root}/doveadm.sock {
    mode = 0600
  }
}
`;
}

/** Saves the sample mail: unicode subjects and mailbox names, an attachment, flags, an empty user. */
export function saveSampleMail(dovecot: Dovecot): void {
  const save = (user: string, mailbox: string, message: string) => {
    if (mailbox !== 'INBOX') dovecot.doveadm(['mailbox', 'create', '-u', user, mailbox]);
    dovecot.doveadm(['save', '-u', user, '-m', mailbox], message);
  };
  save(
    'alice',
    'INBOX',
    message('bob@example.org', '=?UTF-8?B?w4l0w6kg4pyTIOaXpeacrA==?=', 'Bonjour Alice, ça va ?\n'),
  );
  save('alice', 'INBOX', withAttachment());
  save('alice', 'Projets/Été', message('carol@example.org', 'Plans', 'The plans for the summer.\n'));
  save('bob', 'INBOX', message('alice@example.org', 'Hi Bob', 'Lunch?\n'));
  save('bob', 'Archives/2025', message('alice@example.org', 'Old', 'An old message.\n'));
  dovecot.doveadm(['flags', 'add', '-u', 'alice', '\\Seen \\Flagged', 'mailbox', 'INBOX', 'uid', '1']);
}

function message(from: string, subject: string, body: string): string {
  return `From: ${from}\nTo: someone@example.org\nSubject: ${subject}\nDate: Tue, 10 Mar 2026 04:05:06 +0100\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n${body}`;
}

function withAttachment(): string {
  const data = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 256)).toString('base64');
  return [
    'From: bob@example.org',
    'To: alice@example.org',
    'Subject: Report with an attachment',
    'Date: Tue, 10 Mar 2026 05:00:00 +0100',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'See the attached file.',
    '--b1',
    'Content-Type: application/octet-stream; name="data.bin"',
    'Content-Disposition: attachment; filename="data.bin"',
    'Content-Transfer-Encoding: base64',
    '',
    ...(data.match(/.{1,76}/g) ?? []),
    '--b1--',
    '',
  ].join('\n');
}

/** The server's log, for failure messages. */
export function dovecotLog(dovecot: Dovecot): string {
  const log = join(dovecot.root, 'dovecot.log');
  return existsSync(log) ? readFileSync(log, 'utf8') : '';
}

function waitFor(ready: () => boolean): void {
  const deadline = Date.now() + 20_000;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error('dovecot did not become ready in 20 s');
    spawnSync('sleep', ['0.1']);
  }
}
