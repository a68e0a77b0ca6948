import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { runAs } from '../helpers/service-targets.js';
import { haveTools } from '../helpers/tools.js';

const HOWS = ['apply', 'script'] as const;

/**
 * Archives named by their day alone, restored --at a time of a day that has one: the name cannot
 * tell whether that archive was made before or after the time (a run later that day writes the
 * same name), so it is passed over, saying so, and the newest archive named before that day is
 * taken.
 */
describe.runIf(haveTools('rsync', 'flock', 'bash', 'tar', 'gzip'))('restore --at with names of a day', () => {
  let box: Sandbox;
  beforeEach(() => {
    box = makeSandbox('polyarchiv-at-day-');
    box.write({
      'data/page.txt': 'monday\n',
      'config/site.collect': [
        '[point]',
        'engine = files',
        'local_path = {root}/collect/{name}',
        '',
        '[source "tree"]',
        'engine = local_files',
        'source_path = {root}/data',
        'destination_path = tree',
        '',
      ].join('\n'),
      'config/bp.backup': [
        '[point]',
        'engine = archive',
        'remote_url = file://{root}/archives/{name}-{Y}{m}{d}.tar.gz',
        '',
      ].join('\n'),
    });
  });
  afterEach(() => box.remove());

  const args = () => ['-C', box.path('config'), '--set', `root=${box.root}`];
  const backup = (how: (typeof HOWS)[number], now: string, page: string) => {
    writeFileSync(box.path('data/page.txt'), page);
    const run = runAs(box, how, 'backup', [...args(), '--now', now]);
    expect(run.code, run.stderr).toBe(0);
  };

  for (const how of HOWS) {
    it(`passes over the archive of the day of --at, made after it by a later run that day (${how})`, () => {
      backup(how, '2026-03-09T12:00:00Z', 'monday\n');
      backup(how, '2026-03-10T08:00:00Z', 'tuesday morning\n');
      // The same name, overwritten by the evening's run: it holds a copy made after --at.
      backup(how, '2026-03-10T20:00:00Z', 'tuesday evening\n');
      writeFileSync(box.path('data/page.txt'), 'now\n');
      const restore = runAs(box, how, 'restore', [
        ...args(),
        '--allow-shrink',
        '--at',
        '2026-03-10T12:00:00Z',
      ]);
      expect(restore.code, restore.stderr).toBe(0);
      expect(readFileSync(box.path('data/page.txt'), 'utf8')).toBe('monday\n');
      const output = `${restore.stdout}${restore.stderr}`;
      expect(output).toContain(`before ${box.path('archives/site-20260310.tar.gz')}`);
      expect(output).toContain(`the newest there: ${box.path('archives/site-20260309.tar.gz')}`);
    }, 120_000);

    it(`rolling_archive: the times its state records decide, not the names (${how})`, () => {
      box.write({
        'config/bp.backup': [
          '[point]',
          'engine = rolling_archive',
          'remote_url = file://{root}/archives/{name}-{Y}{m}{d}.tar.gz',
          '',
        ].join('\n'),
      });
      const restoreAt = () => {
        writeFileSync(box.path('data/page.txt'), 'now\n');
        const restore = runAs(box, how, 'restore', [
          ...args(),
          '--allow-shrink',
          '--at',
          '2026-03-10T12:00:00Z',
        ]);
        expect(restore.code, restore.stderr).toBe(0);
        expect(`${restore.stdout}${restore.stderr}`).not.toContain('the name of --at');
        return readFileSync(box.path('data/page.txt'), 'utf8');
      };
      backup(how, '2026-03-09T12:00:00Z', 'monday\n');
      backup(how, '2026-03-10T08:00:00Z', 'tuesday morning\n');
      expect(restoreAt()).toBe('tuesday morning\n');
      // Written again that evening: the state records it at the evening's time, after --at.
      backup(how, '2026-03-10T20:00:00Z', 'tuesday evening\n');
      expect(restoreAt()).toBe('monday\n');
    }, 120_000);
  }
});
