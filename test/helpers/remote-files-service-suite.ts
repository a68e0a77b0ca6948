import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { SERVED_FILES, writeTree } from './odd-files.js';
import { makeSandbox, type Sandbox } from './sandbox.js';
import type { ServiceServer } from './service-server.js';
import { comparableStates, remoteFilesSite, runAs } from './service-targets.js';
import { fileContents } from './tree.js';

/**
 * remote_files reading a directory of a server reached through rclone (WebDAV, FTP) that stores
 * files as files: the tests seed and change the server's directory on its disk, and read it there.
 */
export function remoteFilesServiceTests(service: () => ServiceServer, prefix: string): void {
  describe('remote_files source on the server', () => {
    let box: Sandbox;
    beforeEach(() => {
      box = makeSandbox(`polyarchiv-${prefix}-source-`);
      writeTree(service().stored('origin'), SERVED_FILES);
    });
    afterEach(() => {
      box.remove();
      service().clear();
    });

    /** site, one remote_files source `web` reading `origin` on the server; `lines`: its credentials. */
    function configure(
      lines: readonly string[] = [`source_url = ${service().url('origin')}`, ...service().lines],
    ) {
      box.write({ 'config/site.collect': remoteFilesSite(lines) });
      return ['-C', box.path('config'), '--set', `root=${box.root}`];
    }
    const copy = () => box.path('collect/site/backups/web');

    for (const how of ['apply', 'script'] as const) {
      it(`remote_files fetches the odd-name tree, then only what changed, and a restore pushes it back (${how})`, () => {
        const args = configure();
        const first = runAs(box, how, 'backup', args);
        expect(first.code, first.stderr).toBe(0);
        expect(fileContents(copy())).toEqual(fileContents(service().stored('origin')));

        // Changes on the server reach the copy; a file unchanged there is not fetched again.
        const kept = [
          `${copy()}/with space.txt`,
          box.path('collect/site/metadata/work/fetched/web/with space.txt'),
        ];
        const inodes = () => kept.map((file) => statSync(file).ino);
        const keptInodes = inodes();
        writeFileSync(service().stored('origin/plain.txt'), 'changed on the server\n');
        rmSync(service().stored('origin/-leading-dash'));
        const second = runAs(box, how, 'backup', args);
        expect(second.code, second.stderr).toBe(0);
        expect(fileContents(copy())).toEqual(fileContents(service().stored('origin')));
        expect(inodes()).toEqual(keptInodes);

        // The server loses files and gains one: a restore makes it the backed-up copy again.
        rmSync(service().stored('origin/-dir with space'), { recursive: true });
        writeFileSync(service().stored('origin/created after the backup.txt'), 'new\n');
        writeFileSync(service().stored('origin/plain.txt'), 'changed again\n');
        const restore = runAs(box, how, 'restore', args);
        expect(restore.code, restore.stderr).toBe(0);
        expect(restore.stderr).toContain('becomes the backed-up copy');
        // The push's dry run names what it deletes and overwrites there, before the question.
        expect(restore.stderr).toMatch(/created after the backup\.txt: Skipped delete as --dry-run is set/);
        expect(restore.stderr).toMatch(/plain\.txt: Skipped copy as --dry-run is set/);
        expect(restore.stderr).not.toMatch(/with space\.txt: Skipped/);
        // One line per file: no date on each, no block of totals after them.
        expect(restore.stderr).toMatch(/^NOTICE: plain\.txt: Skipped copy/m);
        expect(restore.stderr).not.toMatch(/Transferred:|Elapsed time:/);
        expect(restore.stderr.indexOf('Skipped delete')).toBeLessThan(
          restore.stderr.search(/\d+\/\d+ restore source/),
        );
        expect(fileContents(service().stored('origin'))).toEqual(fileContents(copy()));
        expect(readFileSync(`${copy()}/plain.txt`, 'utf8')).toBe('changed on the server\n');
      }, 120_000);

      it(`remote_files names what it leaves out on the server for its reserved name, and a restore keeps it there (${how})`, () => {
        writeTree(service().stored('origin'), { 'deep/.~polyarchiv~/kept': 'k\n' });
        const args = configure();
        const backup = runAs(box, how, 'backup', args);
        expect(backup.code, backup.stderr).toBe(0);
        expect(backup.stderr).toContain(
          'warning: the copy of source "web" leaves out directory deep/.~polyarchiv~: copies hold their updates in directories of that name; rename it to have it backed up, or delete it if an interrupted restore left it',
        );
        const { 'deep/.~polyarchiv~/kept': reserved, ...copied } = fileContents(service().stored('origin'));
        expect(reserved).toBeDefined();
        expect(fileContents(copy())).toEqual(copied);
        const restore = runAs(box, how, 'restore', args);
        expect(restore.code, restore.stderr).toBe(0);
        expect(readFileSync(service().stored('origin/deep/.~polyarchiv~/kept'), 'utf8')).toBe('k\n');
      }, 120_000);

      it(`remote_files refuses a server directory that became empty, and keeps the copy (${how})`, () => {
        const args = configure();
        const first = runAs(box, how, 'backup', args);
        expect(first.code, first.stderr).toBe(0);
        const before = fileContents(copy());
        rmSync(service().stored('origin'), { recursive: true });
        mkdirSync(service().stored('origin'));
        const emptied = runAs(box, how, 'backup', args);
        expect(emptied.code).toBe(1);
        expect(emptied.stderr).toMatch(
          /the copy of source "web" would become empty: files: 8 now, 0 incoming; bytes: \d+ now, 0 incoming/,
        );
        expect(emptied.stderr).toContain('refused: nothing was changed');
        expect(fileContents(copy())).toEqual(before);

        // A restore from that copy refills the server; --allow-shrink lets an emptied source through.
        const restore = runAs(box, how, 'restore', args);
        expect(restore.code, restore.stderr).toBe(0);
        expect(fileContents(service().stored('origin'))).toEqual(before);
        rmSync(service().stored('origin'), { recursive: true });
        mkdirSync(service().stored('origin'));
        const allowed = runAs(box, how, 'backup', [...args, '--allow-shrink']);
        expect(allowed.code, allowed.stderr).toBe(0);
        expect(fileContents(copy())).toEqual({});
      }, 120_000);
    }

    it('remote_files through apply and through the script leave the same collect point', () => {
      // One time for both: the state records the run's date variables.
      const args = [...configure(), '--now', '2026-01-01T03:00:00+01:00'];
      const applied = runAs(box, 'apply', 'backup', args);
      expect(applied.code, applied.stderr).toBe(0);
      const byApply = comparableStates(box);
      rmSync(box.path('collect'), { recursive: true });
      const scripted = runAs(box, 'script', 'backup', args);
      expect(scripted.code, scripted.stderr).toBe(0);
      expect(comparableStates(box)).toEqual(byApply);
    }, 120_000);

    it('remote_files keeps the password out of argv, logs and the plan; a wrong one fails the source at its line', () => {
      const args = configure(
        service()
          .plainLines('origin')
          .map((line) => line.replace(/^remote_url/, 'source_url')),
      );
      const plan = runCli(['plan', ...args]);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).not.toContain(service().password);
      expect(plan.stdout).toContain('POLYARCHIV_SECRET_SITE_WEB_PASSWORD');
      const backup = runCli(['backup', '-v', ...args]);
      expect(backup.code, backup.stderr).toBe(0);
      expect(`${backup.stdout}${backup.stderr}`).not.toContain(service().password);
      expect(fileContents(copy())).toEqual(fileContents(service().stored('origin')));
      // The dry run lists what the push would change on the server, with the same secrets, and
      // changes nothing there.
      writeFileSync(service().stored('origin/created after the backup.txt'), 'new\n');
      const before = fileContents(service().stored('origin'));
      const dry = runCli(['restore', '--dry', ...args]);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stderr).toContain("against the collect point's copy as it is now");
      expect(dry.stderr).toMatch(/created after the backup\.txt: Skipped delete as --dry-run is set/);
      expect(`${dry.stdout}${dry.stderr}`).not.toContain(service().password);
      expect(fileContents(service().stored('origin'))).toEqual(before);
      if (service().refused === undefined) return;
      const wrong = configure(
        service()
          .plainLines('origin', 'not-the-password')
          .map((line) => line.replace(/^remote_url/, 'source_url')),
      );
      const refused = runCli(['backup', ...wrong]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(service().refused as RegExp);
      expect(refused.stderr).not.toContain('not-the-password');
    }, 120_000);
  });
}
