import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { snapshotTree } from '../helpers/tree.js';
import { writeExecutable } from '../servers/postgresql.js';
import { type Slapd, SUFFIX, sampleLdif, startSlapd } from '../servers/slapd.js';

const canRun = haveTools(
  '/usr/sbin/slapd',
  'slapcat',
  'slapadd',
  'ldapsearch',
  'start-stop-daemon',
  'rsync',
  'flock',
  'mountpoint',
);
const NOW = ['--now', '2026-03-10T04:05:06+01:00'];

describe.runIf(canRun)('the ldap source against a real OpenLDAP slapd', () => {
  let slapd: Slapd;
  let box: Sandbox;
  let args: string[];
  let sample: string;

  beforeAll(() => {
    slapd = startSlapd();
    slapd.modify('ldapadd', sampleLdif());
    sample = slapd.contents();
  }, 60_000);
  afterAll(() => slapd?.remove());

  beforeEach(() => {
    box = makeSandbox('polyarchiv-ldap-e2e-');
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
    writeConfig();
  });
  afterEach(() => {
    // Every test leaves the server running with the sample, whatever it did to it.
    if (!slapd.isRunning()) slapd.start();
    box.remove();
  });

  const source = (extra: string[] = []): string[] => [
    'engine = ldap',
    `config_dir = ${slapd.configDir}`,
    `data_directory = ${slapd.dataDir}`,
    `stop_command = ${slapd.stopCommand}`,
    `start_command = ${slapd.startCommand}`,
    ...extra,
  ];

  function writeConfig(lines: string[] = source(), more: Record<string, string> = {}) {
    box.write({
      'config/site.collect': collect(lines),
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = file://{root}/mirror/{name}\n',
      ...more,
    });
  }

  const dumpFile = () => box.path('collect/site/backups/ldap.ldif');
  const wipe = () => slapd.modify('ldapdelete', '', '-r', SUFFIX);

  it('restores a wiped directory with unicode names, a jpegPhoto and groups, and starts slapd again', () => {
    const backup = runCli(['backup', ...args]);
    expect(backup.code, backup.stderr).toBe(0);
    const dump = readFileSync(dumpFile(), 'utf8');
    expect(dump).toContain('dn: uid=ada,ou=people,dc=example,dc=org');
    expect(dump).toContain('jpegPhoto:: ');
    expect(readFileSync(box.path('mirror/site/ldap.ldif'), 'utf8')).toBe(dump);
    const owner = statSync(slapd.dataDir);

    wipe();
    expect(slapd.contents()).toBe('');
    const restore = runCli(['restore', '--yes', ...args]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(slapd.isRunning()).toBe(true);
    expect(slapd.contents()).toBe(sample);
    const after = statSync(slapd.dataDir);
    expect([after.uid, after.gid, after.mode]).toEqual([owner.uid, owner.gid, owner.mode]);
    const files = spawnSync('find', [slapd.dataDir, '!', '-user', String(owner.uid)], { encoding: 'utf8' });
    expect(files.stdout).toBe('');
    expect(existsSync(`${slapd.root}/.data.polyarchiv-old`)).toBe(false);
  });

  it('leaves the same exports, state and directory through apply and through the rendered script', () => {
    const viaApply = [...args.slice(0, 2), '--set', `root=${box.path('a')}`, ...NOW];
    const viaScript = [...args.slice(0, 2), '--set', `root=${box.path('b')}`, ...NOW];
    expect(runCli(['backup', ...viaApply]).code).toBe(0);
    const backup = runScript(box, runCli(['plan', ...viaScript]).stdout);
    expect(backup.status, backup.stderr).toBe(0);
    expect(snapshotTree(box.path('b'))).toEqual(snapshotTree(box.path('a')));

    wipe();
    const restored = runScript(box, runCli(['plan', '--restore', ...viaScript]).stdout);
    expect(restored.status, restored.stderr).toBe(0);
    expect(slapd.contents()).toBe(sample);
    wipe();
    const applied = runCli(['restore', '--yes', ...viaApply]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(slapd.contents()).toBe(sample);
    expect(snapshotTree(box.path('b'))).toEqual(snapshotTree(box.path('a')));
  });

  it('puts the previous database back and starts slapd when the load fails, in both backends', () => {
    expect(runCli(['backup', ...args]).code).toBe(0);
    // Loads half of the export, then fails: the half-built database must not survive.
    writeExecutable(box.path('failing_slapadd'), '#!/bin/sh\nhead -n 20 | slapadd "$@"\nexit 3\n');
    writeConfig(source([`restore_executable = ${box.path('failing_slapadd')}`]));
    slapd.modify(
      'ldapmodify',
      `dn: uid=ada,ou=people,${SUFFIX}\nchangetype: modify\nreplace: mail\nmail: new@example.org\n`,
    );
    const changed = slapd.contents();
    const applied = runCli(['restore', '--yes', ...args]);
    expect(applied.code).toBe(1);
    expect(applied.stderr).toContain('the load failed with exit code 3');
    expect(slapd.isRunning()).toBe(true);
    expect(slapd.contents()).toBe(changed);
    const script = runScript(box, runCli(['plan', '--restore', ...args]).stdout);
    expect(script.status).toBe(1);
    expect(script.stderr).toContain('the load failed with exit code 3');
    expect(slapd.isRunning()).toBe(true);
    expect(slapd.contents()).toBe(changed);
    expect(existsSync(`${slapd.root}/.data.polyarchiv-old`)).toBe(false);
    // Back to the sample for the other tests.
    writeConfig();
    expect(runCli(['restore', '--yes', ...args]).code).toBe(0);
    expect(slapd.contents()).toBe(sample);
  });

  it.runIf(process.getuid?.() === 0)(
    'restores into a data_directory that is a mount point, and starts slapd on every way out',
    () => {
      expect(runCli(['backup', ...args]).code).toBe(0);
      const unmount = mountDataDirectory();
      try {
        const backends = {
          apply: () => runCli(['restore', '--yes', ...args]),
          script: () => {
            const run = runScript(box, runCli(['plan', '--restore', ...args]).stdout);
            return { code: run.status, stderr: run.stderr };
          },
        };
        for (const [backend, restore] of Object.entries(backends)) {
          wipe();
          const restored = restore();
          expect([backend, restored.code, restored.stderr]).toEqual([backend, 0, restored.stderr]);
          expect(slapd.isRunning()).toBe(true);
          expect(slapd.contents()).toBe(sample);
          expect(isMountPoint(slapd.dataDir)).toBe(true);
          expect(existsSync(`${slapd.dataDir}/.polyarchiv-old`)).toBe(false);

          // Moving the old files aside fails (a file stands where they would go): slapd still starts.
          writeFileSync(`${slapd.dataDir}/.polyarchiv-old`, 'in the way');
          const blocked = restore();
          expect([backend, blocked.code]).toEqual([backend, 1]);
          expect(slapd.isRunning()).toBe(true);
          expect(slapd.contents()).toBe(sample);
          rmSync(`${slapd.dataDir}/.polyarchiv-old`);
        }
      } finally {
        unmount();
      }
    },
    60_000,
  );

  /**
   * Puts the database on a tmpfs mounted on data_directory, as a dedicated volume would be;
   * returns what undoes it.
   */
  function mountDataDirectory(): () => void {
    const dir = slapd.dataDir;
    const aside = box.path('data-aside');
    const { uid, gid } = statSync(dir);
    const move = (from: string, to: string) => {
      mkdirSync(to, { recursive: true });
      must('cp', ['-a', '--', `${from}/.`, to]);
      for (const name of readdirSync(from)) rmSync(`${from}/${name}`, { recursive: true });
    };
    slapd.stop();
    move(dir, aside);
    must('mount', ['-t', 'tmpfs', '-o', `mode=0700,uid=${uid},gid=${gid}`, 'polyarchiv-test', dir]);
    move(aside, dir);
    slapd.start();
    return () => {
      slapd.stop();
      move(dir, aside);
      must('umount', [dir]);
      move(aside, dir);
      slapd.start();
    };
  }

  it('keeps the previous good export when slapcat fails, is killed or writes a suspicious export', () => {
    expect(runCli(['backup', ...args]).code).toBe(0);
    const good = readFileSync(dumpFile(), 'utf8');
    writeExecutable(box.path('killed_slapcat'), '#!/bin/sh\necho "dn: half"\nkill -KILL $$\n');
    writeConfig(source([`dump_executable = ${box.path('killed_slapcat')}`]));
    const killed = runCli(['backup', ...args]);
    expect(killed.code).toBe(1);
    expect(killed.stderr).toMatch(/failed +collect:site/);
    expect(readFileSync(dumpFile(), 'utf8')).toBe(good);

    writeExecutable(box.path('short_slapcat'), '#!/bin/bash\nset -o pipefail\nslapcat "$@" | head -c 200\n');
    writeConfig(source([`dump_executable = ${box.path('short_slapcat')}`, 'on_suspicious_dump = fail']));
    const shrunk = runCli(['backup', ...args]);
    expect(shrunk.code).toBe(1);
    expect(shrunk.stderr).toMatch(/warning: dump .*ldap\.ldif\.partial shrank from \d+ to 200 bytes/);
    expect(readFileSync(dumpFile(), 'utf8')).toBe(good);

    writeExecutable(box.path('empty_slapcat'), '#!/bin/sh\nexit 0\n');
    writeConfig(source([`dump_executable = ${box.path('empty_slapcat')}`]));
    // The dump is kept with a warning, but the mirror's copy guard refuses to let it replace the
    // good copy of a much larger one: that takes --allow-shrink.
    const empty = runCli(['backup', ...args]);
    expect(empty.code, empty.stderr).toBe(1);
    expect(empty.stderr).toMatch(/warning: dump .*ldap\.ldif\.partial is empty/);
    expect(empty.stderr).toMatch(/would shrink by more than 50%/);
    expect(runCli(['backup', '--allow-shrink', ...args]).code).toBe(0);
  });

  it('runs nothing with --dry, and shows the commands it runs', () => {
    const log = box.path('argv.log');
    const logged = (tool: string) =>
      writeExecutable(
        box.path(`logged_${tool}`),
        `#!/bin/sh\necho "${tool} $*" >> '${log}'\nexec ${tool} "$@"\n`,
      );
    logged('slapcat');
    logged('slapadd');
    writeConfig(
      source([
        `dump_executable = ${box.path('logged_slapcat')}`,
        `restore_executable = ${box.path('logged_slapadd')}`,
      ]),
    );
    for (const command of ['backup', 'restore']) {
      const dry = runCli([command, '--dry', ...(command === 'restore' ? ['--from', 'mirror'] : []), ...args]);
      expect(dry.stderr).toContain(`logged_${command === 'backup' ? 'slapcat' : 'slapadd'}`);
      expect(existsSync(log)).toBe(false);
      expect(existsSync(box.path('collect'))).toBe(false);
      expect(slapd.isRunning()).toBe(true);
    }
    const shown = runCli(['backup', '--show-commands', ...args]);
    expect(shown.code, shown.stderr).toBe(0);
    const ran = readFileSync(log, 'utf8')
      .trim()
      .replace(/^slapcat /, '');
    expect(ran).toBe(`-F ${slapd.configDir} -n 1`);
    expect(shown.stderr).toContain(`/logged_slapcat ${ran} > `);
  });

  it('names the failing source and its line, and still runs the other points', () => {
    writeConfig(source(), {
      'config/wrongdb.collect': collect(source(['database = 7'])),
      'config/noconfig.collect': collect(
        source().map((l) => l.replace(slapd.configDir, '/nonexistent/slapd.d')),
      ),
      'config/missingtool.collect': collect(source(['dump_executable = /nonexistent/slapcat'])),
    });
    const run = runCli(['backup', ...args]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/ok +collect:site/);
    expect(run.stderr).toMatch(/ok +backup:mirror\/site/);
    for (const name of ['wrongdb', 'noconfig', 'missingtool']) {
      expect(run.stderr).toMatch(
        new RegExp(
          `failed with exit code \\d+: step \\d+ of \\d+ at ${name}\\.collect:\\d+ \\[source "directory"\\]`,
        ),
      );
      expect(run.stderr).toMatch(new RegExp(`failed +collect:${name} `));
      expect(run.stderr).toMatch(new RegExp(`skipped +backup:mirror/${name} `));
      expect(existsSync(box.path(`collect/${name}/backups/ldap.ldif`))).toBe(false);
    }
    expect(run.stderr).toContain('/nonexistent/slapcat: command not found');
    expect(run.stderr).toContain('slapcat: bad configuration directory!');
    expect(run.stderr).toContain('Database number selected via -n is out of range');
  });

  it('refuses a restore without data_directory before stopping slapd', () => {
    expect(runCli(['backup', ...args]).code).toBe(0);
    writeConfig(source().filter((l) => !l.startsWith('data_directory')));
    const restore = runCli(['restore', '--yes', ...args]);
    expect(restore.code).toBe(2);
    expect(restore.stderr).toContain(
      'error: cannot restore source "directory" without data_directory (set it to the directory of database 1)\n  at site.collect:5 [source "directory"]',
    );
    expect(slapd.isRunning()).toBe(true);
    expect(slapd.contents()).toBe(sample);
  });
});

function collect(source: string[]): string {
  return `[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "directory"]\n${source.join('\n')}\n`;
}

function must(tool: string, args: string[]): void {
  const run = spawnSync(tool, args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${run.stderr}`);
}

function isMountPoint(dir: string): boolean {
  return spawnSync('mountpoint', ['-q', '--', dir]).status === 0;
}

function runScript(box: Sandbox, script: string) {
  writeFileSync(box.path('plan.sh'), script, { mode: 0o600 });
  return spawnSync('bash', [box.path('plan.sh'), '--yes'], { encoding: 'utf8' });
}
