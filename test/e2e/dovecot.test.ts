import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { snapshotTree } from '../helpers/tree.js';
import { type Dovecot, saveSampleMail, startDovecot } from '../servers/dovecot.js';
import { writeExecutable } from '../servers/postgresql.js';

const canRun = haveTools('/usr/sbin/dovecot', 'doveadm', '/usr/lib/dovecot/imap', 'rsync', 'flock', 'bash');
const NOW = ['--now', '2026-03-10T04:05:06+01:00'];

describe.runIf(canRun)('the dovecot source against a real Dovecot', () => {
  let dovecot: Dovecot;
  let sample: string[];
  let box: Sandbox;
  let args: string[];

  beforeAll(() => {
    dovecot = startDovecot();
    saveSampleMail(dovecot);
    sample = dovecot.contents();
  }, 60_000);
  afterAll(() => dovecot?.remove());

  beforeEach(() => {
    box = makeSandbox('polyarchiv-dovecot-e2e-');
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
    writeConfig();
  });
  afterEach(() => {
    // Every test leaves the users with the sample mail, whatever it did to it.
    if (JSON.stringify(dovecot.contents()) !== JSON.stringify(sample)) {
      dovecot.wipe();
      saveSampleMail(dovecot);
      sample = dovecot.contents();
    }
    box.remove();
  });

  const source = (extra: string[] = []): string[] => [
    'engine = dovecot',
    `config_file = ${dovecot.configFile}`,
    `mail_owner = ${dovecot.mailOwner}`,
    ...extra,
  ];

  /**
   * The directories above local_path must let mail_owner through (as /var/backups does); the
   * engine itself opens local_path and local_path/backups.
   */
  function openCollectPoint(root: string, _name: string) {
    chmodSync(box.root, 0o711);
    mkdirSync(`${root}/collect`, { recursive: true, mode: 0o711 });
    for (const dir of [root, `${root}/collect`]) chmodSync(dir, 0o711);
  }

  function writeConfig(lines: string[] = source(), more: Record<string, string> = {}) {
    box.write({
      'config/site.collect': collect(lines),
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = file://{root}/mirror/{name}\n',
      ...more,
    });
    for (const file of ['site', ...Object.keys(more).map((f) => f.replace(/^config\/|\.collect$/g, ''))]) {
      openCollectPoint(box.root, file);
    }
  }

  const copyDir = (root = box.root) => `${root}/collect/site/backups/dovecot`;

  /** Reads a backup copy as Dovecot itself would, one maildir per user. */
  function copyContents(dir: string): string[] {
    return readdirSync(dir)
      .sort()
      .flatMap((user) =>
        dovecot
          .doveadm([
            ...['-o', `mail_uid=${dovecot.mailOwner}`, '-o', `mail_home=${dir}/${user}`],
            ...['-o', `mail_location=maildir:${dir}/${user}:LAYOUT=fs`],
            ...['fetch', '-u', user, 'user mailbox flags text', 'ALL'],
          ])
          .split('\f\n')
          .filter((record) => record.trim() !== '')
          .map((record) => record.replace(/\\Recent ?/g, '')),
      )
      .sort();
  }

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

  it('leaves the same copy and state through apply and through the rendered script', () => {
    const viaApply = [...args.slice(0, 2), '--set', `root=${box.path('a')}`, ...NOW];
    const viaScript = [...args.slice(0, 2), '--set', `root=${box.path('b')}`, ...NOW];
    openCollectPoint(box.path('a'), 'site');
    openCollectPoint(box.path('b'), 'site');
    const applied = runCli(['backup', ...viaApply]);
    expect(applied.code, applied.stderr).toBe(0);
    const script = runScript(box, runCli(['plan', ...viaScript]).stdout);
    expect(script.status, script.stderr).toBe(0);
    // Maildir file names carry the time and pid of the copy: compare what Dovecot reads.
    expect(copyContents(copyDir(box.path('b')))).toEqual(copyContents(copyDir(box.path('a'))));
    // Maildir names hold times and pids, so the two copies differ in size by a few bytes: the
    // states are compared without total_size (and without their run time).
    const states = (root: string) => {
      const text = readFileSync(`${root}/collect/site/metadata/collect_point/site.json`, 'utf8');
      const { total_size: _size, last_success: _time, ...state } = JSON.parse(text);
      return state;
    };
    expect(states(box.path('b'))).toEqual(states(box.path('a')));

    dovecot.wipe();
    const restored = runScript(box, runCli(['plan', '--restore', ...viaScript]).stdout);
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
      'config/noserver.collect': collect(source().map((l) => l.replace(dovecot.configFile, stopped))),
      'config/noconfig.collect': collect(
        source().map((l) => l.replace(dovecot.configFile, '/nonexistent/dovecot.conf')),
      ),
      'config/nouser.collect': collect(source(['user_mask = nobody-here'])),
      'config/missingtool.collect': collect(source(['dump_executable = /nonexistent/doveadm'])),
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
    expect(run.stderr).toContain("User doesn't exist");
  });

  /** The sample records of one user's mailbox, as contents() and copyContents() print them. */
  const recordsOf = (user: string, mailbox: string) =>
    sample.filter((r) => r.startsWith(`user: ${user}\n`) && r.includes(`\nmailbox: ${mailbox}\n`));

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
    openCollectPoint(box.path('b'), 'site');
    const script = runScript(box, runCli(['plan', ...viaScript]).stdout);
    expect(script.status, script.stderr).toBe(0);
    expect(copyContents(copyDir(box.path('b')))).toEqual(sample);
    dovecot.wipe();
    const restored = runScript(box, runCli(['plan', '--restore', ...viaScript]).stdout);
    expect(restored.status, restored.stderr).toBe(0);
    expect(dovecot.contents()).toEqual(sample);
  });

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

  for (const mode of ['locally', 'through the socket']) {
    it(`restores INBOX and other mailboxes that received mail after the backup, every time (${mode})`, () => {
      writeConfig(source(mode === 'locally' ? [] : [`socket = ${dovecot.doveadmSocket}`]));
      const backup = runCli(['backup', ...args]);
      expect(backup.code, backup.stderr).toBe(0);
      const deliverLateMail = () => {
        const late = 'From: x@example.org\nSubject: late\n\nArrived after the backup.\n';
        dovecot.doveadm(['save', '-u', 'alice', '-m', 'INBOX'], late);
        dovecot.doveadm(['save', '-u', 'bob', '-m', 'Archives/2025'], late);
        dovecot.doveadm(['flags', 'add', '-u', 'bob', '\\Seen', 'mailbox', 'INBOX', 'all']);
        expect(dovecot.contents()).not.toEqual(sample);
      };
      const restores: Record<string, () => { code: number | null; stderr: string }> = {
        apply: () => runCli(['restore', '--yes', ...args]),
        script: () => {
          const run = runScript(box, runCli(['plan', '--restore', ...args]).stdout);
          return { code: run.status, stderr: run.stderr };
        },
      };
      for (const [backend, restore] of Object.entries(restores)) {
        // Twice: a restore converges again once more mail arrived.
        for (const round of [1, 2]) {
          deliverLateMail();
          const run = restore();
          expect({ backend, round, code: run.code }, run.stderr).toEqual({ backend, round, code: 0 });
          expect(dovecot.contents()).toEqual(sample);
        }
      }
    });
  }

  it('names the source and its line when the socket is wrong, and still runs the other points', () => {
    writeConfig(source(), {
      'config/badsocket.collect': collect(source(['socket = /nonexistent/doveadm-server'])),
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

function collect(source: string[]): string {
  return `[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "mail"]\n${source.join('\n')}\n`;
}

function runScript(box: Sandbox, script: string) {
  writeFileSync(box.path('plan.sh'), script, { mode: 0o600 });
  return spawnSync('bash', [box.path('plan.sh'), '--yes'], { encoding: 'utf8' });
}
