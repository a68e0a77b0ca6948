import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { haveLdapTools, NOW, runScript, useLdapCase } from '../helpers/ldap-case.js';
import type { Sandbox } from '../helpers/sandbox.js';
import { snapshotTree } from '../helpers/tree.js';
import { writeExecutable } from '../servers/postgresql.js';
import { SUFFIX } from '../servers/slapd.js';

const canRun = haveLdapTools();
// Its failures and dry runs: ldap-failures.test.ts.
describe.runIf(canRun)('the ldap source against a real OpenLDAP slapd', () => {
  const t = useLdapCase();

  it('restores a wiped directory with unicode names, a jpegPhoto and groups, and starts slapd again', () => {
    const { slapd, box, args, sample, dumpFile, wipe } = t;
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
    const { slapd, box, args, sample, wipe } = t;
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
    const { slapd, box, args, sample, source, writeConfig } = t;
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
      const { slapd, box, args, sample, wipe } = t;
      expect(runCli(['backup', ...args]).code).toBe(0);
      const unmount = mountDataDirectory();
      try {
        for (const backend of ['apply', 'script'] as const) {
          wipe();
          const restored = restoreThrough(backend, box, args);
          expect([backend, restored.code, restored.stderr]).toEqual([backend, 0, restored.stderr]);
          expect(slapd.isRunning()).toBe(true);
          expect(slapd.contents()).toBe(sample);
          expect(isMountPoint(slapd.dataDir)).toBe(true);
          expect(existsSync(`${slapd.dataDir}/.polyarchiv-old`)).toBe(false);

          // Moving the old files aside fails (a file stands where they would go): slapd still starts.
          writeFileSync(`${slapd.dataDir}/.polyarchiv-old`, 'in the way');
          const blocked = restoreThrough(backend, box, args);
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
    const { slapd, box } = t;
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

  it.each(['apply', 'script'] as const)(
    "runs the load and the start command under umask 022 through %s, not the run's own 077",
    (backend) => {
      const { slapd, box, args, sample, source, writeConfig, wipe } = t;
      expect(runCli(['backup', ...args]).code).toBe(0);
      // slapadd makes cn=config's directories 0750 under 022, 0700 under 077; slapd keeps its umask.
      const seen = box.path('load-umask');
      writeExecutable(box.path('slapadd'), `#!/bin/sh\numask > '${seen}'\nexec slapadd "$@"\n`);
      writeConfig(source([`restore_executable = ${box.path('slapadd')}`]));
      wipe();
      const restored = restoreThrough(backend, box, args);
      expect(restored.code, restored.stderr).toBe(0);
      expect(slapd.contents()).toBe(sample);
      expect(readFileSync(seen, 'utf8').trim()).toBe('0022');
      const pid = readFileSync(`${slapd.root}/run/slapd.pid`, 'utf8').trim();
      expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^Umask:\s+0022$/m);
      writeConfig();
    },
  );

  it.each(['apply', 'script'] as const)(
    "keeps the file system's lost+found of a data_directory that is a mount point through %s",
    (backend) => {
      const { slapd, box, args, sample, wipe } = t;
      expect(runCli(['backup', ...args]).code).toBe(0);
      // What mkfs makes at the root of a file system, and where fsck puts what it recovers.
      const lostAndFound = `${slapd.dataDir}/lost+found`;
      mkdirSync(lostAndFound, { mode: 0o700 });
      writeFileSync(`${lostAndFound}/#1234`, 'recovered by fsck');
      const before = statSync(lostAndFound);
      try {
        wipe();
        const restored = restoreThrough(backend, box, args);
        expect(restored.code, restored.stderr).toBe(0);
        expect(slapd.contents()).toBe(sample);
        expect(readFileSync(`${lostAndFound}/#1234`, 'utf8')).toBe('recovered by fsck');
        const after = statSync(lostAndFound);
        expect([after.ino, after.uid, after.mode]).toEqual([before.ino, before.uid, before.mode]);
      } finally {
        rmSync(lostAndFound, { recursive: true, force: true });
      }
    },
  );

  it('refuses a restore without data_directory before stopping slapd', () => {
    const { slapd, args, sample, source, writeConfig } = t;
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

/** A restore through apply, or through the script `plan --restore` writes: its status and errors. */
function restoreThrough(
  backend: 'apply' | 'script',
  box: Sandbox,
  args: string[],
): { code: number | null; stderr: string } {
  if (backend === 'apply') return runCli(['restore', '--yes', ...args]);
  const run = runScript(box, runCli(['plan', '--restore', ...args]).stdout);
  return { code: run.status, stderr: run.stderr };
}

function must(tool: string, args: string[]): void {
  const run = spawnSync(tool, args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${run.stderr}`);
}

function isMountPoint(dir: string): boolean {
  return spawnSync('mountpoint', ['-q', '--', dir]).status === 0;
}
