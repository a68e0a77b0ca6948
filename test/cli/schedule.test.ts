import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Frequency, lastAnchor, parseFrequency } from '../../src/options/frequency.js';
import { runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('systemd-analyze', 'flock', 'rsync', 'bash', 'sh');
const SNAPSHOTS = new URL('../../snapshots/schedule/', import.meta.url).pathname;

/** Every frequency form, a monthly day past the 28th, and a name that both formats must quote. */
const CONFIG: Record<string, string> = {
  'fast.collect': 'frequency = 900',
  'hourly.collect': 'frequency = hourly',
  'nightly.collect': 'frequency = daily:3',
  'web.collect': 'frequency = daily:3\ncollect_point_tags = web',
  'month-end.collect': 'frequency = monthly:31',
  'mirror.backup': 'frequency = daily:3',
  'offsite.backup': 'frequency = weekly:6\nincluded_collect_point_tags = web',
  'ledger.backup': 'frequency = monthly:30',
  'odd $name%.backup': 'frequency = 7200',
};

/** The frequency each timer was made for: systemd's calendar must fire exactly when it is due. */
const TIMERS: Record<string, string> = {
  'polyarchiv-hourly.timer': 'hourly',
  'polyarchiv-daily-03.timer': 'daily:3',
  'polyarchiv-weekly-sun.timer': 'weekly:6',
  'polyarchiv-monthly-30.timer': 'monthly:30',
  'polyarchiv-monthly-31.timer': 'monthly:31',
};

function writeConfig(box: Sandbox, files: Record<string, string>): void {
  const point = (file: string, extra: string) =>
    file.endsWith('.collect')
      ? `[point]\nengine = files\nlocal_path = {root}/collect/{name}\n${extra}\n\n[source "data"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = data\n`
      : `[point]\nengine = synchronize\nremote_url = {root}/mirror/${file.replace(/\W/g, '')}/{name}\n${extra}\n`;
  box.write(
    Object.fromEntries(Object.entries(files).map(([file, extra]) => [`config/${file}`, point(file, extra)])),
  );
}

/** The UTC times systemd-analyze calendar prints for an expression. */
function elapses(expression: string): Date[] {
  const result = spawnSync('systemd-analyze', ['calendar', '--iterations=6', expression], {
    encoding: 'utf8',
  });
  expect(result.status, result.stderr).toBe(0);
  const times = [...result.stdout.matchAll(/: \w{3} (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) UTC$/gm)].map(
    (m) => new Date(`${m[1]}T${m[2]}Z`),
  );
  expect(times.length).toBe(6);
  return times;
}

describe.runIf(canRun)('schedule', () => {
  let box: Sandbox;
  let args: string[];
  beforeEach(() => {
    box = makeSandbox('polyarchiv-schedule-');
    writeConfig(box, CONFIG);
    box.write({ 'data/a.txt': 'a\n' });
    mkdirSync(box.path('units'));
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
  });
  afterEach(() => box.remove());

  // The sandbox's paths: the snapshots show where a site keeps its configuration and data.
  const stable = (text: string) =>
    text.replaceAll(box.path('config'), '/etc/polyarchiv').replaceAll(box.root, '/srv');
  const fixed = ['--polyarchiv', '/usr/bin/polyarchiv', '--randomized-delay', '30min'];

  it('writes one service and one timer per frequency, byte-stable, as the snapshots show', async () => {
    const run = runCli(['schedule', ...args, ...fixed, '--systemd', box.path('units')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const names = readdirSync(box.path('units')).sort();
    expect(names).toEqual(
      ['every-900s', 'every-7200s', 'hourly', 'daily-03', 'weekly-sun', 'monthly-30', 'monthly-31']
        .flatMap((slug) => [`polyarchiv-${slug}.service`, `polyarchiv-${slug}.timer`])
        .sort(),
    );
    const first = names.map((name) => readFileSync(box.path('units', name), 'utf8'));
    for (const [i, name] of names.entries())
      await expect(stable(first[i] as string)).toMatchFileSnapshot(`${SNAPSHOTS}${name}`);
    // Run again over its own files: the same bytes.
    expect(runCli(['schedule', ...args, ...fixed, '--systemd', box.path('units')]).code).toBe(0);
    expect(names.map((name) => readFileSync(box.path('units', name), 'utf8'))).toEqual(first);
    const cron = runCli(['schedule', ...args, ...fixed, '--cron']);
    expect(cron.code, cron.stderr).toBe(0);
    await expect(stable(cron.stdout)).toMatchFileSnapshot(`${SNAPSHOTS}polyarchiv.cron`);
    expect(runCli(['schedule', ...args, ...fixed, '--cron']).stdout).toBe(cron.stdout);
  });

  it('writes units that systemd-analyze verify accepts, and whose calendars fire when each point becomes due', () => {
    const run = runCli(['schedule', ...args, '--randomized-delay', '600', '--systemd', box.path('units')]);
    expect(run.code, run.stderr).toBe(0);
    const units = readdirSync(box.path('units')).map((name) => box.path('units', name));
    const verify = spawnSync('systemd-analyze', ['verify', ...units], { encoding: 'utf8' });
    expect(verify.stdout + verify.stderr).toBe('');
    expect(verify.status).toBe(0);
    for (const [timer, spec] of Object.entries(TIMERS)) {
      const frequency = parseFrequency(spec) as Frequency;
      const text = readFileSync(box.path('units', timer), 'utf8');
      const calendars = [...text.matchAll(/^OnCalendar=(.+)$/gm)].map((m) => m[1] as string);
      expect(calendars.length, timer).toBeGreaterThan(0);
      for (const expression of calendars)
        for (const time of elapses(expression))
          expect(lastAnchor(frequency, time)?.toISOString(), `${timer}: ${expression}`).toBe(
            time.toISOString(),
          );
    }
    const seconds = readFileSync(box.path('units/polyarchiv-every-900s.timer'), 'utf8');
    expect(seconds).toContain('OnUnitActiveSec=900s\n');
    expect(seconds).not.toContain('OnCalendar');
    // The same check refuses a broken calendar: it can fail.
    const broken = box.path('units/polyarchiv-hourly.timer');
    writeFileSync(broken, readFileSync(broken, 'utf8').replace('*-*-* *:00:00', '*-*-* 25:00:00'));
    expect(spawnSync('systemd-analyze', ['verify', broken], { encoding: 'utf8' }).status).not.toBe(0);
  });

  it('gives a service HOME, which systemd sets only for a unit with User=, and leaves it to User= when given', () => {
    const service = (dir: string) =>
      readFileSync(
        box.path(dir, readdirSync(box.path(dir)).find((f) => f.endsWith('.service')) as string),
        'utf8',
      );
    expect(runCli(['schedule', ...args, '--systemd', box.path('units')]).code).toBe(0);
    expect(service('units')).toMatch(/^Environment=HOME=%h$/m);
    mkdirSync(box.path('as-user'));
    expect(runCli(['schedule', ...args, '--user', 'backup', '--systemd', box.path('as-user')]).code).toBe(0);
    expect(service('as-user')).toMatch(/^User=backup$/m);
    expect(service('as-user')).not.toContain('HOME');
  });

  it('starts only the points of its frequency, through the command its service runs', () => {
    rmSync(box.path('config'), { recursive: true });
    writeConfig(box, {
      'nightly.collect': 'frequency = daily:3',
      'often.collect': 'frequency = hourly',
      'mirror.backup': 'frequency = weekly',
    });
    const name = `polyarchiv-test-${process.pid}`;
    const run = runCli(['schedule', ...args, '--name', name, '--systemd', box.path('units')]);
    expect(run.code, run.stderr).toBe(0);
    const execStart = (slug: string) => {
      const text = readFileSync(box.path('units', `${name}-${slug}.service`), 'utf8');
      return (/^ExecStart=(.+)$/m.exec(text)?.[1] ?? '').split(' ');
    };
    const state = (file: string) => existsSync(box.path('collect', file));
    try {
      const [tool, ...rest] = execStart('hourly');
      expect(rest.slice(1, 3)).toEqual([process.execPath, join(process.cwd(), 'dist/cli/main.js')]);
      const hourly = spawnSync(tool as string, rest, {
        encoding: 'utf8',
        env: { ...process.env, TZ: 'Europe/Paris' },
      });
      expect(hourly.status, hourly.stderr).toBe(0);
      expect(state('often/metadata/collect_point/often.json')).toBe(true);
      expect(state('nightly/metadata/collect_point/nightly.json')).toBe(false);
      const [tool2, ...rest2] = execStart('weekly-mon');
      expect(rest2.slice(-2)).toEqual(['--skip-collect', '--only-backup-points=mirror']);
      // The weekly backup point sends what the collect points hold and collects nothing: the
      // hourly point's copy arrives, the daily point (not collected yet) has nothing to send.
      const weekly = spawnSync(tool2 as string, rest2, { encoding: 'utf8' });
      expect(weekly.status).toBe(1);
      expect(weekly.stderr).toMatch(/failed +backup:mirror\/nightly/);
      expect(readFileSync(box.path('mirror/mirrorbackup/often/data/a.txt'), 'utf8')).toBe('a\n');
      expect(state('nightly/metadata/collect_point/nightly.json')).toBe(false);
    } finally {
      rmSync(`/run/lock/${name}.lock`, { force: true });
    }
  });

  it('refuses to replace a file it did not write, and writes nothing then', () => {
    box.write({ 'units/polyarchiv-hourly.timer': '[Timer]\nOnCalendar=hourly\n' });
    const result = runCli(['schedule', ...args, '--systemd', box.path('units')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `error: ${box.path('units/polyarchiv-hourly.timer')}: not written by polyarchiv schedule (no '# Generated by polyarchiv schedule' first line); nothing was written: move it away or choose another --name\n`,
    );
    expect(readdirSync(box.path('units'))).toEqual(['polyarchiv-hourly.timer']);
    expect(readFileSync(box.path('units/polyarchiv-hourly.timer'), 'utf8')).toBe(
      '[Timer]\nOnCalendar=hourly\n',
    );
  });

  it('warns about units it wrote earlier for a frequency no point has now', () => {
    expect(runCli(['schedule', ...args, '--systemd', box.path('units')]).code).toBe(0);
    rmSync(box.path('config/fast.collect'));
    const again = runCli(['schedule', ...args, '-q', '--systemd', box.path('units')]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('');
    expect(again.stderr).toContain(
      `warning: ${box.path('units/polyarchiv-every-900s.service')} was written by an earlier polyarchiv schedule and no point has its frequency now: disable and remove it\n`,
    );
  });

  it.each([
    [['--cron', '--systemd', 'units'], /^error: schedule: give either --systemd DIR/],
    [[], /^error: schedule: give either --systemd DIR/],
    [['--systemd', 'config/fast.collect'], /^error: --systemd .*fast\.collect: not a directory/],
    [['--cron', '--randomized-delay', '5 days'], /^error: --randomized-delay '5 days': expected seconds/],
    [['--cron', '--nice', '20'], /^error: --nice '20': expected a whole number from -20 to 19/],
    [['--cron', '--name', 'a b'], /^error: --name 'a b': expected letters/],
    [
      ['--cron', '--polyarchiv', 'polyarchiv'],
      /^error: --polyarchiv 'polyarchiv': expected an absolute path/,
    ],
  ])('refuses %j with exit 2', (more, message) => {
    const result = spawnSync(
      process.execPath,
      [join(process.cwd(), 'dist/cli/main.js'), 'schedule', ...args, ...more],
      { cwd: box.root, encoding: 'utf8' },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('refuses --set of a variable a secret is made of: unit files and command lines are readable by every user', () => {
    box.write({
      'config/db.collect':
        '[point]\nengine = files\nlocal_path = {root}/collect/{name}\nfrequency = daily\n\n[source "db"]\nengine = mysql\ndatabase = shop\nuser = backup\npassword = {dbpw}\n',
    });
    const units = box.path('secret-units');
    mkdirSync(units);
    for (const how of [['--cron'], ['--systemd', units]]) {
      const result = runCli(['schedule', ...args, '--set', 'dbpw=hunter2-secret', ...how]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        'error: --set dbpw=...: a secret is made of this variable, and schedule would write its value into files every user can read and into the command line of every run',
      );
      expect(result.stdout + result.stderr).not.toContain('hunter2-secret');
      expect(readdirSync(units)).toEqual([]);
    }
    // A variable no secret is made of is passed on as before.
    rmSync(box.path('config/db.collect'));
    const plain = runCli(['schedule', ...args, '--set', 'site=web', '--cron']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toContain("--set 'site=web'");
  });

  it('refuses a point without a frequency, naming its file', () => {
    box.write({
      'config/every-run.collect': '[point]\nengine = files\nlocal_path = {root}/collect/{name}\n',
    });
    const result = runCli(['schedule', ...args, '--cron']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^error: collect point 'every-run' has no frequency \(it runs with every backup\): a schedule needs one, such as frequency = daily:3, .*\n {2}at .*every-run\.collect/m,
    );
    expect(result.stdout).toBe('');
  });

  it('refuses a point whose frequency says always, naming that line', () => {
    box.write({
      'config/every-run.collect':
        '[point]\nengine = files\nlocal_path = {root}/collect/{name}\nfrequency = always\n',
    });
    const result = runCli(['schedule', ...args, '--cron']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^error: collect point 'every-run' has frequency = always \(it runs with every backup\): a schedule needs one, .*\n {2}at .*every-run\.collect:4 \[point\]/m,
    );
    expect(result.stdout).toBe('');
  });
});
