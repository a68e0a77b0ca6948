import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { formatTimestamp } from '../../src/state/point-state.js';
import { CLI, runCli } from '../helpers/cli.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum', 'faketime');

interface Setup {
  readonly box: Sandbox;
  readonly args: string[];
  readonly state: string;
  readonly pairState: string;
}

function setUp(frequency: string, extraGlobal = ''): Setup {
  const box = makeSandbox('polyarchiv-time-');
  box.write({
    'config/site.collect': `[point]\nengine = files\nlocal_path = {root}/collect\nfrequency = ${frequency}\n\n[source "data"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = data\n`,
    'config/mirror.backup': `[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\nfrequency = ${frequency}\n`,
    'data/a.txt': 'a\n',
    ...(extraGlobal === '' ? {} : { 'config/tools.global': `[global]\n${extraGlobal}\n` }),
  });
  return {
    box,
    args: ['-C', box.path('config'), '--set', `root=${box.root}`],
    state: box.path('collect/metadata/collect_point/site.json'),
    pairState: box.path('collect/metadata/remote-mirror/remote/mirror.json'),
  };
}

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
const env = { ...process.env, TZ: 'Europe/Paris' };

/** Runs `backup` (apply), or the script rendered right before, from `start` on a faked clock. */
function runFrom(start: string | undefined, t: Setup, backend: 'apply' | 'script', extraEnv = {}) {
  const script = t.box.path('backup.sh');
  if (backend === 'script') {
    // A script decides what is due when it is rendered: on the same clock as its run.
    const [planner, ...planArgs] = [
      ...(start === undefined ? [] : fakeClock(start)),
      process.execPath,
      CLI,
      'plan',
      ...t.args,
    ];
    writeFileSync(script, spawnSync(planner as string, planArgs, { encoding: 'utf8', env }).stdout);
  }
  const [program, ...args] = [
    ...(start === undefined ? [] : fakeClock(start)),
    ...(backend === 'apply' ? [process.execPath, CLI, 'backup', ...t.args] : ['bash', script]),
  ];
  return spawnSync(program as string, args, { encoding: 'utf8', env: { ...env, ...extraEnv } });
}

describe.runIf(canRun).each(['apply', 'script'] as const)('time and state through %s', (backend) => {
  let box: Sandbox | undefined;
  afterEach(() => box?.remove());

  it('dates a success when its run started, so a nightly run that ends after midnight is due the next night', () => {
    // The first rsync sleeps 10 seconds: the run starts before midnight and records after it.
    const t = setUp('daily');
    box = t.box;
    const slow = t.box.path('slow-rsync');
    writeFileSync(
      slow,
      `#!/bin/sh\nif [ ! -e '${t.box.path('slept')}' ]; then touch '${t.box.path('slept')}'; sleep 10; fi\nexec rsync "$@"\n`,
    );
    chmodSync(slow, 0o755);
    t.box.write({ 'config/tools.global': `[global]\nrsync_executable = ${slow}\n` });
    const run = runFrom('2026-11-28T23:59:50+01:00', t, backend);
    expect(run.status, run.stderr).toBe(0);
    for (const file of [t.state, t.pairState]) {
      expect(readJson(file).last_success).toMatch(/^2026-11-28T23:59:\d\d/);
    }
    const nextNight = runCli(['plan', '--format', 'text', ...t.args, '--now', '2026-11-29T23:59:30+01:00']);
    expect(nextNight.stdout).toContain('+ collect point site');
    expect(nextNight.stdout).toContain('+ backup point mirror');
  });

  it('runs on the real clock when SOURCE_DATE_EPOCH is exported', () => {
    const t = setUp('daily');
    box = t.box;
    const yesterday = new Date(Date.now() - 86_400_000);
    const stamp = formatTimestamp(yesterday);
    t.box.write({
      'collect/metadata/collect_point/site.json': `{"last_state_valid":true,"success_count":1,"last_success":"${stamp}"}`,
    });
    const run = runFrom(undefined, t, backend, { SOURCE_DATE_EPOCH: '1700000000' });
    expect(run.status, run.stderr).toBe(0);
    const year = String(new Date().getFullYear());
    expect(readJson(t.state).success_count).toBe(2);
    expect(readJson(t.state).last_success.slice(0, 4)).toBe(year);
    expect(readJson(t.state).variables.Y).toBe(year);
    expect(readJson(t.pairState).last_success.slice(0, 4)).toBe(year);
  });
  it('keeps a corrupt state file aside, says so with its path, and starts a new history', () => {
    const t = setUp('daily');
    box = t.box;
    t.box.write({ 'collect/metadata/collect_point/site.json': '{"last_state_valid": true, "success_co' });
    const warning = `warning: state file ${t.state} is corrupt (not valid JSON): the point is treated as never run, and its next run keeps the file as ${t.state}.corrupt-TIMESTAMP`;
    const plan = runCli(['plan', '--format', 'text', ...t.args]);
    expect(plan.stderr).toContain(warning);
    const run = runFrom('2026-11-28T03:00:00+01:00', t, backend);
    expect(run.status, run.stderr).toBe(0);
    if (backend === 'apply') expect(run.stderr).toContain(warning);
    else expect(readFileSync(t.box.path('backup.sh'), 'utf8')).toContain(`#   ${warning}`);
    expect(readJson(t.state).success_count).toBe(1);
    const aside = readdirSync(t.box.path('collect/metadata/collect_point')).filter((f) =>
      f.includes('.corrupt-'),
    );
    expect(aside).toHaveLength(1);
    // Named on the clock of the run that set it aside: from its start, however slow the machine.
    const stamp = /^site\.json\.corrupt-(\d{8}T\d{6})$/.exec(aside[0] as string)?.[1] as string;
    expect(stamp >= '20261128T030000' && stamp < '20261128T031000', stamp).toBe(true);
    expect(readFileSync(t.box.path('collect/metadata/collect_point', aside[0] as string), 'utf8')).toBe(
      '{"last_state_valid": true, "success_co',
    );
  });

  it('runs a point whose last success is in the future, and warns', () => {
    const t = setUp('daily');
    box = t.box;
    const future = '2099-01-01T03:00:00+01:00';
    t.box.write({
      'collect/metadata/collect_point/site.json': `{"last_state_valid":true,"success_count":3,"last_success":"${future}"}`,
    });
    const warning = `warning: the last success of collect point site is in the future (${future}): a clock was wrong when it was recorded; it is treated as due`;
    const run = runFrom(undefined, t, backend);
    expect(run.status, run.stderr).toBe(0);
    if (backend === 'apply') expect(run.stderr).toContain(warning);
    else expect(readFileSync(t.box.path('backup.sh'), 'utf8')).toContain(`#   ${warning}`);
    expect(readJson(t.state).success_count).toBe(4);
    expect(readJson(t.state).last_success.slice(0, 4)).toBe(String(new Date().getFullYear()));
  });
});

describe.runIf(canRun).each(['apply', 'script'] as const)('the clock of a run through %s', (backend) => {
  let box: Sandbox | undefined;
  afterEach(() => box?.remove());

  it('dates a failure on the clock when it is recorded, and check judges it on its own clock', () => {
    const t = setUp('daily');
    box = t.box;
    // The source's rsync fails after a few seconds; the mirror never runs.
    const failing = t.box.path('failing-rsync');
    writeFileSync(failing, '#!/bin/sh\ncase " $* " in *" -n "*) exec rsync "$@";; esac\nsleep 3\nexit 23\n');
    chmodSync(failing, 0o755);
    const good = '{"last_state_valid":true,"success_count":2,"last_success":"2026-11-26T03:00:00+01:00"}';
    t.box.write({
      'config/tools.global': `[global]\nrsync_executable = ${failing}\n`,
      'collect/metadata/collect_point/site.json': good,
    });
    const run = runFrom('2026-11-28T03:00:00+01:00', t, backend);
    expect(run.status, run.stderr).toBe(1);
    const state = readJson(t.state);
    expect(state.last_success).toBe('2026-11-26T03:00:00+01:00');
    expect(state.last_state_valid).toBe(false);
    // Recorded after the failing step, on the faked clock: not the plan's time, not today.
    // The failing step sleeps 3 seconds, so the failure is at least 3 seconds into the run.
    expect(state.last_fail).toMatch(/^2026-11-28T03:\d\d:\d\d$/);
    expect(
      state.last_fail >= '2026-11-28T03:00:03' && state.last_fail < '2026-11-28T03:10:00',
      state.last_fail,
    ).toBe(true);
    const check = spawnSync(
      fakeClock('2026-11-28T03:30:00+01:00')[0] as string,
      [
        ...fakeClock('2026-11-28T03:30:00+01:00').slice(1),
        process.execPath,
        CLI,
        'check',
        '--nrpe',
        ...t.args,
      ],
      { encoding: 'utf8', env },
    );
    expect(check.stdout).toMatch(/^CRITICAL - the last backup of site has failed: /);
  });

  it('judges freshness on the clock of check itself', () => {
    const t = setUp('daily');
    box = t.box;
    const state = '{"last_state_valid":true,"success_count":1,"last_success":"2026-11-27T03:00:00+01:00"}';
    t.box.write({
      'collect/metadata/collect_point/site.json': state,
      'collect/metadata/remote-mirror/remote/mirror.json': state,
    });
    const checkAt = (start: string) => {
      const [program, ...args] = [...fakeClock(start), process.execPath, CLI, 'check', '--nrpe', ...t.args];
      return spawnSync(program as string, args, { encoding: 'utf8', env }).stdout;
    };
    expect(checkAt('2026-11-28T02:00:00+01:00')).toBe('OK - everything is valid\n');
    expect(checkAt('2026-11-29T12:00:00+01:00')).toMatch(/^WARNING - the last backup of site is out of date/);
    expect(checkAt('2026-11-26T12:00:00+01:00')).toMatch(
      /^WARNING - the last success of site is in the future/,
    );
    // The same state, judged by a run on the faked clock: not due on the 27th's evening.
    const evening = runFrom('2026-11-27T20:00:00+01:00', t, backend);
    expect(evening.status, evening.stderr).toBe(0);
    expect(readJson(t.state).success_count).toBe(1);
  });
});

describe.runIf(canRun)('check and config judge state files', () => {
  let box: Sandbox | undefined;
  afterEach(() => box?.remove());

  it.each([
    ['corrupt', '{"last_success": 2026', 'is corrupt (not valid JSON)'],
    ['empty', '', 'is corrupt (empty)'],
  ])('report a %s state file as UNKNOWN with its path', (_, content, what) => {
    const t = setUp('daily');
    box = t.box;
    t.box.write({ 'collect/metadata/collect_point/site.json': content });
    mkdirSync(t.pairState, { recursive: true });
    const check = runCli(['check', '--nrpe', ...t.args]);
    expect(check.stdout).toBe(
      `UNKNOWN - cannot judge site: state file ${t.state} ${what}, cannot judge site:mirror: cannot read state file ${t.pairState} (is a directory)\n`,
    );
    expect(check.code).toBe(3);
    const config = runCli(['config', ...t.args]);
    expect(config.stdout).toContain(`daily, state file ${t.state} ${what}, due now`);
    expect(config.stdout).toContain(`cannot read state file ${t.pairState} (is a directory)`);
  });

  it('warn about a last success in the future', () => {
    const t = setUp('daily');
    box = t.box;
    const state = '{"last_state_valid":true,"success_count":1,"last_success":"2026-03-10T03:00:00+01:00"}';
    t.box.write({
      'collect/metadata/collect_point/site.json': state,
      'collect/metadata/remote-mirror/remote/mirror.json': state,
    });
    const check = runCli(['check', '--nrpe', ...t.args, '--now', '2026-03-09T12:00:00+01:00']);
    expect(check.stdout).toBe(
      'WARNING - the last success of site is in the future (2026-03-10T03:00:00+01:00): a clock was wrong when it was recorded; it is treated as due, the last success of site:mirror is in the future (2026-03-10T03:00:00+01:00): a clock was wrong when it was recorded; it is treated as due\n',
    );
    expect(check.code).toBe(1);
    const config = runCli(['config', ...t.args, '--now', '2026-03-09T12:00:00+01:00']);
    expect(config.stdout).toContain(
      'daily, last success 2026-03-10T03:00:00+01:00 (in the future: a clock was wrong), due now',
    );
  });

  it.each([
    ['hourly', '2026-03-10T11:59:59+01:00', '2026-03-10T12:00:00+01:00'],
    ['3600', '2026-03-10T12:06:59+01:00', '2026-03-10T12:07:00+01:00'],
  ])('warn about %s one whole period after it became due', (frequency, stillOk, late) => {
    const t = setUp(frequency);
    box = t.box;
    const state = '{"last_state_valid":true,"success_count":1,"last_success":"2026-03-10T10:10:00+01:00"}';
    t.box.write({
      'collect/metadata/collect_point/site.json': state,
      'collect/metadata/remote-mirror/remote/mirror.json': state,
    });
    const check = (now: string) => runCli(['check', '--nrpe', ...t.args, '--now', now]);
    for (const due of ['2026-03-10T11:30:00+01:00', stillOk]) {
      expect(check(due).stdout, due).toBe('OK - everything is valid\n');
    }
    expect(check(late).stdout).toBe(
      'WARNING - the last backup of site is out of date: 2026-03-10T10:10:00+01:00, the last backup of site:mirror is out of date: 2026-03-10T10:10:00+01:00\n',
    );
  });

  it('ignore an exported SOURCE_DATE_EPOCH', () => {
    const t = setUp('daily');
    box = t.box;
    const stamp = formatTimestamp(new Date(Date.now() - 3 * 86_400_000));
    const state = `{"last_state_valid":true,"success_count":1,"last_success":"${stamp}"}`;
    t.box.write({
      'collect/metadata/collect_point/site.json': state,
      'collect/metadata/remote-mirror/remote/mirror.json': state,
    });
    const check = runCli(['check', '--nrpe', ...t.args], { SOURCE_DATE_EPOCH: '1700000000' });
    expect(check.stdout).toBe(
      `WARNING - the last backup of site is out of date: ${stamp}, the last backup of site:mirror is out of date: ${stamp}\n`,
    );
    expect(check.code).toBe(1);
    const config = runCli(['config', ...t.args], { SOURCE_DATE_EPOCH: '1700000000' });
    expect(config.stdout).toContain(`daily, last success ${stamp}, due now`);
  });
});
