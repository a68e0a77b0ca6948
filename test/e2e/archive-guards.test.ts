import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backupThrough } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum', 'tar', 'gzip');

describe.runIf(canRun)(
  'archive backup points refuse an empty or shrunk collect point',
  { timeout: 600_000 },
  () => {
    let box: Sandbox;
    beforeEach(() => {
      box = makeSandbox('polyarchiv-archive-guard-');
    });
    afterEach(() => box.remove());
    /** The collect point `site` (two files, the second holding `b`) and the backup point `point`. */
    const writeSite = (engine: string, url: string, b: string) =>
      box.write({
        'config/site.collect':
          '[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "www"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = www\n',
        'config/point.backup': `[point]\nengine = ${engine}\nremote_url = ${url}\n`,
        'data/a.txt': 'a',
        'data/b.txt': b,
      });
    /** A backup through `how`, pinned at HOUR:00 on 2 March 2024. */
    const backupAt = (how: 'apply' | 'script', hour: string, ...flags: string[]) =>
      backupThrough(how, box.path('run.sh'), [
        '-C',
        box.path('config'),
        '--set',
        `root=${box.root}`,
        '--now',
        `2024-03-02T${hour}:00:00+01:00`,
        ...flags,
      ]);

    const engines = [
      ['archive', '{root}/archives/{name}.tar.gz', 'site.tar.gz'],
      ['rolling_archive', '{root}/archives/{name}-{d}.tar.gz', 'site-02.tar.gz'],
    ] as const;
    for (const [engine, url, first] of engines) {
      for (const how of ['apply', 'script'] as const) {
        it(`${engine} keeps its archive when the collect point became empty, unless --allow-shrink (${how})`, async () => {
          writeSite(engine, url, 'b');
          const packed = await backupAt(how, '03');
          expect(packed.code, packed.stderr).toBe(0);
          const good = readFileSync(box.path('archives', first));
          // The collect point lost its files (its own guards do not see it): the archive is judged.
          rmSync(box.path('collect/site/backups/www'), { recursive: true });
          const refused = await backupAt(how, '04', '--skip-collect');
          expect(refused.code).toBe(1);
          expect(refused.stderr).toContain(
            `the archive of "site" in backup point "point" would become empty: files: 2 now, 0 incoming; bytes: 2 now, 0 incoming`,
          );
          expect(readFileSync(box.path('archives', first))).toEqual(good);
          expect(readdirSync(box.path('archives'))).toEqual([first]);
          const allowed = await backupAt(how, '05', '--skip-collect', '--allow-shrink');
          expect(allowed.code, allowed.stderr).toBe(0);
          expect(allowed.stderr).toContain('accepted: --allow-shrink');
        });

        it(`${engine} judges against the archive itself when the listing kept of it is gone (${how})`, async () => {
          writeSite(engine, url, 'bb');
          const packed = await backupAt(how, '03');
          expect(packed.code, packed.stderr).toBe(0);
          // The listing tar wrote while packing, in the pair's metadata directory.
          const kept = box.path('collect/site/metadata/remote-point/remote/archive.listing');
          const listed = readFileSync(kept, 'utf8').split('\n');
          expect(listed.filter((line) => line.startsWith('-'))).toHaveLength(2);
          // A listing lost (or an archive written before listings were kept): the archive is read.
          rmSync(kept);
          rmSync(box.path('collect/site/backups/www'), { recursive: true });
          const refused = await backupAt(how, '04', '--skip-collect');
          expect(refused.code).toBe(1);
          expect(refused.stderr).toContain(
            `the archive of "site" in backup point "point" would become empty: files: 2 now, 0 incoming; bytes: 3 now, 0 incoming`,
          );
          expect(readdirSync(box.path('archives'))).toEqual([first]);
        });
      }
    }
  },
);
