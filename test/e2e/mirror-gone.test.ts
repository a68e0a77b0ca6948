import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { runAs } from '../helpers/service-targets.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'find');

const day = (d: string) => `2026-03-${d}T03:00:00+01:00`;

/**
 * A mirror on a disk of its own: when the disk is not mounted, its directory is gone from the
 * mount point, and a copy would fill the disk below with a backup nobody looks for. A directory
 * that held files at the last success and is gone fails the unit before anything is made there,
 * night after night, until it is back or --allow-shrink says it was removed on purpose.
 */
describe.runIf(canRun)('a mirror whose directory is gone', () => {
  let box: Sandbox;
  let args: string[];
  beforeEach(() => {
    box = makeSandbox('polyarchiv-mirror-gone-');
    box.write({
      'config/site.collect':
        '[point]\nengine = files\nlocal_path = {root}/collect\n\n[source "data"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = data\n',
      'config/disk.backup': '[point]\nengine = synchronize\nremote_url = {root}/disk/{name}\n',
      'config/dated.backup': '[point]\nengine = synchronize\nremote_url = {root}/dated/{Y}-{m}-{d}/{name}\n',
      'data/a': 'a\n',
      'data/b': 'b\n',
    });
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
  });
  afterEach(() => box.remove());

  for (const how of ['apply', 'script'] as const) {
    it(`is refused until it is back or --allow-shrink is given (${how})`, () => {
      expect(runAs(box, how, 'backup', [...args, '--now', day('01')]).code).toBe(0);
      renameSync(box.path('disk'), box.path('unmounted'));
      for (const d of ['02', '03']) {
        const run = runAs(box, how, 'backup', [...args, '--now', day(d)]);
        expect(run.code).toBe(1);
        // The script's run records the clock's time, apply's the time of --now.
        const [said, when] = run.stderr.split(/held 2 files at its last success \(([^)]*)\)/);
        expect(said).toContain(
          `backup point "disk": ${box.path('disk/site')}, set by option 'remote_url' (disk.backup:3 [point], made of {root} from --set, {name}), `,
        );
        expect(when).toMatch(how === 'apply' ? /^2026-03-01T03:00:00$/ : /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
        expect(run.stderr).toContain(
          ' and is gone: mount its disk, or run with --allow-shrink if it was moved or removed on purpose',
        );
        expect(run.stderr).toMatch(/failed +backup:disk\/site/);
        // Nothing was made where the disk should be; the mirror named by the day is made anew.
        expect(existsSync(box.path('disk'))).toBe(false);
        expect(run.stderr).toMatch(/ok +backup:dated\/site/);
      }
      renameSync(box.path('unmounted'), box.path('disk'));
      box.write({ 'data/c': 'c\n' });
      const back = runAs(box, how, 'backup', [...args, '--now', day('04')]);
      expect(back.code, back.stderr).toBe(0);
      expect(readdirSync(box.path('disk/site/data')).sort()).toEqual(['a', 'b', 'c']);
      renameSync(box.path('disk'), box.path('removed'));
      const anew = runAs(box, how, 'backup', [...args, '--now', day('05'), '--allow-shrink']);
      expect(anew.code, anew.stderr).toBe(0);
      expect(readdirSync(box.path('disk/site/data')).sort()).toEqual(['a', 'b', 'c']);
    }, 120_000);

    it(`is refused after a restore too, whose fetch outdated the figures it held (${how})`, () => {
      expect(runAs(box, how, 'backup', [...args, '--now', day('01')]).code).toBe(0);
      const restore = runAs(box, how, 'restore', [...args, '--from', 'disk']);
      expect(restore.code, restore.stderr).toBe(0);
      renameSync(box.path('disk'), box.path('unmounted'));
      const run = runAs(box, how, 'backup', [...args, '--now', day('02')]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `backup point "disk": ${box.path('disk/site')}, set by option 'remote_url'`,
      );
      expect(run.stderr).toMatch(/held 2 files at its last success \([^)]*\) and is gone: mount its disk/);
      expect(existsSync(box.path('disk'))).toBe(false);
    }, 120_000);

    it(`keeps what it held through a failed run, which judges nothing by it (${how})`, () => {
      expect(runAs(box, how, 'backup', [...args, '--now', day('01')]).code).toBe(0);
      const stateFile = box.path('collect/metadata/remote-disk/remote/disk.json');
      const state = () => JSON.parse(readFileSync(stateFile, 'utf8'));
      // Figures that claim far more than the mirror holds: the next run is refused by them...
      writeFileSync(
        stateFile,
        JSON.stringify({ ...state(), copies: { [box.path('disk/site')]: { files: 100, bytes: 200 } } }),
      );
      const refused = runAs(box, how, 'backup', [...args, '--now', day('02')]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('files: 100 now, 2 incoming');
      // ...and its failure keeps them, for the check of the directory, not for the guard: the run
      // after it measures the mirror itself.
      expect(state()).toMatchObject({
        last_state_valid: false,
        copies: { [box.path('disk/site')]: { files: 100 } },
      });
      const measured = runAs(box, how, 'backup', [...args, '--now', day('03')]);
      expect(measured.code, measured.stderr).toBe(0);
      expect(state()).toMatchObject({
        last_state_valid: true,
        copies: { [box.path('disk/site')]: { files: 2 } },
      });
    }, 120_000);
  }
});
