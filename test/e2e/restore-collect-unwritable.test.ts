import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { runAs } from '../helpers/service-targets.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';

/** A read-only or full file system is a tmpfs, which needs root: CI runs as root. */
const isRoot = process.getuid?.() === 0;
if (!isRoot && process.env.CI === 'true') throw new Error('CI=true: these tests mount a tmpfs');
const canRun = isRoot && haveTools('rsync', 'flock', 'bash', 'tar', 'gzip', 'mount', 'umount');

function sh(...argv: string[]): void {
  const run = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${argv.join(' ')}: ${run.stderr}`);
}

/**
 * A restore whose collect point (`local_path`) is on a file system it cannot write: the fetch
 * fails with the system's words, the same in apply and in the script, and the live data is left
 * as it was.
 */
describe.runIf(canRun)('a restore into a collect point it cannot write', () => {
  let box: Sandbox;
  let mounted = false;
  beforeEach(() => {
    box = makeSandbox('polyarchiv-unwritable-');
    box.write({
      'config/site.collect':
        '[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "tree"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = tree\n',
      'config/bp.backup': '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
      'data/page.txt': 'page\n',
    });
    box.write({ 'data/big.bin': randomBytes(256 * 1024).toString('base64') });
  });
  afterEach(() => {
    if (mounted) sh('umount', box.path('collect'));
    mounted = false;
    box.remove();
  });

  const args = () => ['-C', box.path('config'), '--set', `root=${box.root}`];

  /** The collect point lost, its directory now a tmpfs mounted with `options`. */
  function collectOn(options: string): void {
    sh('rm', '-rf', box.path('collect'));
    mkdirSync(box.path('collect'));
    sh('mount', '-t', 'tmpfs', '-o', options, 'tmpfs', box.path('collect'));
    mounted = true;
  }

  for (const how of ['apply', 'script'] as const) {
    it(`read-only: says so, as mkdir -p does (${how})`, () => {
      expect(runAs(box, how, 'backup', args()).code).toBe(0);
      const live = fileContents(box.path('data'));
      collectOn('ro,size=1m');
      const restore = runAs(box, how, 'restore', args());
      expect(restore.code).toBe(1);
      expect(restore.stderr).toContain(
        `fetch:bp/site: cannot create ${box.path('collect/site/metadata/collect_point')}: Read-only file system`,
      );
      expect(restore.stderr).toMatch(/skipped +restore:site/);
      expect(fileContents(box.path('data'))).toEqual(live);
    });

    it(`full: the fetch fails with the system's words and nothing live changes (${how})`, () => {
      expect(runAs(box, how, 'backup', args()).code).toBe(0);
      const live = fileContents(box.path('data'));
      collectOn('size=128k');
      const restore = runAs(box, how, 'restore', args());
      expect(restore.code).toBe(1);
      expect(restore.stderr).toContain('No space left on device');
      expect(restore.stderr).toMatch(/failed with exit code \d+: step \d+ of \d+ at bp\.backup:3 \[point\]/);
      expect(restore.stderr).toMatch(/skipped +restore:site/);
      expect(fileContents(box.path('data'))).toEqual(live);
    });
  }
});
