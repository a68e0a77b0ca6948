import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, runCliAsync } from './cli.js';
import { ODD_FILES, writeTree } from './odd-files.js';
import { sleep } from './run-control.js';
import { makeSandbox, type Sandbox } from './sandbox.js';
import { commandLinesHolding, filesHolding } from './secret-scan.js';
import { interruptionTests } from './service-interruptions.js';
import type { ServiceServer } from './service-server.js';
import { backupThreeDays, comparableStates, configureOffsite, partials, runAs } from './service-targets.js';
import { archiveTree, fileContents, snapshotTree } from './tree.js';

/**
 * The tests every transport through rclone passes: round trips, parity, secrets, failures, kills.
 */
export function serviceTargetTests(service: () => ServiceServer, prefix: string): void {
  // Its own describe: its hooks stay with its tests, not with the caller's other suites.
  describe('backup points on the server', () => {
    let box: Sandbox;
    beforeEach(() => {
      box = makeSandbox(`polyarchiv-${prefix}-`);
      writeTree(box.path('data'), ODD_FILES);
    });
    afterEach(() => {
      box.remove();
      service().clear();
    });
    const url = (path: string) => service().url(path);
    /** The backup point `offsite` with `lines`, then the server's own lines (unless `plain`). */
    const configure = (lines: readonly string[], plain = false) =>
      configureOffsite(box, plain ? lines : [...lines, ...service().lines]);

    for (const how of ['apply', 'script'] as const) {
      it(`synchronize mirrors the odd-name tree there and restores it byte for byte (${how})`, () => {
        const args = configure(['engine = synchronize', `remote_url = ${url('{name}')}`]);
        const backup = runAs(box, how, 'backup', args);
        expect(backup.code, backup.stderr).toBe(0);
        expect(service().read('site/tree/with space.txt').toString('utf8')).toBe(ODD_FILES['with space.txt']);
        // Deletions reach the mirror, after the transfer.
        rmSync(box.path('data/plain.txt'));
        const again = runAs(box, how, 'backup', args);
        expect(again.code, again.stderr).toBe(0);
        expect(service().exists('site/tree/plain.txt')).toBe(false);

        rmSync(box.path('collect/site/backups'), { recursive: true });
        const restore = runAs(box, how, 'restore', args);
        expect(restore.code, restore.stderr).toBe(0);
        expect(fileContents(box.path('collect/site/backups/tree'))).toEqual(fileContents(box.path('data')));
      }, 120_000);

      it(`synchronize sends a file rewritten with its size unchanged, in the same second or a later one (${how})`, () => {
        const args = configure(['engine = synchronize', `remote_url = ${url('{name}')}`]);
        const second = Math.floor(Date.now() / 1000) - 60;
        const file = box.path('data/plain.txt');
        const backup = () => {
          const run = runAs(box, how, 'backup', args);
          expect(run.code, run.stderr).toBe(0);
        };
        const version = (text: string, at: number) => {
          writeFileSync(file, text);
          utimesSync(file, at, at);
          backup();
          expect(service().read('site/tree/plain.txt').toString('utf8')).toBe(text);
        };
        version('version 1\n', second + 0.1);
        version('version 2\n', second + 0.6);
        version('version 3\n', second + 5.6);
        // Nothing is sent again once the files are older than the last upload that ended well (a
        // file changed up to two seconds before an upload is sent by the next one too).
        spawnSync('sleep', ['2.1']);
        backup();
        const sent = () =>
          ['plain.txt', 'with space.txt'].map(
            (name) => statSync(service().stored(`site/tree/${name}`)).mtimeMs,
          );
        const before = sent();
        backup();
        expect(sent()).toEqual(before);
      }, 120_000);

      it(`synchronize: an upload that fails leaves no list of the changed files behind (${how})`, async () => {
        const args = configure(['engine = synchronize', `remote_url = ${url('{name}')}`]);
        expect(runAs(box, how, 'backup', args).code).toBe(0);
        writeFileSync(box.path('data/plain.txt'), 'changed\n');
        const failed = () => {
          const run = runAs(box, how, 'backup', args);
          expect(run.code).toBe(1);
          expect(run.stderr).toMatch(/offsite\.backup:\d+ \[point\]/);
        };
        // A refused login fails at once; a server that is down, after rclone's retries.
        if (service().refused !== undefined) {
          configure(['engine = synchronize', ...service().plainLines('{name}', 'wrong')], true);
          failed();
        } else {
          await service().stop();
          try {
            failed();
          } finally {
            await service().start();
          }
        }
        const metadata = box.path('collect/site/metadata');
        const files = readdirSync(metadata, { recursive: true, withFileTypes: true })
          .filter((entry) => !entry.isDirectory())
          .map((entry) => `${entry.parentPath.slice(metadata.length + 1)}/${entry.name}`);
        // What the pair keeps from run to run: its state, the upload's stamps, the manifest of modes.
        const kept = /\/(offsite|site)\.json$|\/mirror\.stamp(\.next)?$|\/lock$|\/modes(\.listing)?$/;
        expect(files.filter((file) => !kept.test(file))).toEqual([]);
      }, 120_000);

      it(`synchronize judges the mirror before it sends the files changed since its last upload (${how})`, () => {
        // Ten files, then four of them, one rewritten with its size unchanged: the collect point's
        // copy may shrink by 70%, the mirror by its default 50%.
        rmSync(box.path('data'), { recursive: true });
        const names = Array.from({ length: 10 }, (_, i) => `f${i}.txt`);
        box.write({
          ...Object.fromEntries(names.map((name, i) => [`data/${name}`, `file ${i}\n`.repeat(100)])),
          'config/site.collect':
            '[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "tree"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = tree\nmax_shrink_percent = 70\n',
          'config/offsite.backup': [
            '[point]',
            'engine = synchronize',
            `remote_url = ${url('{name}')}`,
            ...service().lines,
            '',
          ].join('\n'),
        });
        const args = ['-C', box.path('config'), '--set', `root=${box.root}`];
        const first = runAs(box, how, 'backup', args);
        expect(first.code, first.stderr).toBe(0);
        for (const name of names.slice(0, 6)) rmSync(box.path(`data/${name}`));
        writeFileSync(box.path('data/f9.txt'), 'FILE 9\n'.repeat(100));
        const refused = runAs(box, how, 'backup', args);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain(
          'the mirror of "site" would shrink by more than 50% (max_shrink_percent): files: 10 now, 4 incoming',
        );
        expect(refused.stderr).toContain('refused: nothing was changed');
        // Nothing was changed there: not even the file rewritten since the last upload.
        expect(names.filter((name) => !service().exists(`site/tree/${name}`))).toEqual([]);
        expect(service().read('site/tree/f9.txt').toString('utf8')).toBe('file 9\n'.repeat(100));

        const allowed = runAs(box, how, 'backup', [...args, '--allow-shrink']);
        expect(allowed.code, allowed.stderr).toBe(0);
        expect(names.filter((name) => service().exists(`site/tree/${name}`))).toEqual(names.slice(6));
        expect(service().read('site/tree/f9.txt').toString('utf8')).toBe('FILE 9\n'.repeat(100));
      }, 120_000);

      it(`archive sends the tarball through a hidden partial renamed over it, and restores it (${how})`, () => {
        const args = configure(['engine = archive', ...service().plainLines('{name}.tar.gz')], true);
        const backup = runAs(box, how, 'backup', args);
        expect(backup.code, backup.stderr).toBe(0);
        expect(archiveTree(service().stored('site.tar.gz'))).toEqual(
          snapshotTree(box.path('collect/site/backups')),
        );
        expect(partials(service().list())).toEqual([]);
        // A second run replaces the archive in place.
        writeFileSync(box.path('data/plain.txt'), 'second\n');
        const second = runAs(box, how, 'backup', args);
        expect(second.code, second.stderr).toBe(0);
        expect(archiveTree(service().stored('site.tar.gz'))).toEqual(
          snapshotTree(box.path('collect/site/backups')),
        );

        rmSync(box.path('collect/site/backups'), { recursive: true });
        const restore = runAs(box, how, 'restore', args);
        expect(restore.code, restore.stderr).toBe(0);
        expect(fileContents(box.path('collect/site/backups/tree'))).toEqual(fileContents(box.path('data')));
        expect(readdirSync(box.path('collect/site/metadata/remote-offsite/remote')).sort()).toEqual([
          'archive.listing',
          'offsite.json',
        ]);
      }, 120_000);

      it(`a restore whose archive the server no longer holds fails at the fetch, saying so, changing nothing (${how})`, () => {
        const args = configure(['engine = archive', ...service().plainLines('{name}.tar.gz')], true);
        const backup = runAs(box, how, 'backup', args);
        expect(backup.code, backup.stderr).toBe(0);
        const before = snapshotTree(box.path('collect/site/backups'));
        service().clear();
        const restore = runAs(box, how, 'restore', args);
        expect(restore.code).toBe(1);
        expect(restore.stderr).toMatch(/offsite\.backup:\d+ \[point\]/);
        // Asked before it is fetched (S3, whose keys are not asked for, when nothing is fetched), the
        // server says nothing is there: polyarchiv says what it means.
        expect(restore.stderr).toMatch(
          /backup point "offsite" holds no copy of collect point "site": .*site\.tar\.gz is missing\n/,
        );
        expect(restore.stderr).not.toMatch(/Failed to copyto/);
        expect(restore.stderr).not.toMatch(/ENOENT/);
        expect(snapshotTree(box.path('collect/site/backups'))).toEqual(before);
      }, 120_000);

      it(`a restore of a mirror the server does not let it read fails at the check, naming the copy, changing nothing (${how})`, async () => {
        const args = configure(['engine = synchronize', `remote_url = ${url('{name}')}`]);
        expect(runAs(box, how, 'backup', args).code).toBe(0);
        writeFileSync(box.path('data/plain.txt'), 'changed since\n');
        const copy = snapshotTree(box.path('collect/site/backups'));
        const live = snapshotTree(box.path('data'));
        const restore = async () => {
          // A refused login fails at once; a server that is down, after rclone's retries.
          if (service().refused !== undefined) {
            configure(['engine = synchronize', ...service().plainLines('{name}', 'wrong')], true);
            return runAs(box, how, 'restore', args);
          }
          await service().stop();
          try {
            return runAs(box, how, 'restore', args);
          } finally {
            await service().start();
          }
        };
        const failed = await restore();
        expect(failed.code, failed.stderr).toBe(1);
        // A refused login is said naming the option to fix; any other failure, as a copy not read.
        const why =
          service().refused === undefined
            ? `the copy of "site" at [^\\n]+ \\(backup point "offsite"\\) could not be read \\(rclone says why above\\): collect point "site" and the live data were not changed; another backup point's copy: run the restore again with --from ITS_NAME`
            : `the server (refused|knows no) [^\\n]+ \\(offsite\\.backup:\\d+ \\[point\\][^\\n]+`;
        expect(failed.stderr).toMatch(
          new RegExp(
            `\\npolyarchiv: {3}${why}\\npolyarchiv: {3}failed with exit code \\d+: step 2 of \\d+ at offsite\\.backup:\\d+ \\[point\\]\\n`,
          ),
        );
        expect(failed.stderr).not.toMatch(/holds no copy/);
        expect(snapshotTree(box.path('collect/site/backups'))).toEqual(copy);
        expect(snapshotTree(box.path('data'))).toEqual(live);
      }, 180_000);

      it(`rolling_archive keeps its calendar history there, deleting through rclone (${how})`, async () => {
        const args = configure([
          'engine = rolling_archive',
          `remote_url = ${url('{name} [{Y}-{m}-{d}].tar.zst')}`,
          'keep_last = 2',
          'hourly_count = 0',
          'daily_count = 0',
          'weekly_count = 0',
          'monthly_count = 0',
          'yearly_count = 0',
        ]);
        await backupThreeDays(box, (more) => runAs(box, how, 'backup', [...args, ...more]), [
          '--allow-mass-delete',
        ]);
        expect(service().list()).toEqual(['site [2026-03-02].tar.zst', 'site [2026-03-03].tar.zst']);
        rmSync(box.path('collect/site/backups'), { recursive: true });
        const restore = runAs(box, how, 'restore', args);
        expect(restore.code, restore.stderr).toBe(0);
        expect(fileContents(box.path('collect/site/backups/tree'))).toEqual(fileContents(box.path('data')));

        // A rebuilt machine: no state records the series, so the restore lists the server for it.
        rmSync(box.path('collect'), { recursive: true });
        const rebuilt = runAs(box, how, 'restore', [
          ...args,
          '--from',
          'offsite',
          '--at',
          // The last second of the day: a name of the day of --at is passed over before it.
          '2026-03-02T23:59:59+01:00',
        ]);
        expect(rebuilt.code, rebuilt.stderr).toBe(0);
        expect(rebuilt.stderr).toMatch(/the newest there: \S.*\/site \[2026-03-02\]\.tar\.zst\n/);
        expect(readFileSync(box.path('collect/site/backups/tree/day.txt'), 'utf8')).toBe('02\n');
        expect(readFileSync(box.path('data/day.txt'), 'utf8')).toBe('02\n');
        expect(service().list()).toEqual(['site [2026-03-02].tar.zst', 'site [2026-03-03].tar.zst']);
      }, 120_000);

      it(`synchronize finds the newest dated mirror there on a rebuilt machine (${how})`, async () => {
        const args = configure(['engine = synchronize', `remote_url = ${url('{Y}-{m}-{d} [{name}]')}`]);
        await backupThreeDays(box, (more) => runAs(box, how, 'backup', [...args, ...more]));
        rmSync(box.path('collect'), { recursive: true });
        const rebuilt = runAs(box, how, 'restore', [
          ...args,
          '--from',
          'offsite',
          '--at',
          // The last second of the day: a name of the day of --at is passed over before it.
          '2026-03-02T23:59:59+01:00',
        ]);
        expect(rebuilt.code, rebuilt.stderr).toBe(0);
        expect(rebuilt.stderr).toMatch(/the newest there: \S.*\/2026-03-02 \[site\]\/\n/);
        expect(readFileSync(box.path('collect/site/backups/tree/day.txt'), 'utf8')).toBe('02\n');
        expect(fileContents(box.path('data'))).toEqual(fileContents(box.path('collect/site/backups/tree')));
        expect(readFileSync(box.path('data/with space.txt'), 'utf8')).toBe(ODD_FILES['with space.txt']);
        for (const day of ['01', '02', '03'])
          expect(service().read(`2026-03-${day} [site]/tree/day.txt`).toString('utf8')).toBe(`${day}\n`);
      }, 120_000);

      it(`archive named by the weekday is found by its modification time on a rebuilt machine (${how})`, async () => {
        const args = configure(['engine = archive', `remote_url = ${url('{name} {A}.tar.gz')}`]);
        const between = await backupThreeDays(
          box,
          (more) => runAs(box, how, 'backup', [...args, ...more]),
          [],
          true,
        );
        rmSync(box.path('collect'), { recursive: true });
        const rebuilt = runAs(box, how, 'restore', [...args, '--from', 'offsite', '--at', between]);
        expect(rebuilt.code, rebuilt.stderr).toBe(0);
        expect(rebuilt.stderr).toMatch(/the newest there: \S.*\/site Monday\.tar\.gz\n/);
        expect(readFileSync(box.path('data/day.txt'), 'utf8')).toBe('02\n');
        rmSync(box.path('collect'), { recursive: true });
        const newest = runAs(box, how, 'restore', [...args, '--from', 'offsite']);
        expect(newest.code, newest.stderr).toBe(0);
        expect(newest.stderr).toMatch(/the newest there: \S.*\/site Tuesday\.tar\.gz\n/);
        expect(readFileSync(box.path('data/day.txt'), 'utf8')).toBe('03\n');
      }, 120_000);

      it(`rolling_archive forgets an archive whose dated directory someone removed (${how})`, () => {
        const args = configure([
          'engine = rolling_archive',
          `remote_url = ${url('{Y}-{m}-{d}/{name}.tar.gz')}`,
          'keep_last = 1',
          'hourly_count = 0',
          'daily_count = 0',
          'weekly_count = 0',
          'monthly_count = 0',
          'yearly_count = 0',
        ]);
        const runOn = (day: string) =>
          runAs(box, how, 'backup', [
            ...args,
            '--now',
            `2026-03-${day}T03:00:00+01:00`,
            '--allow-mass-delete',
          ]);
        const first = runOn('01');
        expect(first.code, first.stderr).toBe(0);
        expect(service().exists('2026-03-01/site.tar.gz')).toBe(true);
        service().clear();
        // Retention deletes the first archive, whose directory is gone: not a failure, nor an error
        // printed on a run that went well.
        const second = runOn('02');
        expect(second.code, second.stderr).toBe(0);
        expect(second.stderr).not.toMatch(/ERROR|not found/);
        expect(service().exists('2026-03-02/site.tar.gz')).toBe(true);
        const third = runOn('03');
        expect(third.code, third.stderr).toBe(0);
        expect(service().exists('2026-03-02/site.tar.gz')).toBe(false);
        expect(archiveTree(service().stored('2026-03-03/site.tar.gz'))).toEqual(
          snapshotTree(box.path('collect/site/backups')),
        );
        // A rebuilt machine finds the newest archive one dated directory down.
        const before = snapshotTree(box.path('collect/site/backups'));
        rmSync(box.path('collect'), { recursive: true });
        const rebuilt = runAs(box, how, 'restore', [...args, '--from', 'offsite']);
        expect(rebuilt.code, rebuilt.stderr).toBe(0);
        expect(rebuilt.stderr).toMatch(/the newest there: \S.*\/2026-03-03\/site\.tar\.gz\n/);
        expect(snapshotTree(box.path('collect/site/backups'))).toEqual(before);
      }, 120_000);
    }

    it('leaves the same remote trees and states with apply and with the rendered script', () => {
      const twin = makeSandbox(`polyarchiv-${prefix}-twin-`);
      try {
        writeTree(twin.path('data'), ODD_FILES);
        const now = ['--now', '2026-01-31T03:00:00+01:00'];
        const args = [
          ...now,
          ...configure(['engine = archive', `remote_url = ${url('{root}/archive/{name}.tar.gz')}`]),
        ];
        box.write({
          'config/mirror.backup': [
            '[point]',
            'engine = synchronize',
            `remote_url = ${url('{root}/mirror/{name}')}`,
          ]
            .concat(service().lines, '')
            .join('\n'),
          'config/dated.backup': ['[point]', 'engine = rolling_archive']
            .concat(`remote_url = ${url('{root}/dated/{name}-{Y}{m}{d}.tar.gz')}`, service().lines, '')
            .join('\n'),
        });
        const twinArgs = [...now, '-C', box.path('config'), '--set', `root=${twin.root}`];
        const applied = runAs(box, 'apply', 'backup', args);
        expect(applied.code, applied.stderr).toBe(0);
        const ran = runAs(twin, 'script', 'backup', twinArgs);
        expect(ran.code, ran.stderr).toBe(0);
        expect(service().tree(twin.root)).toEqual(service().tree(box.root));
        expect(comparableStates(twin)).toEqual(comparableStates(box));
      } finally {
        twin.remove();
      }
    }, 120_000);

    it('keeps the password out of argv, the plan, the script and the states', async () => {
      const args = configure(['engine = synchronize', `remote_url = ${url('{name}')}`]);
      const plan = runCli(['plan', ...args]);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).not.toContain(service().password);
      expect(plan.stdout).not.toContain(encodeURIComponent(service().password));
      // The run is watched while it runs: every process's command line, until it ends.
      const done = runCliAsync(['backup', ...args]);
      let finished = false;
      void done.then(() => {
        finished = true;
      });
      const seen: string[] = [];
      let rcloneSeen = 0;
      while (!finished) {
        seen.push(...commandLinesHolding(service().password));
        rcloneSeen += commandLinesHolding('rclone', box.root).length;
        await sleep(20);
      }
      const backup = await done;
      expect(backup.code, backup.stderr).toBe(0);
      expect(backup.stderr).not.toContain(service().password);
      expect(rcloneSeen).toBeGreaterThan(0);
      expect(seen).toEqual([]);
      expect(filesHolding(box.path('collect'), service().password)).toEqual([]);
    }, 120_000);

    it('fails a point whose password the server refuses or whose server is down, naming its line, losing nothing', async () => {
      const args = configure(['engine = archive', `remote_url = ${url('{name}.tar.gz')}`]);
      expect(runCli(['backup', ...args]).code).toBe(0);
      const good = service().read('site.tar.gz');
      writeFileSync(box.path('data/plain.txt'), 'changed\n');
      const refusal = service().refused;
      if (refusal !== undefined) {
        configure(['engine = archive', ...service().plainLines('{name}.tar.gz', 'wrong')], true);
        const refused = runCli(['backup', ...args]);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(/offsite\.backup:3 \[point\]/);
        expect(refused.stderr).toMatch(refusal);
        expect(service().read('site.tar.gz')).toEqual(good);
      }
      configure(['engine = archive', `remote_url = ${url('{name}.tar.gz')}`]);
      await service().stop();
      try {
        const down = runCli(['backup', ...args]);
        expect(down.code).toBe(1);
        expect(down.stderr).toMatch(/connection refused/i);
        expect(down.stderr).toMatch(/offsite\.backup:3 \[point\]/);
      } finally {
        await service().start();
      }
      expect(service().read('site.tar.gz')).toEqual(good);
      expect(runCli(['backup', ...args]).code).toBe(0);
      expect(partials(service().list())).toEqual([]);
    }, 240_000);

    interruptionTests(service, { box: () => box, configure });
  });
}
