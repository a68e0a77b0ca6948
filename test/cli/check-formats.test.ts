import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'promtool');

/** A name the exposition format must escape: a double quote and a backslash. */
const ODD = 'q"uo\\te';
const FIRST_RUN = '2026-11-28T03:30:00+01:00';
const LATER = '2026-11-28T12:30:00+01:00';

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/**
 * A strict reader of the text exposition format as node_exporter's textfile collector takes it:
 * every sample's family has its HELP then TYPE line first, a family's samples are contiguous,
 * label values use only the format's escapes, and no sample has a timestamp.
 */
function parseExposition(text: string): Sample[] {
  expect(text.endsWith('\n')).toBe(true);
  const samples: Sample[] = [];
  const seen = new Set<string>();
  let help: string | undefined;
  let type: string | undefined;
  for (const line of text.slice(0, -1).split('\n')) {
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (comment !== null) {
      const [, kind, name, rest] = comment as unknown as [string, string, string, string];
      if (kind === 'HELP') {
        expect(seen.has(name), `family ${name} appears twice`).toBe(false);
        seen.add(name);
        help = name;
        type = undefined;
      } else {
        expect(help, `TYPE of ${name} without its HELP`).toBe(name);
        expect(['gauge', 'counter']).toContain(rest);
        type = name;
      }
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?\d+(?:\.\d+)?)$/.exec(line);
    expect(sample, `not a sample line: ${line}`).not.toBeNull();
    const [, name, body, value] = sample as unknown as [string, string, string | undefined, string];
    expect(type, `sample ${name} outside its family`).toBe(name);
    const labels: Record<string, string> = {};
    const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
    let rest = body ?? '';
    while (rest !== '') {
      labelPattern.lastIndex = 0;
      const label = labelPattern.exec(rest);
      expect(label, `bad labels in: ${line}`).not.toBeNull();
      const [whole, key, escaped] = label as unknown as [string, string, string];
      labels[key] = escaped.replace(/\\([\\"n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
      rest = rest.slice(whole.length);
    }
    samples.push({ name, labels, value: Number(value) });
  }
  return samples;
}

describe.runIf(canRun)('check --format json and --format prometheus', () => {
  let box: Sandbox;
  let args: string[];
  const stateOfMirror = () => box.path('collect/metadata/remote-mirror/remote/mirror.json');
  const check = (...more: string[]) => runCli(['check', ...args, ...more]);

  beforeEach(() => {
    box = makeSandbox('polyarchiv-check-');
    box.write({
      'config/site.collect':
        '[point]\nengine = files\nlocal_path = {root}/collect\nfrequency = daily\n\n[source "data"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = data\n',
      [`config/${ODD}.collect`]:
        '[point]\nengine = files\nlocal_path = {root}/never\nfrequency = hourly\n\n[source "data"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = data\n',
      'config/mirror.backup':
        '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\nfrequency = weekly\n',
      'data/a.txt': 'a\n',
    });
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
    // Real state files, written by a real run of one collect point; the other never ran.
    const run = runCli(['backup', ...args, '-q', '--now', FIRST_RUN, '--only-collect-points', 'site']);
    expect(run.code, run.stderr).toBe(0);
  });
  afterEach(() => box.remove());

  it('lists every point with its last success, next due time and size, never-run points included', () => {
    const result = check('--format', 'json', '--now', LATER);
    expect(result.code, result.stderr).toBe(2);
    const document = JSON.parse(result.stdout);
    const size = document.points[2].size;
    expect(size).toBeGreaterThan(2);
    const never = (backupPoint: string | null, frequency: string, file: string) => ({
      collectPoint: ODD,
      backupPoint,
      frequency,
      status: 'CRITICAL',
      message: `no successful backup of ${ODD}${backupPoint === null ? '' : `:${backupPoint}`}`,
      lastSuccess: null,
      lastFailure: null,
      lastMessage: null,
      nextDue: null,
      due: true,
      size: null,
      lastDuration: null,
      successCount: 0,
      failCount: 0,
      stateFile: box.path('never/metadata', file),
    });
    const fresh = (backupPoint: string | null, frequency: string, nextDue: string, file: string) => ({
      collectPoint: 'site',
      backupPoint,
      frequency,
      status: 'OK',
      message: null,
      lastSuccess: FIRST_RUN,
      lastFailure: null,
      lastMessage: 'ok',
      nextDue,
      due: false,
      size: backupPoint === null ? size : null,
      // Whole seconds the run took, measured by the run.
      lastDuration: expect.any(Number),
      successCount: 1,
      failCount: 0,
      stateFile: box.path('collect/metadata', file),
    });
    expect(document).toEqual({
      formatVersion: 1,
      checkedAt: LATER,
      status: 'CRITICAL',
      code: 2,
      // Configuration order: files sorted by name, each collect point followed by its pairs.
      points: [
        never(null, 'hourly', `collect_point/${ODD}.json`),
        never('mirror', 'weekly on Monday', 'remote-mirror/remote/mirror.json'),
        fresh(null, 'daily', '2026-11-29T00:00:00+01:00', 'collect_point/site.json'),
        fresh('mirror', 'weekly on Monday', '2026-11-30T00:00:00+01:00', 'remote-mirror/remote/mirror.json'),
      ],
    });
    expect(Object.keys(document.points[0])).toEqual(Object.keys(document.points[3]));
    // Stable bytes: the same state and time give the same output.
    expect(check('--format', 'json', '--now', LATER).stdout).toBe(result.stdout);
    // The exit codes of the text output: 0 fresh, 1 out of date.
    const fine = check('--format', 'json', '--now', LATER, '--only-collect-points', 'site');
    expect([fine.code, JSON.parse(fine.stdout).status]).toEqual([0, 'OK']);
    const late = check(
      '--format',
      'json',
      '--now',
      '2026-12-10T12:00:00+01:00',
      '--only-collect-points',
      'site',
    );
    expect(late.code).toBe(1);
    expect(
      JSON.parse(late.stdout).points.map((p: { status: string; due: boolean }) => [p.status, p.due]),
    ).toEqual([
      ['WARNING', true],
      ['WARNING', true],
    ]);
  });

  it('reports a failed run as CRITICAL and a corrupt state file as UNKNOWN', () => {
    rmSync(box.path('data'), { recursive: true });
    const failed = runCli([
      'backup',
      ...args,
      '-q',
      '--now',
      '2026-11-29T03:30:00+01:00',
      '--only-collect-points',
      'site',
    ]);
    expect(failed.code).toBe(1);
    writeFileSync(stateOfMirror(), '{"last_success": "2026-11-');
    const result = check(
      '--format',
      'json',
      '--now',
      '2026-11-29T12:00:00+01:00',
      '--only-collect-points',
      'site',
    );
    expect(result.code).toBe(2);
    const [site, mirror] = JSON.parse(result.stdout).points;
    expect(site).toMatchObject({
      status: 'CRITICAL',
      lastSuccess: FIRST_RUN,
      due: true,
      successCount: 1,
      failCount: 1,
    });
    expect(site.message).toMatch(/^the last backup of site has failed: .*exit code/);
    expect(site.lastMessage).toBe(site.message.slice('the last backup of site has failed: '.length));
    expect(site.lastFailure).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
    expect(mirror).toMatchObject({
      status: 'UNKNOWN',
      message: `cannot judge site:mirror: state file ${stateOfMirror()} is corrupt (not valid JSON)`,
      lastSuccess: null,
      nextDue: null,
      due: true,
      size: null,
    });
    // The Nagios line judges the same way.
    const nrpe = check('--nrpe', '--now', '2026-11-29T12:00:00+01:00', '--only-collect-points', 'site');
    expect(nrpe.stdout).toBe(`CRITICAL - ${site.message}, ${mirror.message}\n`);
  });

  it('writes a textfile that promtool accepts, with escaped labels, and exits 0 whatever the statuses', () => {
    writeFileSync(stateOfMirror(), '');
    const result = check('--format', 'prometheus', '--now', LATER);
    expect(result.code, result.stderr).toBe(0);
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: result.stdout, encoding: 'utf8' });
    expect(promtool.status, promtool.stdout + promtool.stderr).toBe(0);
    expect(promtool.stdout + promtool.stderr).toBe('');
    const samples = parseExposition(result.stdout);
    const value = (name: string, collectPoint?: string, backupPoint?: string) =>
      samples.find(
        (s) =>
          s.name === name && s.labels.collect_point === collectPoint && s.labels.backup_point === backupPoint,
      )?.value;
    const epoch = (iso: string) => new Date(iso).getTime() / 1000;
    expect(value('polyarchiv_check_timestamp_seconds')).toBe(epoch(LATER));
    expect(value('polyarchiv_check_status')).toBe(2);
    expect(value('polyarchiv_status', 'site')).toBe(0);
    expect(value('polyarchiv_status', 'site', 'mirror')).toBe(3);
    expect(value('polyarchiv_status', ODD)).toBe(2);
    expect(value('polyarchiv_status', ODD, 'mirror')).toBe(2);
    expect(value('polyarchiv_last_success_timestamp_seconds', 'site')).toBe(epoch(FIRST_RUN));
    expect(value('polyarchiv_next_due_timestamp_seconds', 'site')).toBe(epoch('2026-11-29T00:00:00+01:00'));
    expect(value('polyarchiv_size_bytes', 'site')).toBeGreaterThan(2);
    expect(value('polyarchiv_last_duration_seconds', 'site')).toBeGreaterThanOrEqual(0);
    expect(value('polyarchiv_successes_total', 'site')).toBe(1);
    expect(value('polyarchiv_failures_total', 'site')).toBe(0);
    // Nothing is made up for what a state does not tell: never run, corrupt, or not measured.
    expect(samples.filter((s) => s.labels.collect_point === ODD).map((s) => s.name)).toEqual([
      'polyarchiv_status',
      'polyarchiv_status',
      'polyarchiv_successes_total',
      'polyarchiv_successes_total',
      'polyarchiv_failures_total',
      'polyarchiv_failures_total',
    ]);
    expect(
      samples.filter((s) => s.labels.backup_point === 'mirror' && s.labels.collect_point === 'site'),
    ).toEqual([
      { name: 'polyarchiv_status', labels: { collect_point: 'site', backup_point: 'mirror' }, value: 3 },
    ]);
    expect(result.stdout).toContain(`polyarchiv_status{collect_point="q\\"uo\\\\te"} 2\n`);
    // --out replaces the file whole, readable by node_exporter.
    const out = box.path('polyarchiv.prom');
    writeFileSync(out, 'old\n', { mode: 0o600 });
    expect(check('--format', 'prometheus', '--now', LATER, '--out', out).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(result.stdout);
    expect(statSync(out).mode & 0o777).toBe(0o644);
  });

  it.each([
    [
      ['--format', 'json', '--nrpe'],
      /^error: --nrpe prints a Nagios status line: it does not go with --format json$/m,
    ],
    [['--out', 'x.json'], /^error: --out writes the json or prometheus format/m],
    [['--format', 'yaml'], /argument 'yaml' is invalid/],
    [
      ['--format', 'prometheus', '--out', '/nonexistent/dir/x.prom'],
      /cannot write --out .*: its directory does not exist/,
    ],
    [['--format', 'prometheus', '--only-collect-points', 'nope'], /^error: .*nope/m],
  ])('refuses %j with exit 2 and prints nothing on standard output', (more, message) => {
    const result = check(...more);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('writes nothing when the configuration cannot be loaded', () => {
    box.write({ 'config/broken.collect': '[point]\nengine = nope\n' });
    const out = box.path('polyarchiv.prom');
    writeFileSync(out, 'the previous metrics\n');
    for (const format of ['json', 'prometheus']) {
      const result = check('--format', format, '--out', out);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/broken\.collect:2/);
      expect(readFileSync(out, 'utf8')).toBe('the previous metrics\n');
    }
  });
});
