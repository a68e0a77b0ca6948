import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum');

/** rsync behind a shim that first sleeps, so that the unit lasts at least that long. */
describe.runIf(canRun)('last_duration: how long the last run of a point took', () => {
  let box: Sandbox;
  let env: Record<string, string>;
  beforeEach(() => {
    box = makeSandbox('polyarchiv-duration-');
    box.write({
      'data/a.txt': 'a\n',
      'config/site.collect':
        '[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "data"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = data\n',
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
      'shim/rsync': '#!/bin/sh\nsleep 2\nexec /usr/bin/rsync "$@"\n',
    });
    chmodSync(box.path('shim/rsync'), 0o755);
    env = { PATH: `${box.path('shim')}:${process.env.PATH}` };
  });
  afterEach(() => box.remove());

  const args = () => ['-C', box.path('config'), '--set', `root=${box.root}`];
  const duration = (file: string) =>
    (JSON.parse(readFileSync(box.path(file), 'utf8')) as { last_duration: number }).last_duration;
  const collectState = 'collect/site/metadata/collect_point/site.json';

  it('is recorded in whole seconds by apply and by the script, and exported by check', () => {
    // --now pins the run's dates, not the measured duration.
    const apply = runCli(['backup', ...args(), '--now', '2026-03-01T03:00:00+01:00'], env);
    expect(apply.code, apply.stderr).toBe(0);
    expect(duration(collectState)).toBeGreaterThanOrEqual(2);
    const prometheus = runCli([
      'check',
      ...args(),
      '--format',
      'prometheus',
      '--now',
      '2026-03-01T04:00:00+01:00',
    ]);
    expect(prometheus.stdout).toMatch(/^polyarchiv_last_duration_seconds\{collect_point="site"\} [2-9]\d*$/m);

    const script = box.path('backup.sh');
    expect(runCli(['plan', ...args(), '--force', '--out', script]).code).toBe(0);
    const run = spawnSync('bash', [script], { encoding: 'utf8', env: { ...process.env, ...env } });
    expect(run.status, run.stderr).toBe(0);
    expect(duration(collectState)).toBeGreaterThanOrEqual(2);
  });
});
