import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { type Dovecot, saveSampleMail, startDovecot } from '../servers/dovecot.js';
import { makeSandbox, type Sandbox } from './sandbox.js';
import { haveTools } from './tools.js';

export const canRunDovecot = haveTools(
  '/usr/sbin/dovecot',
  'doveadm',
  '/usr/lib/dovecot/imap',
  'rsync',
  'flock',
  'bash',
);
export const NOW = ['--now', '2026-03-10T04:05:06+01:00'];

/**
 * A real Dovecot holding the sample mail for a whole test file, and for each test a sandbox with a
 * collect point `site` (its source "mail" is the dovecot engine) and a backup point `mirror`.
 * Every test leaves the users with the sample mail, whatever it did to it.
 */
export interface DovecotFixture {
  readonly dovecot: Dovecot;
  /** The users' messages as saved, as Dovecot.contents() prints them. */
  readonly sample: string[];
  readonly box: Sandbox;
  /** `-C CONFIG --set root=SANDBOX` */
  readonly args: string[];
  /** The source's option lines, with `extra` after them. */
  source(extra?: string[]): string[];
  /** Writes site.collect with these source lines, mirror.backup, and `more` collect points. */
  writeConfig(lines?: string[], more?: Record<string, string>): void;
  /** The directories above local_path must let mail_owner through (as /var/backups does). */
  openCollectPoint(root: string): void;
  /** The copy of collect point `site` under `root`. */
  copyDir(root?: string): string;
  /** Reads a backup copy as Dovecot itself would, one maildir per user. */
  copyContents(dir: string): string[];
  /** The sample records of one user's mailbox. */
  recordsOf(user: string, mailbox: string): string[];
  /** Runs a rendered script with --yes. */
  runScript(script: string): SpawnSyncReturns<string>;
}

/** Registers the hooks that start Dovecot and make each test's sandbox; the fixture is valid inside tests. */
export function useDovecot(prefix: string): DovecotFixture {
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
    box = makeSandbox(prefix);
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
    fixture.writeConfig();
  });
  afterEach(() => {
    if (JSON.stringify(dovecot.contents()) !== JSON.stringify(sample)) {
      dovecot.wipe();
      saveSampleMail(dovecot);
      sample = dovecot.contents();
    }
    box.remove();
  });

  const fixture: DovecotFixture = {
    get dovecot() {
      return dovecot;
    },
    get sample() {
      return sample;
    },
    get box() {
      return box;
    },
    get args() {
      return args;
    },
    source: (extra = []) => [
      'engine = dovecot',
      `config_file = ${dovecot.configFile}`,
      `mail_owner = ${dovecot.mailOwner}`,
      ...extra,
    ],
    writeConfig(lines = fixture.source(), more = {}) {
      box.write({
        'config/site.collect': collectPoint(lines),
        'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = file://{root}/mirror/{name}\n',
        ...more,
      });
      fixture.openCollectPoint(box.root);
    },
    openCollectPoint(root) {
      chmodSync(box.root, 0o711);
      mkdirSync(`${root}/collect`, { recursive: true, mode: 0o711 });
      for (const dir of [root, `${root}/collect`]) chmodSync(dir, 0o711);
    },
    copyDir: (root = box.root) => `${root}/collect/site/backups/dovecot`,
    copyContents(dir) {
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
    },
    recordsOf: (user, mailbox) =>
      sample.filter((r) => r.startsWith(`user: ${user}\n`) && r.includes(`\nmailbox: ${mailbox}\n`)),
    runScript(script) {
      writeFileSync(box.path('plan.sh'), script, { mode: 0o600 });
      return spawnSync('bash', [box.path('plan.sh'), '--yes'], { encoding: 'utf8' });
    },
  };
  return fixture;
}

/** A collect point `{root}/collect/{name}` whose source "mail" has these option lines. */
export function collectPoint(source: string[]): string {
  return `[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "mail"]\n${source.join('\n')}\n`;
}
