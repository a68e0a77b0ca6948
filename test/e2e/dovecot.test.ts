import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { canRunDovecot, collectPoint, NOW, useDovecot } from '../helpers/dovecot-e2e.js';
import type { Sandbox } from '../helpers/sandbox.js';
import { snapshotTree } from '../helpers/tree.js';
import type { Dovecot } from '../servers/dovecot.js';
import { writeExecutable } from '../servers/postgresql.js';

describe.runIf(canRunDovecot)('the dovecot source against a real Dovecot', () => {
  const fx = useDovecot('polyarchiv-dovecot-e2e-');
  const { source, writeConfig, openCollectPoint, copyDir, copyContents, runScript } = fx;
  let dovecot: Dovecot;
  let sample: string[];
  let box: Sandbox;
  let args: string[];
  beforeEach(() => {
    ({ dovecot, sample, box, args } = fx);
  });

  it('leaves the same copy and state through apply and through the rendered script', () => {
    const viaApply = [...args.slice(0, 2), '--set', `root=${box.path('a')}`, ...NOW];
    const viaScript = [...args.slice(0, 2), '--set', `root=${box.path('b')}`, ...NOW];
    openCollectPoint(box.path('a'));
    openCollectPoint(box.path('b'));
    const applied = runCli(['backup', ...viaApply]);
    expect(applied.code, applied.stderr).toBe(0);
    const script = runScript(runCli(['plan', ...viaScript]).stdout);
    expect(script.status, script.stderr).toBe(0);
    // Maildir file names carry the time and pid of the copy: compare what Dovecot reads.
    expect(copyContents(copyDir(box.path('b')))).toEqual(copyContents(copyDir(box.path('a'))));
    // Maildir names hold times and pids, so the two copies differ in size by a few bytes: the
    // states are compared without total_size (and without their run's time and duration).
    const states = (root: string) => {
      const text = readFileSync(`${root}/collect/site/metadata/collect_point/site.json`, 'utf8');
      const { total_size: _size, last_success: _time, last_duration: _duration, ...state } = JSON.parse(text);
      return state;
    };
    expect(states(box.path('b'))).toEqual(states(box.path('a')));

    dovecot.wipe();
    const restored = runScript(runCli(['plan', '--restore', ...viaScript]).stdout);
    expect(restored.status, restored.stderr).toBe(0);
    expect(dovecot.contents()).toEqual(sample);
    dovecot.wipe();
    const restoredByApply = runCli(['restore', '--yes', ...viaApply]);
    expect(restoredByApply.code, restoredByApply.stderr).toBe(0);
    expect(dovecot.contents()).toEqual(sample);
  });

  it('keeps the previous good copy, untouched, when doveadm fails or is killed', () => {
    expect(runCli(['backup', ...args]).code).toBe(0);
    const good = snapshotTree(copyDir());
    // A change the failed runs must not half-apply to the good copy through shared inodes.
    dovecot.doveadm(['flags', 'add', '-u', 'bob', '\\Seen', 'mailbox', 'INBOX', 'ALL']);
    dovecot.doveadm(['save', '-u', 'bob', '-m', 'INBOX'], 'Subject: later\n\nAfter the backup.\n');
    const failing = {
      failing_doveadm: '#!/bin/bash\ndoveadm "$@"\nexit 3\n',
      killed_doveadm: '#!/bin/sh\nkill -KILL $$\n',
    };
    for (const [name, text] of Object.entries(failing)) {
      writeExecutable(box.path(name), text);
      chmodSync(box.path(name), 0o755);
      writeConfig(source([`dump_executable = ${box.path(name)}`]));
      const run = runCli(['backup', ...args]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/failed +collect:site/);
      expect(run.stderr).toMatch(/skipped +backup:mirror\/site/);
      expect(snapshotTree(copyDir())).toEqual(good);
    }
    writeConfig();
    const again = runCli(['backup', ...args]);
    expect(again.code, again.stderr).toBe(0);
    expect(copyContents(copyDir()).join('')).toContain('After the backup.');
  });

  it('connects to nothing with --dry, and shows the commands it runs', () => {
    const log = box.path('argv.log');
    // bash, not dash: doveadm hands its configuration to its child in variables named like
    // NAMESPACE/inbox/..., which dash drops.
    writeExecutable(
      box.path('logged_doveadm'),
      `#!/bin/bash\necho "doveadm $*" >> '${log}'\nexec doveadm "$@"\n`,
    );
    chmodSync(box.path('logged_doveadm'), 0o755);
    writeConfig(source([`dump_executable = ${box.path('logged_doveadm')}`]));
    for (const command of [['backup'], ['restore', '--from', 'mirror']]) {
      const dry = runCli([...command, '--dry', ...args]);
      expect(dry.stderr).toContain('logged_doveadm');
      expect(existsSync(log)).toBe(false);
      expect(existsSync(copyDir())).toBe(false);
    }
    const shown = runCli(['backup', '--show-commands', ...args]);
    expect(shown.code, shown.stderr).toBe(0);
    const outer =
      readFileSync(log, 'utf8')
        .split('\n')[0]
        ?.replace(/^doveadm /, '') ?? '';
    expect(outer).toMatch(/^-c \S+ -o dsync_remote_cmd=.* backup -A remote:polyarchiv$/);
    expect(shown.stderr).toContain(`/logged_doveadm -c ${dovecot.configFile} -o 'dsync_remote_cmd=`);
  });

  it('names the failing source and its line, and still runs the other points', () => {
    const stopped = `${box.root}/stopped.conf`;
    writeFileSync(
      stopped,
      readFileSync(dovecot.configFile, 'utf8').replace(/base_dir = .*/, `base_dir = ${box.root}/none`),
    );
    chmodSync(stopped, 0o644);
    writeConfig(source(), {
      'config/noserver.collect': collectPoint(source().map((l) => l.replace(dovecot.configFile, stopped))),
      'config/noconfig.collect': collectPoint(
        source().map((l) => l.replace(dovecot.configFile, '/nonexistent/dovecot.conf')),
      ),
      'config/nouser.collect': collectPoint(source(['user_mask = nobody-here'])),
      'config/missingtool.collect': collectPoint(source(['dump_executable = /nonexistent/doveadm'])),
    });
    const run = runCli(['backup', ...args]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/ok +collect:site/);
    expect(run.stderr).toMatch(/ok +backup:mirror\/site/);
    for (const name of ['noserver', 'noconfig', 'nouser', 'missingtool']) {
      expect(run.stderr).toMatch(
        new RegExp(
          `failed with exit code \\d+: step \\d+ of \\d+ at ${name}\\.collect:\\d+ \\[source "mail"\\]`,
        ),
      );
      expect(run.stderr).toMatch(new RegExp(`failed +collect:${name} `));
      expect(run.stderr).toMatch(new RegExp(`skipped +backup:mirror/${name} `));
    }
    expect(run.stderr).toContain('/nonexistent/doveadm');
    expect(run.stderr).toContain('/nonexistent/dovecot.conf');
    expect(run.stderr).toMatch(
      /user_mask 'nobody-here' \(nouser\.collect:\d+\) matches no user of the userdb: nothing would be copied/,
    );
  });

  for (const backend of ['apply', 'script']) {
    it(`fails, naming the option's line, when mailbox or user_mask selects nothing, and keeps the previous copy (${backend})`, () => {
      const backup = (): { code: number | null; stderr: string } => {
        if (backend === 'apply') return runCli(['backup', ...args]);
        const run = runScript(runCli(['plan', ...args]).stdout);
        return { code: run.status, stderr: run.stderr };
      };
      expect(backup().code).toBe(0);
      const good = snapshotTree(copyDir());
      // Line 9 of site.collect is the first option after the source's three.
      const cases: Record<string, [string[], string]> = {
        'no such mailbox': [
          ['mailbox = NoSuchBox'],
          "mailbox 'NoSuchBox' (site.collect:9) exists for no user of the userdb: nothing would be copied",
        ],
        'a mailbox the selected users lack': [
          ['user_mask = c*', 'mailbox = Archives/2025'],
          "mailbox 'Archives/2025' (site.collect:10) exists for no user matching 'c*': nothing would be copied",
        ],
        'no matching user': [
          ['user_mask = nobody*'],
          "user_mask 'nobody*' (site.collect:9) matches no user of the userdb: nothing would be copied",
        ],
        'no matching user, through the socket': [
          [`socket = ${dovecot.doveadmSocket}`, 'user_mask = nobody', 'mailbox = INBOX'],
          "mailbox 'INBOX' (site.collect:11) exists for no user matching 'nobody': nothing would be copied",
        ],
      };
      for (const [name, [extra, message]] of Object.entries(cases)) {
        writeConfig(source(extra));
        const run = backup();
        expect({ name, code: run.code }, run.stderr).toEqual({ name, code: 1 });
        expect(run.stderr).toContain(message);
        expect(run.stderr).toMatch(
          /failed with exit code \d+: step [34] of \d+ at site\.collect:\d+ \[source "mail"\]/,
        );
        expect(run.stderr).toMatch(/skipped +backup:mirror\/site/);
        expect(snapshotTree(copyDir())).toEqual(good);
      }
      // What exists is copied, INBOX in any case, through the socket too.
      for (const extra of [
        ['user_mask = ALICE', 'mailbox = inbox'],
        [`socket = ${dovecot.doveadmSocket}`, 'user_mask = b*', 'mailbox = Archives/2025'],
      ]) {
        writeConfig(source(extra));
        // The mirror's guard may refuse the smaller copy (users no longer selected leave it).
        expect(backup().stderr).toMatch(/ok +collect:site/);
      }
    });
  }

  for (const backend of ['apply', 'script']) {
    it(`says that doveadm could not be asked, not that the selection is empty, when the server or the userdb is unreachable (${backend})`, () => {
      const backup = (): { code: number | null; stderr: string } => {
        if (backend === 'apply') return runCli(['backup', ...args]);
        const run = runScript(runCli(['plan', ...args]).stdout);
        return { code: run.status, stderr: run.stderr };
      };
      expect(backup().code).toBe(0);
      const good = snapshotTree(copyDir());
      // A configuration whose auth server is not running: the userdb cannot be asked.
      const noAuth = `${box.root}/no-auth.conf`;
      writeFileSync(
        noAuth,
        readFileSync(dovecot.configFile, 'utf8').replace(/^base_dir = .*$/m, `base_dir = ${box.root}/no-run`),
      );
      chmodSync(noAuth, 0o644);
      const cases: Record<string, [string[], string, string]> = {
        'the doveadm server is down': [
          [...source(['socket = /nonexistent/doveadm-server', 'mailbox = INBOX'])],
          "cannot ask doveadm (through the doveadm server at /nonexistent/doveadm-server) whether mailbox 'INBOX' (site.collect:10) exists for a user: nothing was copied",
          'net_connect_unix(/nonexistent/doveadm-server) failed',
        ],
        'the userdb is unreachable': [
          [
            'engine = dovecot',
            `config_file = ${noAuth}`,
            `mail_owner = ${dovecot.mailOwner}`,
            'user_mask = a*',
          ],
          "cannot ask doveadm which users of the userdb user_mask 'a*' (site.collect:9) matches: nothing was copied",
          'auth-userdb',
        ],
      };
      for (const [name, [lines, message, doveadmSays]] of Object.entries(cases)) {
        writeConfig(lines);
        const run = backup();
        expect({ name, code: run.code }, run.stderr).toEqual({ name, code: 1 });
        expect(run.stderr).toContain(message);
        expect(run.stderr).toContain(doveadmSays);
        expect(run.stderr).not.toMatch(/exists for no user|matches no user/);
        expect(run.stderr).toMatch(
          /failed with exit code \d+: step 3 of \d+ at site\.collect:(9|10) \[source "mail"\]/,
        );
        expect(snapshotTree(copyDir())).toEqual(good);
      }
    });
  }

  it('reaches the mailboxes through the doveadm server socket, and restores through it', () => {
    // The copy side's configuration names no usable mailbox: only the server can read them.
    const local = `${box.root}/copy-side.conf`;
    writeFileSync(
      local,
      readFileSync(dovecot.configFile, 'utf8').replace(
        /^mail_location = .*$/m,
        'mail_location = maildir:/nonexistent/%u',
      ),
    );
    chmodSync(local, 0o644);
    writeConfig([
      'engine = dovecot',
      `config_file = ${local}`,
      `mail_owner = ${dovecot.mailOwner}`,
      `socket = ${dovecot.doveadmSocket}`,
    ]);
    const shown = runCli(['backup', '--show-commands', ...args]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stderr).toMatch(/doveadm -c \S+ -o '?mail_uid=\d+'? backup -R -A tcp:\S+doveadm\.sock$/m);
    expect(shown.stderr).not.toContain('dsync_remote_cmd');
    expect(readdirSync(copyDir()).sort()).toEqual(['alice', 'bob', 'carol']);
    expect(statSync(`${copyDir()}/alice`).uid).toBe(Number(dovecot.mailOwner));
    expect(copyContents(copyDir())).toEqual(sample);

    dovecot.wipe();
    expect(dovecot.contents()).toEqual([]);
    const restore = runCli(['restore', '--yes', ...args]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(dovecot.contents()).toEqual(sample);

    // The rendered script does the same, both ways.
    const viaScript = [...args.slice(0, 2), '--set', `root=${box.path('b')}`, ...NOW];
    openCollectPoint(box.path('b'));
    const script = runScript(runCli(['plan', ...viaScript]).stdout);
    expect(script.status, script.stderr).toBe(0);
    expect(copyContents(copyDir(box.path('b')))).toEqual(sample);
    dovecot.wipe();
    const restored = runScript(runCli(['plan', '--restore', ...viaScript]).stdout);
    expect(restored.status, restored.stderr).toBe(0);
    expect(dovecot.contents()).toEqual(sample);
  });

  it('names the source and its line when the socket is wrong, and still runs the other points', () => {
    writeConfig(source(), {
      'config/badsocket.collect': collectPoint(source(['socket = /nonexistent/doveadm-server'])),
    });
    const run = runCli(['backup', ...args]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/ok +collect:site/);
    expect(run.stderr).toMatch(/ok +backup:mirror\/site/);
    expect(run.stderr).toMatch(
      /failed with exit code \d+: step \d+ of \d+ at badsocket\.collect:\d+ \[source "mail"\]/,
    );
    expect(run.stderr).toContain('(through the doveadm server at /nonexistent/doveadm-server)');
    expect(run.stderr).toContain('net_connect_unix(/nonexistent/doveadm-server) failed');
    expect(run.stderr).toMatch(/failed +collect:badsocket /);
    expect(run.stderr).toMatch(/skipped +backup:mirror\/badsocket /);
    expect(copyContents(copyDir())).toEqual(sample);
  });

  it('refuses a socket that is not a unix socket path, naming its line', () => {
    writeConfig(source(['socket = /run/dovecot/doveadm:924']));
    const run = runCli(['backup', ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error: bad value for option 'socket': '/run/dovecot/doveadm:924'");
    expect(run.stderr).toContain('at site.collect:9 [source "mail"]');
  });
});
