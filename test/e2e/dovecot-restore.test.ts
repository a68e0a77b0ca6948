import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { canRunDovecot, useDovecot } from '../helpers/dovecot-e2e.js';
import type { Sandbox } from '../helpers/sandbox.js';
import type { Dovecot } from '../servers/dovecot.js';

describe.runIf(canRunDovecot)('dovecot restores against a real Dovecot', () => {
  const fx = useDovecot('polyarchiv-dovecot-restore-');
  const { source, writeConfig, copyDir, copyContents, recordsOf, runScript } = fx;
  let dovecot: Dovecot;
  let sample: string[];
  let box: Sandbox;
  let args: string[];
  beforeEach(() => {
    ({ dovecot, sample, box, args } = fx);
  });

  it('restores every user’s mailboxes, bodies and flags after their mail was wiped', () => {
    const backup = runCli(['backup', ...args]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(readdirSync(copyDir()).sort()).toEqual(['alice', 'bob', 'carol']);
    expect(statSync(`${copyDir()}/alice`).uid).toBe(Number(dovecot.mailOwner));
    expect(copyContents(copyDir())).toEqual(sample);
    expect(sample.join('')).toContain('Bonjour Alice, ça va ?');
    expect(sample.join('')).toContain('mailbox: Projets/Été');
    expect(sample.join('')).toContain('filename="data.bin"');
    expect(existsSync(box.path('mirror/site/dovecot/bob'))).toBe(true);

    dovecot.wipe();
    expect(dovecot.contents()).toEqual([]);
    const restore = runCli(['restore', '--yes', ...args]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(dovecot.contents()).toEqual(sample);
  });

  for (const backend of ['apply', 'script']) {
    it(`leaves alone a user the copy does not hold, and restores nothing from an empty copy (${backend})`, () => {
      const restore = (more: string[] = []): { code: number | null; stderr: string } => {
        if (backend === 'apply') return runCli(['restore', '--yes', ...more, ...args]);
        const run = runScript(runCli(['plan', '--restore', ...more, ...args]).stdout);
        return { code: run.status, stderr: run.stderr };
      };
      expect(runCli(['backup', ...args]).code).toBe(0);
      // dave comes after the backup; alice loses her mail.
      dovecot.addUser('dave');
      try {
        const daves = 'From: x@example.org\nSubject: for dave\n\nSince the backup.\n';
        dovecot.doveadm(['save', '-u', 'dave', '-m', 'INBOX'], daves);
        const withDave = dovecot.contents();
        rmSync(`${dovecot.mailDir}/alice`, { recursive: true, force: true });
        const run = restore();
        expect(run.code, run.stderr).toBe(0);
        expect(dovecot.contents()).toEqual(withDave);
        expect(readdirSync(copyDir()).sort()).toEqual(['alice', 'bob', 'carol']);

        // A copy that holds no user (lost, or never written) changes nothing.
        for (const user of readdirSync(copyDir())) rmSync(`${copyDir()}/${user}`, { recursive: true });
        const empty = restore(['--skip-backup']);
        expect(empty.code).toBe(1);
        expect(empty.stderr).toContain(
          `polyarchiv:   ${copyDir()} holds the mail of no user that Dovecot knows and the source selects: nothing was changed`,
        );
        expect(empty.stderr).toMatch(
          /failed with exit code 2: step 4 of 8 at site\.collect:\d+ \[source "mail"\]/,
        );
        expect(dovecot.contents()).toEqual(withDave);
      } finally {
        dovecot.removeUser('dave');
      }
    });
  }

  for (const backend of ['apply', 'script']) {
    it(`refuses, naming the line, a restore from a copy that lacks the configured mailbox or every user of user_mask (${backend})`, () => {
      const restore = (): { code: number | null; stderr: string } => {
        if (backend === 'apply') return runCli(['restore', '--yes', '--skip-backup', ...args]);
        const run = runScript(runCli(['plan', '--restore', '--skip-backup', ...args]).stdout);
        return { code: run.status, stderr: run.stderr };
      };
      writeConfig(source(['user_mask = a*', 'mailbox = INBOX']));
      const backup = runCli(['backup', ...args]);
      expect(backup.code, backup.stderr).toBe(0);
      const copied = copyContents(copyDir());
      // Since the backup, the configuration names what the copy never held.
      const cases: Record<string, [string[], string]> = {
        'another mailbox': [
          ['user_mask = a*', 'mailbox = Projets/Été'],
          `the copy ${copyDir()} holds mailbox 'Projets/Été' (site.collect:10) for no user matching 'a*': nothing was changed`,
        ],
        'other users': [
          ['user_mask = b*', 'mailbox = INBOX'],
          `${copyDir()} holds the mail of no user that Dovecot knows and user_mask 'b*' (site.collect:9) selects: nothing was changed`,
        ],
      };
      for (const [name, [extra, message]] of Object.entries(cases)) {
        writeConfig(source(extra));
        const run = restore();
        expect({ name, code: run.code }, run.stderr).toEqual({ name, code: 1 });
        expect(run.stderr).toContain(message);
        expect(dovecot.contents()).toEqual(sample);
        expect(copyContents(copyDir())).toEqual(copied);
      }
    });
  }

  for (const backend of ['apply', 'script']) {
    it(`drops from the copy a user removed from the userdb, and keeps the others (${backend})`, () => {
      const backup = (): { code: number | null; stderr: string } => {
        if (backend === 'apply') return runCli(['backup', ...args]);
        const run = runScript(runCli(['plan', ...args]).stdout);
        return { code: run.status, stderr: run.stderr };
      };
      dovecot.addUser('dave');
      try {
        dovecot.doveadm(['save', '-u', 'dave', '-m', 'INBOX'], 'From: x@example.org\nSubject: hi\n\nDave.\n');
        const first = backup();
        expect(first.code, first.stderr).toBe(0);
        expect(readdirSync(copyDir()).sort()).toEqual(['alice', 'bob', 'carol', 'dave']);
      } finally {
        dovecot.removeUser('dave');
      }
      const second = backup();
      expect(second.code, second.stderr).toBe(0);
      expect(readdirSync(copyDir()).sort()).toEqual(['alice', 'bob', 'carol']);
      expect(copyContents(copyDir())).toEqual(sample);
      expect(readdirSync(box.path('mirror/site/dovecot')).sort()).toEqual(['alice', 'bob', 'carol']);
      const restore = runCli(['restore', '--yes', '--skip-backup', ...args]);
      expect(restore.code, restore.stderr).toBe(0);
      expect(restore.stderr).not.toContain('whom Dovecot does not know');
      expect(dovecot.contents()).toEqual(sample);

      // A mask with wildcards keeps the users it lists: those it no longer selects go too.
      writeConfig(source(['user_mask = a*']));
      const masked = backup();
      expect(masked.code, masked.stderr).toBe(0);
      expect(readdirSync(copyDir())).toEqual(['alice']);
    });
  }

  for (const mode of ['locally', 'through the socket']) {
    it(`copies and restores one mailbox only with mailbox (${mode})`, () => {
      const box1 = 'Projets/Été';
      const extra = mode === 'locally' ? [] : [`socket = ${dovecot.doveadmSocket}`];
      writeConfig(source([...extra, `mailbox = ${box1}`, 'user_mask = alice']));
      const backup = runCli(['backup', ...args]);
      expect(backup.code, backup.stderr).toBe(0);
      const wanted = recordsOf('alice', box1);
      expect(wanted).toHaveLength(1);
      expect(readdirSync(copyDir())).toEqual(['alice']);
      expect(copyContents(copyDir())).toEqual(wanted);

      dovecot.wipe();
      const restore = runCli(['restore', '--yes', ...args]);
      expect(restore.code, restore.stderr).toBe(0);
      expect(dovecot.contents()).toEqual(wanted);
    });
  }

  for (const backend of ['apply', 'script']) {
    it(`gives restored mail the modes of the mailboxes, not the run's umask 077 (${backend})`, () => {
      // A maildir shared with its group (0770 directories, 0660 files), and a user whose maildir
      // Dovecot makes itself (0700, 0600). doveadm gives every file it creates the modes of the
      // mailbox's root, whatever its umask, so it runs under the run's own.
      const alice = `${dovecot.mailDir}/alice`;
      execFileSync('chmod', ['-R', 'g+rwX', alice]);
      // The modes each kind of entry has (files, directories): which entries Dovecot writes (a
      // mailbox's parent, indexes, new/ or cur/) depends on its history, not their modes.
      const modes = (user: string) => {
        const listed = execFileSync('find', [`${dovecot.mailDir}/${user}`, '-printf', '%y %m\\n'], {
          encoding: 'utf8',
        });
        return [...new Set(listed.trim().split('\n'))].sort();
      };
      const before = { alice: modes('alice'), bob: modes('bob') };
      expect(before.alice).toEqual(expect.arrayContaining(['d 770', 'f 660']));
      expect(before.bob).toEqual(expect.arrayContaining(['d 700', 'f 600']));
      expect(runCli(['backup', ...args]).code).toBe(0);
      // alice loses a mailbox and a message, bob everything: the restore creates them again.
      for (const entry of readdirSync(alice).filter((name) => name.startsWith('.Projets'))) {
        rmSync(`${alice}/${entry}`, { recursive: true });
      }
      rmSync(`${dovecot.mailDir}/bob`, { recursive: true });
      const run =
        backend === 'apply'
          ? runCli(['restore', '--yes', '--skip-backup', ...args])
          : runScript(runCli(['plan', '--restore', '--skip-backup', ...args]).stdout);
      expect('code' in run ? run.code : run.status, run.stderr).toBe(0);
      expect(dovecot.contents()).toEqual(sample);
      expect({ alice: modes('alice'), bob: modes('bob') }).toEqual(before);
    });
  }

  // Each restore runs a few doveadm commands per mailbox, twice: minutes on a loaded machine.
  const RESTORES_TWICE = 240_000;
  for (const mode of ['locally', 'through the socket']) {
    for (const backend of ['apply', 'script']) {
      it(
        `restores INBOX and other mailboxes that received and lost mail after the backup, every time (${mode}, ${backend})`,
        () => {
          writeConfig(source(mode === 'locally' ? [] : [`socket = ${dovecot.doveadmSocket}`]));
          const backup = runCli(['backup', ...args]);
          expect(backup.code, backup.stderr).toBe(0);
          const restore = (): { code: number | null; stderr: string } => {
            if (backend === 'apply') return runCli(['restore', '--yes', ...args]);
            const run = runScript(runCli(['plan', '--restore', ...args]).stdout);
            return { code: run.status, stderr: run.stderr };
          };
          // Twice: a restore converges again once the mail changed again.
          for (const round of [1, 2]) {
            const late = `From: x@example.org\nSubject: late ${round}\n\nArrived after the backup.\n`;
            dovecot.doveadm(['save', '-u', 'alice', '-m', 'INBOX'], late);
            dovecot.doveadm(['save', '-u', 'bob', '-m', 'Archives/2025'], late);
            dovecot.doveadm(['flags', 'add', '-u', 'bob', '\\Seen', 'mailbox', 'INBOX', 'all']);
            // Backed-up messages deleted since: alice's first one (flagged; the one after it stays)
            // and bob's only one in Archives/2025. The restore brings them back under new UIDs.
            dovecot.doveadm(['expunge', '-u', 'alice', 'mailbox', 'INBOX', 'body', 'Bonjour']);
            dovecot.doveadm(['expunge', '-u', 'bob', 'mailbox', 'Archives/2025', 'subject', 'Old']);
            expect(dovecot.contents().join('')).toContain('Arrived after the backup.');
            expect(dovecot.contents().join('')).not.toContain('Bonjour Alice');
            const run = restore();
            expect({ round, code: run.code }, run.stderr).toEqual({ round, code: 0 });
            expect(dovecot.contents()).toEqual(sample);
          }
          // The collect point's copy still holds the backed-up mail, under the UIDs it gave it.
          expect(copyContents(copyDir())).toEqual(sample);
        },
        RESTORES_TWICE,
      );
    }
  }
});
