import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import { alignMailboxes } from '../../src/backends/execute/dovecot-align.js';
import type { MailboxAlignCommand } from '../../src/graph/command.js';
import { haveTools } from '../helpers/tools.js';
import { type Dovecot, saveSampleMail, startDovecot } from '../servers/dovecot.js';

const partial = (name: string) =>
  fileURLToPath(new URL(`../../templates/partials/${name}.hbs`, import.meta.url));
const canRun = haveTools('/usr/sbin/dovecot', 'doveadm', 'bash', 'mktemp', 'cp');

interface Outcome {
  readonly code: number;
  readonly said: string[];
  /** Every mailbox of the copy, as `doveadm -f tab mailbox status` prints it. */
  readonly copy: string[];
}

describe.runIf(canRun)('polyarchiv_dovecot_align and alignMailboxes agree', () => {
  let dovecot: Dovecot;
  let root: string;

  beforeAll(() => {
    dovecot = startDovecot();
    saveSampleMail(dovecot);
    root = mkdtempSync(join(tmpdir(), 'polyarchiv-twin-dovecot-'));
    chmodSync(root, 0o711);
  }, 60_000);
  afterAll(() => {
    dovecot?.remove();
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  /** The copy side's doveadm, as mail_owner, on the maildir of `user` in `dir`. */
  const copySide = (dir: string, user: string) => [
    ...['-c', dovecot.configFile, '-o', `mail_uid=${dovecot.mailOwner}`],
    ...['-o', `mail_home=${dir}/${user}`, '-o', `mail_location=maildir:${dir}/${user}:LAYOUT=fs`],
  ];

  /** A copy of every user's mailboxes, as a backup makes it, owned by mail_owner. */
  function backUp(dir: string): void {
    mkdirSync(dir);
    chownSync(dir, Number(dovecot.mailOwner), Number(dovecot.mailOwner));
    const remote = `doveadm ${copySide(dir, '%u').join(' ')} dsync-server -u%u`;
    const run = spawnSync('doveadm', [
      '-c',
      dovecot.configFile,
      '-o',
      `dsync_remote_cmd=${remote}`,
      'backup',
      '-A',
      'remote:x',
    ]);
    expect(run.status, run.stderr?.toString()).toBe(0);
  }

  function copyState(dir: string): string[] {
    return ['alice', 'bob', 'carol']
      .flatMap((user) =>
        dovecot
          .doveadm([
            ...copySide(dir, user).slice(2),
            '-f',
            'tab',
            'mailbox',
            'status',
            '-u',
            user,
            'messages uidnext guid',
            '*',
          ])
          .split('\n')
          .slice(1)
          .filter((line) => line !== '')
          .map((line) => `${user}\t${line}`),
      )
      .sort();
  }

  function command(dir: string, socket = ''): MailboxAlignCommand {
    return {
      kind: 'align-mailboxes',
      copyDir: dir,
      live: ['doveadm', '-c', dovecot.configFile],
      socket,
      copy: ['doveadm', '-c', dovecot.configFile, '-o', `mail_uid=${dovecot.mailOwner}`],
    };
  }

  function viaScript(align: MailboxAlignCommand): Outcome {
    const work = mkdtempSync(join(tmpdir(), 'polyarchiv-twin-work-'));
    const run = spawnSync(
      'bash',
      [
        '-c',
        `set -Eeuo pipefail; source "$1"; source "$2"; polyarchiv_work=$3; ${commandLine(align)}`,
        'bash',
        partial('helpers'),
        partial('helpers-dovecot'),
        work,
      ],
      { encoding: 'utf8' },
    );
    rmSync(work, { recursive: true, force: true });
    const said = run.stderr.split('\n').filter((l) => l.startsWith('polyarchiv: '));
    return {
      code: run.status ?? -1,
      said: said.map((l) => l.slice('polyarchiv: '.length)),
      copy: copyState(align.copyDir),
    };
  }

  function viaExecutor(align: MailboxAlignCommand): Outcome {
    const said: string[] = [];
    const workDir = mkdtempSync(join(tmpdir(), 'polyarchiv-twin-work-'));
    const code = alignMailboxes(align, { workDir, secrets: new Map(), processes: new Set() }, (line) =>
      said.push(line),
    );
    rmSync(workDir, { recursive: true, force: true });
    return { code, said, copy: copyState(align.copyDir) };
  }

  /** Two identical copies of `made`, one aligned by each backend. */
  function both(made: string, socket = ''): Outcome[] {
    return ['script', 'executor'].map((backend) => {
      const dir = join(root, backend);
      rmSync(dir, { recursive: true, force: true });
      spawnSync('cp', ['-a', made, dir]);
      return (backend === 'script' ? viaScript : viaExecutor)(command(dir, socket));
    });
  }

  it('raise the next UID of the mailboxes that received mail, skip unknown users and create nothing live', () => {
    const made = join(root, 'made');
    backUp(made);
    // A user the userdb no longer knows: dsync skips them, so does the alignment.
    spawnSync('cp', ['-a', join(made, 'bob'), join(made, 'dave')]);
    const before = copyState(made);
    const late = 'Subject: late\n\nArrived after the backup.\n';
    dovecot.doveadm(['save', '-u', 'alice', '-m', 'INBOX'], late);
    dovecot.doveadm(['save', '-u', 'bob', '-m', 'Archives/2025'], late);
    dovecot.doveadm(['save', '-u', 'bob', '-m', 'Archives/2025'], late);
    // A wiped user: reading their mailboxes must not create their INBOX.
    rmSync(join(dovecot.mailDir, 'carol'), { recursive: true, force: true });

    const [script, executor] = both(made);
    expect(executor).toEqual(script);
    expect(script?.code).toBe(0);
    expect(script?.said).toEqual([]);
    const nextUid = (state: string[], user: string, mailbox: string) =>
      state.find((line) => line.startsWith(`${user}\t${mailbox}\t`))?.split('\t')[3];
    expect(nextUid(before, 'alice', 'INBOX')).toBe('3');
    expect(nextUid(script?.copy ?? [], 'alice', 'INBOX')).toBe('4');
    expect(nextUid(before, 'bob', 'Archives/2025')).toBe('2');
    expect(nextUid(script?.copy ?? [], 'bob', 'Archives/2025')).toBe('4');
    // Mailboxes that received nothing keep their next UID; no message changes.
    expect(nextUid(script?.copy ?? [], 'bob', 'INBOX')).toBe(nextUid(before, 'bob', 'INBOX'));
    const messages = (state: string[]) => state.map((line) => line.split('\t').slice(0, 3).join('\t'));
    expect(messages(script?.copy ?? [])).toEqual(messages(before));
    // Dovecot may start its mailbox list index there, but no INBOX (a maildir's cur/ and new/).
    expect(['cur', 'new'].filter((dir) => existsSync(join(dovecot.mailDir, 'carol', dir)))).toEqual([]);
  });

  it('fail, saying why, when the live mailboxes cannot be read', () => {
    const made = join(root, 'made-too');
    backUp(made);
    const [script, executor] = both(made, join(root, 'no-such-socket'));
    expect(executor).toEqual(script);
    expect(script?.code).toBe(1);
    expect(script?.said).toEqual(['  cannot read the state of the live mailboxes of alice:']);
  });
});
