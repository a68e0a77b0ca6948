import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { haveOriginal, runOriginal } from '../helpers/original.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum') && haveOriginal();

/**
 * Migration both ways: the original PolyArchiv and polyarchiv take turns on one configuration
 * directory and the same collect point, state files and mirror. Each run must read what the other
 * wrote (its counters go on), find no lock left behind, and copy the data.
 */
describe.runIf(canRun)('migration between the original and polyarchiv', () => {
  let box: Sandbox;
  let config: string;
  let state: { collect: string; backup: string; lock: string };
  beforeEach(() => {
    box = makeSandbox('polyarchiv-migration-');
    // The original checks local_path before formatting variables, and wants it to exist.
    box.write({
      'config/site.collect': `[point]\nengine = files\nlocal_path = ${box.path('collect')}\nfrequency = daily\n\n[source "documents"]\nengine = local_files\nsource_path = ${box.path('data')}\ndestination_path = documents\n`,
      'config/mirror.backup': `[point]\nengine = synchronize\nremote_url = file://${box.path('mirror')}/{name}\n`,
      'data/a.txt': 'a\n',
    });
    mkdirSync(box.path('collect'));
    config = box.path('config');
    const metadata = box.path('collect/metadata');
    state = {
      collect: `${metadata}/collect_point/site.json`,
      backup: `${metadata}/remote-mirror/remote/mirror.json`,
      lock: `${metadata}/collect_point/lock`,
    };
  });
  afterEach(() => box.remove());

  const counts = () =>
    [state.collect, state.backup].map((file) => {
      const s = JSON.parse(readFileSync(file, 'utf8'));
      return [s.success_count, s.fail_count, s.last_state_valid];
    });
  const mirrored = () => fileContents(box.path('mirror/site/documents'));

  it('runs the original after apply, then apply after the original', () => {
    const first = runCli(['-C', config, 'backup']);
    expect(first.code, first.stderr).toBe(0);
    expect(existsSync(state.lock)).toBe(false);

    writeFileSync(box.path('data/b.txt'), 'b\n');
    const original = runOriginal(['-C', config, '--force', 'backup']);
    expect(original.code, original.stdout + original.stderr).toBe(0);
    expect(original.stdout).toContain('[OK] collect point site');
    expect(counts()).toEqual([
      [2, 0, true],
      [2, 0, true],
    ]);
    expect(mirrored()).toEqual(fileContents(box.path('data')));
    const check = runOriginal(['-C', config, 'check', '--nrpe']);
    expect(check.stdout.trim()).toBe('OK - everything is valid');
    expect(check.code).toBe(0);

    rmSync(box.path('data/a.txt'));
    const again = runCli(['-C', config, 'backup', '--force']);
    expect(again.code, again.stderr).toBe(0);
    expect(counts()).toEqual([
      [3, 0, true],
      [3, 0, true],
    ]);
    expect(mirrored()).toEqual(fileContents(box.path('data')));
    expect(runCli(['-C', config, 'check', '--nrpe']).stdout).toBe('OK - everything is valid\n');
    expect(existsSync(state.lock)).toBe(false);
  });

  it('runs the original after the script, then the script after the original', () => {
    const original = runOriginal(['-C', config, 'backup']);
    expect(original.code, original.stdout + original.stderr).toBe(0);

    writeFileSync(box.path('data/b.txt'), 'b\n');
    const plan = runCli(['plan', '-C', config, '--force']);
    expect(plan.code, plan.stderr).toBe(0);
    writeFileSync(box.path('backup.sh'), plan.stdout);
    const script = spawnSync('bash', [box.path('backup.sh')], { encoding: 'utf8' });
    expect(script.status, script.stderr).toBe(0);
    expect(existsSync(state.lock)).toBe(false);
    expect(counts()).toEqual([
      [2, 0, true],
      [2, 0, true],
    ]);
    expect(mirrored()).toEqual(fileContents(box.path('data')));

    // The original reads the times polyarchiv recorded: the daily collect point is not due again
    // today (its backup point, of frequency "always", runs).
    const fresh = runOriginal(['-C', config, '--verbosity', '2', 'backup']);
    expect(fresh.code, fresh.stdout + fresh.stderr).toBe(0);
    expect(fresh.stdout).toContain('is still valid. No backup to do.');
    expect(counts()).toEqual([
      [2, 0, true],
      [3, 0, true],
    ]);
    const forced = runOriginal(['-C', config, 'backup', '-f']);
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    expect(counts()).toEqual([
      [3, 0, true],
      [4, 0, true],
    ]);
  });
});
