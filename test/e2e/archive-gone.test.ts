import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { runAs } from '../helpers/service-targets.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'find', 'tar', 'gzip', 'restic');

const day = (d: string) => `2026-03-${d}T03:00:00+01:00`;
/** Each backup point's disk, mounted at a directory of its own. */
const DISKS = ['archives', 'series', 'restic'] as const;

/**
 * An archive, a series of archives and a restic repository, each on a disk of its own: when the
 * disk is not mounted, its mount point is an empty directory, where a run would write a new
 * archive or make a new repository on the disk below, the backup going where nobody looks for
 * it. What the last success wrote there and is gone fails the unit before anything is written,
 * until the disk is back or --allow-shrink says it was removed on purpose.
 */
describe.runIf(canRun)('an archive or a repository whose disk is not mounted', () => {
  let box: Sandbox;
  let args: string[];
  beforeEach(() => {
    box = makeSandbox('polyarchiv-archive-gone-');
    box.write({
      'config/site.collect':
        '[point]\nengine = files\nlocal_path = {root}/collect\n\n[source "data"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = data\n',
      'config/whole.backup': '[point]\nengine = archive\nremote_url = {root}/archives/{name}.tar.gz\n',
      'config/dated.backup': '[point]\nengine = archive\nremote_url = {root}/dated/{name}-{Y}{m}{d}.tar.gz\n',
      'config/rolling.backup':
        '[point]\nengine = rolling_archive\nremote_url = {root}/series/{name}-{Y}-{m}-{d}.tar.gz\n',
      'config/vault.backup':
        '[point]\nengine = restic\nremote_url = {root}/restic/repo\npassword = vault pass\n',
      'data/a': 'a\n',
      'data/b': 'b\n',
    });
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
  });
  afterEach(() => box.remove());

  const unmount = () => {
    for (const disk of DISKS) {
      renameSync(box.path(disk), box.path(`unmounted-${disk}`));
      mkdirSync(box.path(disk));
    }
  };
  const mount = () => {
    for (const disk of DISKS) {
      renameSync(box.path(disk), box.path(`empty-${disk}`));
      renameSync(box.path(`unmounted-${disk}`), box.path(disk));
    }
  };
  const empty = (disk: string) => readdirSync(box.path(disk)).length === 0;
  /** `text` as a regular expression that matches it. */
  const said = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  for (const how of ['apply', 'script'] as const) {
    it(`is refused until the disk is back or --allow-shrink is given (${how})`, () => {
      for (const d of ['01', '02']) {
        const run = runAs(box, how, 'backup', [...args, '--now', day(d)]);
        expect(run.code, run.stderr).toBe(0);
      }
      unmount();
      for (const d of ['03', '04']) {
        const run = runAs(box, how, 'backup', [...args, '--now', day(d)]);
        expect(run.code).toBe(1);
        const gone = `${said(' at its last success (')}\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d${said(') and is gone: mount its disk, or run with --allow-shrink if it was moved or removed on purpose')}`;
        const refused = (point: string, path: string, made: string, held: string) =>
          new RegExp(
            said(
              `backup point "${point}": ${box.path(path)}, set by option 'remote_url' (${point}.backup:3 [point], made of {root} from --set${made}), ${held}`,
            ) + gone,
          );
        expect(run.stderr).toMatch(refused('whole', 'archives/site.tar.gz', ', {name}', 'was written'));
        expect(run.stderr).toMatch(
          refused(
            'rolling',
            'series/site-2026-03-02.tar.gz',
            ', {name}, {Y}, {m}, {d}',
            'was the newest of its 2 archives',
          ),
        );
        expect(run.stderr).toMatch(refused('vault', 'restic/repo', '', 'held 2 snapshots'));
        for (const unit of ['whole', 'rolling', 'vault'])
          expect(run.stderr).toMatch(new RegExp(`failed +backup:${unit}/site`));
        // Nothing was written where the disks should be; the archive named by the day is new each time.
        for (const disk of DISKS) expect(empty(disk), disk).toBe(true);
        expect(run.stderr).toMatch(/ok +backup:dated\/site/);
      }
      mount();
      box.write({ 'data/c': 'c\n' });
      const back = runAs(box, how, 'backup', [...args, '--now', day('05')]);
      expect(back.code, back.stderr).toBe(0);
      expect(readdirSync(box.path('series')).sort()).toEqual([
        'site-2026-03-01.tar.gz',
        'site-2026-03-02.tar.gz',
        'site-2026-03-05.tar.gz',
      ]);
      // Moved away on purpose: started anew where remote_url says.
      for (const disk of DISKS) renameSync(box.path(disk), box.path(`moved-${disk}`));
      const anew = runAs(box, how, 'backup', [...args, '--now', day('06'), '--allow-shrink']);
      expect(anew.code, anew.stderr).toBe(0);
      expect(existsSync(box.path('archives/site.tar.gz'))).toBe(true);
      expect(readdirSync(box.path('series'))).toEqual(['site-2026-03-06.tar.gz']);
      expect(existsSync(box.path('restic/repo/config'))).toBe(true);
      // The archive's state names the file its success wrote.
      const state = JSON.parse(
        readFileSync(box.path('collect/metadata/remote-whole/remote/whole.json'), 'utf8'),
      );
      expect(state.data).toEqual({ archive: box.path('archives/site.tar.gz') });
    }, 300_000);
  }
});
