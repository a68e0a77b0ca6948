import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum', 'tar', 'gzip');

/** What a run killed while writing left: readable by all, full of data. */
const LEFTOVERS = {
  dump: 'collect/metadata/work/orders.sql.partial',
  state: 'collect/metadata/collect_point/shop.json.partial',
  archive: 'archives/.shop.tar.gz.polyarchiv-partial',
};

/** Every file below `dir` whose name says it is unfinished. */
function partials(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((name) => /partial$/.test(name));
}

describe.runIf(canRun).each(['apply', 'script'] as const)(
  'files published by a rename, through %s',
  (backend) => {
    let box: Sandbox | undefined;
    afterEach(() => box?.remove());

    it('are created new, with their own mode, over what a killed run left under their names', () => {
      box = makeSandbox('polyarchiv-fresh-');
      const dump = box.path('fake-mysqldump');
      box.write({
        'fake-mysqldump': "#!/bin/sh\nprintf -- '-- dump of orders\\n-- Dump completed\\n'\n",
        'config/shop.collect': `[point]\nengine = files\nlocal_path = {root}/collect\n\n[source "orders"]\nengine = mysql\nuser = backup\ndatabase = orders\ndestination_path = orders.sql\ndump_executable = ${dump}\n`,
        'config/archive.backup': '[point]\nengine = archive\nremote_url = {root}/archives/{name}.tar.gz\n',
        ...Object.fromEntries(
          Object.values(LEFTOVERS).map((path) => [path, 'secret data of a killed run\n']),
        ),
      });
      chmodSync(dump, 0o755);
      for (const path of Object.values(LEFTOVERS)) chmodSync(box.path(path), 0o644);
      const args = ['-C', box.path('config'), '--set', `root=${box.root}`];
      let run: { code: number | null; stderr: string };
      if (backend === 'apply') run = runCli(['backup', ...args]);
      else {
        writeFileSync(box.path('backup.sh'), runCli(['plan', ...args]).stdout);
        const script = spawnSync('bash', [box.path('backup.sh')], { encoding: 'utf8' });
        run = { code: script.status, stderr: script.stderr };
      }
      expect(run.code, run.stderr).toBe(0);

      const published = {
        dump: box.path('collect/backups/orders.sql'),
        state: box.path('collect/metadata/collect_point/shop.json'),
        archive: box.path('archives/shop.tar.gz'),
      };
      const modes = Object.fromEntries(
        Object.entries(published).map(([what, path]) => [what, (statSync(path).mode & 0o777).toString(8)]),
      );
      expect(modes).toEqual({ dump: '600', state: '600', archive: '600' });
      expect(readFileSync(published.dump, 'utf8')).toBe('-- dump of orders\n-- Dump completed\n');
      expect(readFileSync(published.state, 'utf8')).not.toContain('killed run');
      const listed = spawnSync('tar', ['-t', '-z', '-f', published.archive], { encoding: 'utf8' });
      expect(listed.stdout.split('\n')).toContain('./orders.sql');
      expect([...partials(box.path('collect')), ...partials(box.path('archives'))]).toEqual([]);
    });
  },
);
