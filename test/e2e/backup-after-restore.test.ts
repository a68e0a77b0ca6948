import { readdirSync, rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { runAs } from '../helpers/service-targets.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'find');

const day = (d: string) => `2026-03-${d}T03:00:00+01:00`;

/** A collect point of one directory. */
const SITE =
  '[point]\nengine = files\nlocal_path = {root}/collect\n\n[source "data"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = data\n';

/**
 * A restore of an older, smaller copy is the operator's choice, accepted with --allow-shrink: the
 * backups after it must judge the sources against what the restore put back, not against the
 * figures recorded before it, which would refuse every later run as a shrink.
 */
describe.runIf(canRun)('the backup after a restore of an older copy', () => {
  let box: Sandbox;
  let args: string[];
  beforeEach(() => {
    box = makeSandbox('polyarchiv-after-restore-');
    box.write({
      'config/site.collect': SITE,
      'config/mirror.backup':
        '[point]\nengine = synchronize\nremote_url = {root}/mirror/{Y}-{m}-{d}/{name}\n',
    });
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
  });
  afterEach(() => box.remove());

  const files = (count: number) =>
    box.write(Object.fromEntries(Array.from({ length: count }, (_, i) => [`data/f${i}`, `${i}\n`])));

  for (const how of ['apply', 'script'] as const) {
    it(`judges the sources against the restored copy, then against its own figures again (${how})`, () => {
      files(5);
      expect(runAs(box, how, 'backup', [...args, '--now', day('01')]).code).toBe(0);
      files(30);
      expect(runAs(box, how, 'backup', [...args, '--now', day('02')]).code).toBe(0);
      const restore = runAs(box, how, 'restore', [
        ...args,
        '--allow-shrink',
        '--at',
        '2026-03-02T02:00:00+01:00',
      ]);
      expect(restore.code, restore.stderr).toBe(0);
      expect(readdirSync(box.path('data'))).toHaveLength(5);
      const next = runAs(box, how, 'backup', [...args, '--now', day('03')]);
      expect(next.code, next.stderr).toBe(0);
      expect(readdirSync(box.path('mirror/2026-03-03/site/data'))).toHaveLength(5);
      // The guard still stands: a source that loses most of its files is refused as before.
      for (let i = 1; i < 5; i++) rmSync(box.path(`data/f${i}`));
      const shrunk = runAs(box, how, 'backup', [...args, '--now', day('04')]);
      expect(shrunk.code).toBe(1);
      expect(shrunk.stderr).toContain(
        'the copy of source "data" would shrink by more than 50% (max_shrink_percent): files: 5 now, 1 incoming',
      );
      expect(
        readdirSync(box.path('collect/backups/data')).filter((name) => name.startsWith('f')),
      ).toHaveLength(5);
    }, 120_000);
  }
});

/**
 * A mirror that lost files (a disk repaired, a hand that deleted), restored from with
 * --allow-shrink: the collect point now holds what that mirror holds. The next backup must judge
 * each backup point against what it holds now, not the figures it recorded before the restore:
 * the mirror restored from loses nothing, another mirror that kept every file is still guarded.
 */
describe.runIf(canRun)('the backup after a restore from a mirror that lost files', () => {
  let box: Sandbox;
  let args: string[];
  beforeEach(() => {
    box = makeSandbox('polyarchiv-after-mirror-restore-');
    box.write({
      'config/site.collect': SITE,
      'config/damaged.backup': '[point]\nengine = synchronize\nremote_url = {root}/damaged/{name}\n',
      'config/whole.backup': '[point]\nengine = synchronize\nremote_url = {root}/whole/{name}\n',
    });
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
  });
  afterEach(() => box.remove());

  for (const how of ['apply', 'script'] as const) {
    it(`judges each backup point against what it holds (${how})`, () => {
      box.write(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`data/f${i}`, `${i}\n`])));
      expect(runAs(box, how, 'backup', [...args, '--now', day('01')]).code).toBe(0);
      for (let i = 5; i < 30; i++) rmSync(box.path(`damaged/site/data/f${i}`));
      const restore = runAs(box, how, 'restore', [...args, '--allow-shrink', '--from', 'damaged']);
      expect(restore.code, restore.stderr).toBe(0);
      expect(readdirSync(box.path('data'))).toHaveLength(5);
      const next = runAs(box, how, 'backup', [...args, '--now', day('02')]);
      expect(next.stderr).toMatch(/ok +backup:damaged\/site/);
      // The mirror that kept every file is measured too, and still refuses to lose them.
      expect(next.stderr).toMatch(/failed +backup:whole\/site/);
      expect(next.stderr.match(/would shrink/g)).toHaveLength(1);
      expect(next.stderr).toContain(
        'the mirror of "site" would shrink by more than 50% (max_shrink_percent): files: 30 now, 5 incoming',
      );
      expect(next.code).toBe(1);
      expect(readdirSync(box.path('whole/site/data'))).toHaveLength(30);
      expect(readdirSync(box.path('damaged/site/data'))).toHaveLength(5);
    }, 120_000);
  }
});
