import { spawnSync } from 'node:child_process';
import {
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Policy } from '../../src/retention/retention.js';
import { runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';
import { referenceKept } from '../retention/reference.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum', 'tar', 'gzip', 'zstd');

const STATE = 'collect/site/metadata/remote-history/remote/history.json';
const POLICY: Policy = { last: 0, hourly: 0, daily: 3, weekly: 2, monthly: 2, yearly: 0 };

function configure(
  box: Sandbox,
  counts = 'hourly_count=0\ndaily_count=3\nweekly_count=2\nmonthly_count=2\nyearly_count=0\n',
) {
  box.write({
    'config/site.collect':
      '[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "www"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = www\n',
    'config/history.backup': `[point]\nengine = rolling_archive\nremote_url = {root}/archives/{name} {Y}-{m}-{d}_{H}-{M}.tar.zst\n${counts}`,
    'data/index.html': '<p>site</p>\n',
  });
}

/** One run, through apply or through the script `plan` renders, at a pinned time. */
function run(box: Sandbox, how: 'apply' | 'script', command: 'backup' | 'restore', extra: string[] = []) {
  const args = ['-C', box.path('config'), '--set', `root=${box.root}`, ...extra];
  // A restore replaces the live directory: there is no terminal to ask on.
  const yes = command === 'restore' ? ['--yes'] : [];
  if (how === 'apply') return runCli([command, ...yes, ...args]);
  const plan = runCli(['plan', ...(command === 'restore' ? ['--restore'] : []), ...args]);
  if (plan.code !== 0) return plan;
  writeFileSync(box.path('run.sh'), plan.stdout);
  const result = spawnSync('bash', [box.path('run.sh'), ...yes], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'Europe/Paris' },
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

const at = (day: string) => `2024-${day}T03:00:00+01:00`;

/**
 * Writes the day's files dated that day. rsync skips a file whose size and modification second
 * match its copy's: files rewritten within the second of the previous run would not be copied.
 */
function writeOnDay(box: Sandbox, files: Record<string, string>, day: string): void {
  box.write(files);
  const time = new Date(Date.parse(at(day)) - 3_600_000);
  for (const name of Object.keys(files)) utimesSync(box.path(name), time, time);
}
const nameOf = (day: string) => `site 2024-${day}_03-00.tar.zst`;
const archives = (box: Sandbox) =>
  existsSync(box.path('archives'))
    ? readdirSync(box.path('archives'))
        .filter((name) => !name.startsWith('.'))
        .sort()
    : [];
const recorded = (box: Sandbox): unknown => JSON.parse(readFileSync(box.path(STATE), 'utf8')).data;

/** The days of a run of daily backups at 03:00, from `first` (MM-DD) for `count` days of 2024. */
function days(first: string, count: number): string[] {
  const start = Date.parse(`2024-${first}T12:00:00Z`);
  return Array.from({ length: count }, (_, i) => new Date(start + i * 86_400_000).toISOString().slice(5, 10));
}

/**
 * What the series should hold after each run, by the set-based model applied to what survived the
 * runs before: each run adds its archive and deletes what no rule keeps.
 */
function modelAfterEachRun(runDays: readonly string[], policy: Policy): string[][] {
  let survivors: {
    id: string;
    instant: number;
    local: { year: number; month: number; day: number; hour: number };
  }[] = [];
  return runDays.map((day) => {
    const [month, date] = day.split('-').map(Number) as [number, number];
    survivors.push({
      id: nameOf(day),
      instant: Date.parse(at(day)),
      local: { year: 2024, month, day: date, hour: 3 },
    });
    const kept = referenceKept(survivors, policy);
    survivors = survivors.filter((a) => kept.has(a.id));
    return survivors.map((a) => a.id).sort();
  });
}

// Each test runs polyarchiv and its script many times: minutes on a loaded machine.
describe.runIf(canRun)('rolling_archive backup point, end to end', { timeout: 900_000 }, () => {
  let box: Sandbox;
  beforeEach(() => {
    box = makeSandbox('polyarchiv-rolling-');
  });
  afterEach(() => box.remove());

  // Across the leap day and a month's end: two weeks of daily runs.
  const RUN_DAYS = days('02-24', 14);

  it('keeps the calendar history over pinned days, the same through apply and through the script', {
    timeout: 900_000,
  }, () => {
    const expected = modelAfterEachRun(RUN_DAYS, POLICY);
    const sides = { apply: box, script: makeSandbox('polyarchiv-rolling-script-') };
    try {
      for (const side of Object.values(sides)) configure(side);
      for (const [i, day] of RUN_DAYS.entries()) {
        for (const [how, side] of Object.entries(sides) as ['apply' | 'script', Sandbox][]) {
          writeOnDay(side, { 'data/day.txt': `${day}\n` }, day);
          const result = run(side, how, 'backup', ['--now', at(day)]);
          expect(result.code, `${how} ${day}: ${result.stderr}`).toBe(0);
          expect(archives(side), `${how} ${day}`).toEqual(expected[i]);
        }
        const relative = (side: Sandbox) => JSON.stringify(recorded(side)).replaceAll(side.root, '<root>');
        expect(relative(sides.script)).toBe(relative(sides.apply));
      }
      // Hand-checked: days 03-08, 03-07, 03-06 (daily), 03-03 (week 9), 02-29 (February).
      expect(archives(box)).toEqual(['02-29', '03-03', '03-06', '03-07', '03-08'].map(nameOf));
      expect((recorded(box) as { archive: string }[]).map((e) => e.archive)).toEqual(
        ['02-29', '03-03', '03-06', '03-07', '03-08'].map((d) => box.path('archives', nameOf(d))),
      );
    } finally {
      sides.script.remove();
    }
  });

  it('plans each deletion with the rule that no longer keeps it, and each kept archive with its rules', () => {
    configure(box);
    for (const day of days('02-26', 10)) {
      const r = run(box, 'apply', 'backup', ['--now', at(day)]);
      expect(r.code, r.stderr).toBe(0);
    }
    const args = ['-C', box.path('config'), '--set', `root=${box.root}`, '--now', at('03-07')];
    const text = runCli(['plan', '--format', 'text', ...args]);
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.split('\n').map((l) => l.trim());
    const file = (day: string) => box.path('archives', nameOf(day));
    expect(lines).toContain(`keep ${file('03-07')}: daily 2024-03-07, weekly 2024-W10, monthly 2024-03`);
    expect(lines).toContain(`keep ${file('03-06')}: daily 2024-03-06`);
    expect(lines).toContain(`keep ${file('03-03')}: weekly 2024-W09`);
    expect(lines).toContain(`keep ${file('02-29')}: monthly 2024-02`);
    expect(lines).toContain(
      `delete ${file('03-04')}: no longer kept by daily: 2024-03-04 is past the 3 newest days`,
    );
    expect(lines).toContain(`$ rm -f -- '${file('03-04')}'`);
    const script = runCli(['plan', ...args]);
    expect(script.stdout).toContain(`# keep ${file('03-03')}: weekly 2024-W09\n`);
    expect(script.stdout).toContain(
      `# delete ${file('03-04')}: no longer kept by daily: 2024-03-04 is past the 3 newest days\n`,
    );
    expect(script.stdout).toContain(`rm -f -- '${file('03-04')}'\n`);
  });

  for (const how of ['apply', 'script'] as const) {
    it(`restores the latest archive, --at a time, and --from the point, byte for byte (${how})`, () => {
      configure(box);
      const contents: Record<string, Record<string, string>> = {};
      for (const day of days('03-01', 5)) {
        for (const name of readdirSync(box.path('data')).filter((n) => n.startsWith('only-')))
          rmSync(box.path('data', name));
        writeOnDay(box, { 'data/day.txt': `${day}\n`, [`data/only-${day}.txt`]: day }, day);
        expect(run(box, 'apply', 'backup', ['--now', at(day)]).code).toBe(0);
        contents[day] = fileContents(box.path('data'));
      }
      rmSync(box.path('data'), { recursive: true });
      rmSync(box.path('collect/site/backups/www'), { recursive: true });
      const latest = run(box, how, 'restore');
      expect(latest.code, latest.stderr).toBe(0);
      expect(fileContents(box.path('data'))).toEqual(contents['03-05']);

      // The newest archive not after the time: 03-03 at 03:00 for any time that day after it.
      const older = run(box, how, 'restore', ['--at', '2024-03-03T23:59:00+01:00', '--from', 'history']);
      expect(older.code, older.stderr).toBe(0);
      expect(fileContents(box.path('data'))).toEqual(contents['03-03']);
      expect(readFileSync(box.path('data/day.txt'), 'utf8')).toBe('03-03\n');

      const before = run(box, how, 'restore', ['--at', '2024-03-01T02:00:00+01:00']);
      expect(before.code).toBe(1);
      // The script names the collect point it cannot restore among the points it does not run.
      const said = how === 'script' ? readFileSync(box.path('run.sh'), 'utf8') : before.stderr;
      expect(said).toContain(
        'no state file records a copy made at or before 2024-03-01T02:00:00+01:00 of site on any of its backup points',
      );
      expect(readFileSync(box.path('data/day.txt'), 'utf8')).toBe('03-03\n');
    });
  }

  for (const how of ['apply', 'script'] as const) {
    it(`a damaged newest archive: the restore names it, changes nothing, and says the --at of the one before (${how})`, () => {
      configure(box);
      const contents: Record<string, Record<string, string>> = {};
      for (const day of days('03-01', 3)) {
        writeOnDay(box, { 'data/day.txt': `${day}\n` }, day);
        expect(run(box, 'apply', 'backup', ['--now', at(day)]).code).toBe(0);
        contents[day] = fileContents(box.path('data'));
      }
      box.write({ 'data/day.txt': 'later\n' });
      const live = fileContents(box.path('data'));
      const newest = box.path('archives', nameOf('03-03'));
      truncateSync(newest, 100);

      const failed = run(box, how, 'restore');
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain(
        `${newest} could not be extracted whole (the tools say why above: a damaged or cut archive, or no room to extract it): collect point "site" and the live data were not changed; the archive before it (${box.path('archives', nameOf('03-02'))}): run the restore again with --at 2024-03-02T02:00:00Z`,
      );
      expect(fileContents(box.path('data'))).toEqual(live);

      const before = run(box, how, 'restore', ['--at', '2024-03-02T02:00:00Z']);
      expect(before.code, before.stderr).toBe(0);
      expect(fileContents(box.path('data'))).toEqual(contents['03-02']);
    });
  }

  for (const how of ['apply', 'script'] as const) {
    it(`deletes nothing when the new archive fails, and the next run catches up (${how})`, () => {
      configure(box);
      for (const day of days('03-01', 4)) expect(run(box, how, 'backup', ['--now', at(day)]).code).toBe(0);
      const before = { names: archives(box), recorded: recorded(box) };
      // The plan of 03-05 deletes 03-02: the compressor fails first.
      box.write({
        'bad-zstd': '#!/bin/sh\ncat > /dev/null\nexit 3\n',
        'config/tools.global': `[global]\nzstd_executable = ${box.path('bad-zstd')}\n`,
      });
      spawnSync('chmod', ['+x', box.path('bad-zstd')]);
      const plan = runCli([
        'plan',
        '--format',
        'text',
        '-C',
        box.path('config'),
        '--set',
        `root=${box.root}`,
        '--now',
        at('03-05'),
      ]);
      expect(plan.stdout).toContain(`delete ${box.path('archives', nameOf('03-02'))}`);
      const failed = run(box, how, 'backup', ['--now', at('03-05')]);
      expect(failed.code).toBe(1);
      expect(archives(box)).toEqual(before.names);
      expect(recorded(box)).toEqual(before.recorded);
      // The failed archive's partial goes with its unit.
      expect(readdirSync(box.path('archives')).filter((n) => n.startsWith('.'))).toEqual([]);

      rmSync(box.path('config/tools.global'));
      const next = run(box, how, 'backup', ['--now', at('03-06')]);
      expect(next.code, next.stderr).toBe(0);
      expect(archives(box)).toEqual(['03-01', '03-03', '03-04', '03-06'].map(nameOf));
      expect(readdirSync(box.path('archives')).filter((n) => n.startsWith('.'))).toEqual([]);
    });
  }

  it('holds back a deletion of more than half of the series unless --allow-mass-delete', () => {
    configure(box, 'hourly_count=0\ndaily_count=-1\nweekly_count=0\nmonthly_count=0\nyearly_count=0\n');
    for (const day of days('03-01', 6)) expect(run(box, 'apply', 'backup', ['--now', at(day)]).code).toBe(0);
    expect(archives(box)).toHaveLength(6);
    configure(box, 'hourly_count=0\ndaily_count=2\nweekly_count=0\nmonthly_count=0\nyearly_count=0\n');
    const held = run(box, 'apply', 'backup', ['--now', at('03-07')]);
    expect(held.code, held.stderr).toBe(0);
    expect(held.stderr).toContain(
      'retention would delete 5 of 7 archives, more than half of the series; nothing is deleted (plan with --allow-mass-delete to delete them)',
    );
    expect(archives(box)).toHaveLength(7);
    expect(recorded(box)).toHaveLength(7);
    const allowed = run(box, 'script', 'backup', ['--now', at('03-08'), '--allow-mass-delete']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(archives(box)).toEqual(['03-07', '03-08'].map(nameOf));
    expect(recorded(box)).toHaveLength(2);
  });

  it('never deletes what it did not record: an archive copied in by hand stays', () => {
    configure(box, 'hourly_count=0\ndaily_count=1\nweekly_count=0\nmonthly_count=0\nyearly_count=0\n');
    expect(run(box, 'apply', 'backup', ['--now', at('03-01')]).code).toBe(0);
    box.write({ [`archives/${nameOf('02-01')}`]: 'not ours' });
    for (const day of days('03-02', 2)) expect(run(box, 'apply', 'backup', ['--now', at(day)]).code).toBe(0);
    expect(archives(box)).toEqual([nameOf('02-01'), nameOf('03-03')]);
  });
});
