import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, runCliAsync } from '../helpers/cli.js';
import { isLocked, waitFor } from '../helpers/run-control.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum');

function setUp(
  frequency: string,
  rsync?: string,
): { box: Sandbox; args: string[]; state: string; lock: string } {
  const box = makeSandbox('polyarchiv-sched-');
  box.write({
    'config/site.collect': `[point]\nengine = files\nlocal_path = {root}/collect\nfrequency = ${frequency}\n\n[source "data"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = data\n`,
    'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
    'data/a.txt': 'a\n',
    ...(rsync === undefined ? {} : { 'config/tools.global': `[global]\nrsync_executable = ${rsync}\n` }),
  });
  return {
    box,
    args: ['-C', box.path('config'), '--set', `root=${box.root}`],
    state: box.path('collect/metadata/collect_point/site.json'),
    lock: box.path('collect/metadata/collect_point/lock'),
  };
}

/** An rsync that first waits: long enough to kill or race a run while it holds the lock. */
function slowRsync(box: Sandbox, seconds: number): string {
  const path = box.path('slow-rsync');
  writeFileSync(path, `#!/bin/sh\nsleep ${seconds}\nexec rsync "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

/** Runs `run` once the lock file is held by another process. */
function waitForLock<T>(lock: string, run: () => T): T {
  for (let i = 0; i < 200 && !isLocked(lock); i++) spawnSync('sleep', ['0.05']);
  expect(isLocked(lock)).toBe(true);
  return run();
}

describe.runIf(canRun)('frequencies, --force and locks', () => {
  let box: Sandbox | undefined;
  afterEach(() => box?.remove());

  it('skips a second daily run the same day and --force runs it', () => {
    const t = setUp('daily');
    box = t.box;
    // The recorded time comes from the clock, so "later the same day" is a plan time pinned from it.
    expect(runCli(['backup', ...t.args]).code).toBe(0);
    const recorded = JSON.parse(readFileSync(t.state, 'utf8'));
    const sameDay = [
      '--now',
      recorded.last_success.replace(/T.*/, 'T23:59:00') + recorded.last_success.slice(19),
    ];
    const second = runCli(['backup', ...t.args, ...sameDay]);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(
      /not run: collect point site: not due: last success .*, frequency daily, next due/,
    );
    expect(JSON.parse(readFileSync(t.state, 'utf8')).success_count).toBe(1);
    const forced = runCli(['backup', '--force', ...t.args, ...sameDay]);
    expect(forced.code).toBe(0);
    expect(JSON.parse(readFileSync(t.state, 'utf8')).success_count).toBe(2);
  });

  it('runs again the next calendar day even a few seconds earlier than the last run', () => {
    const t = setUp('daily');
    box = t.box;
    t.box.write({
      'collect/metadata/collect_point/site.json':
        '{"last_state_valid":true,"success_count":1,"last_success":"2026-03-09T03:00:05+01:00"}',
    });
    const plan = runCli(['plan', '--format', 'text', ...t.args, '--now', '2026-03-10T03:00:00+01:00']);
    expect(plan.stdout).toContain('+ collect point site');
  });

  it('reads the original naive timestamps as local time', () => {
    const t = setUp('daily');
    box = t.box;
    t.box.write({
      'collect/metadata/collect_point/site.json':
        '{"last_state_valid":true,"success_count":1,"last_success":"2026-03-10T01:00:00"}',
    });
    const plan = runCli(['plan', '--format', 'text', ...t.args, '--now', '2026-03-10T23:00:00+01:00']);
    expect(plan.stdout).toContain('- collect point site: not due: last success 2026-03-10T01:00:00+01:00');
  });

  it.each(['apply', 'script'] as const)(
    'exits 1, not 75, when a unit failed beside one that found its lock busy (%s)',
    (how) => {
      const t = setUp('always');
      box = t.box;
      t.box.write({
        'config/broken.collect':
          '[point]\nengine = files\nlocal_path = {root}/broken\n\n[source "data"]\nengine = local_files\nsource_path = {root}/missing\ndestination_path = data\n',
      });
      expect(runCli(['backup', ...t.args, '--only-collect-points', 'site']).code).toBe(0);
      const run = (...only: string[]) => {
        const args = [...t.args, ...only];
        if (how === 'apply') return runCli(['backup', ...args]);
        writeFileSync(t.box.path('backup.sh'), runCli(['plan', ...args]).stdout);
        const script = spawnSync('bash', [t.box.path('backup.sh'), '--jobs', '2'], { encoding: 'utf8' });
        return { code: script.status ?? -1, stderr: script.stderr };
      };
      // Another run holds site's lock for as long as the flock below lives.
      const held = spawn('flock', [t.lock, 'sleep', '60'], { stdio: 'ignore' });
      try {
        const both = waitForLock(t.lock, () => run());
        expect(both.stderr).toContain('is locked by another run');
        expect(both.stderr).toMatch(
          /polyarchiv: collect:broken\n(.*\n)*polyarchiv: {3}failed with exit code 23/,
        );
        expect(both.code, both.stderr).toBe(1);
        const busyOnly = run('--only-collect-points', 'site');
        expect(busyOnly.code, busyOnly.stderr).toBe(75);
      } finally {
        held.kill('SIGKILL');
      }
    },
  );

  it('lets one of two concurrent runs proceed and reports the other as busy (75)', async () => {
    const t = setUp('always');
    box = t.box;
    const slow = slowRsync(t.box, 1);
    t.box.write({ 'config/tools.global': `[global]\nrsync_executable = ${slow}\n` });
    writeFileSync(t.box.path('backup.sh'), runCli(['plan', ...t.args]).stdout);
    const first = runCliAsync(['backup', ...t.args]);
    await waitFor(() => isLocked(t.lock), 'the first run to take the lock');
    const script = spawnSync('bash', [t.box.path('backup.sh')], { encoding: 'utf8' });
    const second = await runCliAsync(['backup', ...t.args]);
    const done = await first;
    expect(done.code, done.stderr).toBe(0);
    expect([script.status, second.code]).toContain(75);
    expect(script.stderr + second.stderr).toContain('is locked by another run');
    expect(fileContents(t.box.path('mirror/site/data'))).toEqual(fileContents(t.box.path('data')));
    const state = JSON.parse(readFileSync(t.state, 'utf8'));
    expect(state.last_state_valid).toBe(true);
  });

  it('takes the lock again when the file it locked was removed by a run ending meanwhile', () => {
    const t = setUp('always');
    box = t.box;
    const flockPath = spawnSync('sh', ['-c', 'command -v flock'], { encoding: 'utf8' }).stdout.trim();
    // A run ending between this run's open and its flock removes the file this run then locks.
    t.box.write({
      'shims/flock': `#!/bin/sh\nif [ ! -e "${t.box.path('raced')}" ]; then : > "${t.box.path('raced')}"; rm -f -- "${t.lock}"; fi\nexec ${flockPath} "$@"\n`,
      'watch-rsync': `#!/bin/sh\nif ${flockPath} --nonblock "${t.lock}" true; then echo free; else echo held; fi >> "${t.box.path('lock-seen')}"\nexec rsync "$@"\n`,
      'config/tools.global': `[global]\nrsync_executable = ${t.box.path('watch-rsync')}\n`,
    });
    chmodSync(t.box.path('shims/flock'), 0o755);
    chmodSync(t.box.path('watch-rsync'), 0o755);
    const env = { PATH: `${t.box.path('shims')}:${process.env.PATH}` };
    const runs = {
      apply: () => runCli(['apply', ...t.args], env),
      script: () => {
        writeFileSync(t.box.path('backup.sh'), runCli(['plan', ...t.args]).stdout);
        const run = spawnSync('bash', [t.box.path('backup.sh')], {
          encoding: 'utf8',
          env: { ...process.env, ...env },
        });
        return { code: run.status, stdout: run.stdout, stderr: run.stderr };
      },
    };
    for (const [backend, run] of Object.entries(runs)) {
      spawnSync('rm', ['-f', t.box.path('raced'), t.box.path('lock-seen')]);
      const result = run();
      expect(result.code, `${backend}: ${result.stderr}`).toBe(0);
      expect(readFileSync(t.box.path('raced'), 'utf8'), backend).toBe('');
      const seen = readFileSync(t.box.path('lock-seen'), 'utf8').trim().split('\n');
      expect(seen.length, backend).toBeGreaterThan(0);
      expect(new Set(seen), `${backend}: every tool ran under the lock of the path`).toEqual(
        new Set(['held']),
      );
    }
  });
});
