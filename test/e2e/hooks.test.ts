import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CliResult, runCli } from '../helpers/cli.js';
import { type Sandbox, sandboxesPerTest } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum', 'timeout');
const BACKENDS = ['apply', 'script'] as const;
type Backend = (typeof BACKENDS)[number];

const newSandbox = sandboxesPerTest();

/** Appends `EVENT STATUS WORDS...` to {root}/hooks/FILE. */
const record = (file: string, words = '') =>
  `command = sh -c 'mkdir -p "$1" && printf "%s %s%s\\n" "$POLYARCHIV_HOOK_EVENT" "$POLYARCHIV_STATUS" "$2" >> "$1/${file}"' hook {root}/hooks "${words}"`;

function collectPoint(source: string, hooks: string): string {
  return `[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "data"]\nengine = local_files\nsource_path = ${source}\ndestination_path = data\n\n${hooks}`;
}

/** Collect point a succeeds, b fails (its source is missing); both are mirrored; hooks everywhere. */
function scenario(): { box: Sandbox; args: string[] } {
  const box = newSandbox('polyarchiv-hooks-');
  box.write({
    'data/f.txt': 'f\n',
    'config/a.collect': collectPoint(
      '{root}/data',
      [
        '[hook "keep"]',
        'engine = log',
        'events = after_backup',
        'path = {root}/logs/{name}.log',
        '',
        '[hook "broken"]',
        'engine = command',
        'events = backup_success',
        'command = sh -c "exit 3"',
        '',
      ].join('\n'),
    ),
    'config/b.collect': collectPoint(
      '{root}/missing',
      [
        '[hook "events"]',
        'engine = command',
        'events = before_backup, backup_error, after_backup',
        record('b.txt'),
        '',
      ].join('\n'),
    ),
    'config/mirror.backup': [
      '[point]',
      'engine = synchronize',
      'remote_url = file://{root}/mirror/{name}',
      '',
      '[hook "done"]',
      'engine = command',
      'events = backup_success',
      record('mirror.txt', ' {name} {fqdn} {Y}'),
      '',
    ].join('\n'),
    'config/run.global': [
      '[hook "summary"]',
      'engine = command',
      'events = backup_error',
      `command = sh -c 'mkdir -p "$1" && {{ printf "%s %s\\n%s\\n" "$POLYARCHIV_HOOK_EVENT" "$POLYARCHIV_STATUS" "$POLYARCHIV_DETAILED_STATUS"; cat "$POLYARCHIV_COMPLETE_LOG"; }} > "$1/run.txt"' hook {root}/hooks`,
      '',
      '[hook "slow"]',
      'engine = command',
      'events = after_backup',
      'command = sleep 30',
      'timeout = 1',
      '',
    ].join('\n'),
  });
  return {
    box,
    args: ['-C', box.path('config'), '--set', `root=${box.root}`, '--set', 'fqdn=web1.example.org'],
  };
}

function run(backend: Backend, box: Sandbox, args: readonly string[]): CliResult {
  if (backend === 'apply') return runCli(['backup', ...args]);
  const quiet = args.includes('-q');
  const plan = runCli(['plan', ...args.filter((arg) => arg !== '-q')]);
  expect(plan.code, plan.stderr).toBe(0);
  writeFileSync(box.path('backup.sh'), plan.stdout);
  const script = spawnSync('bash', [box.path('backup.sh'), ...(quiet ? ['-q'] : [])], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'Europe/Paris' },
  });
  return { code: script.status ?? -1, stdout: script.stdout, stderr: script.stderr };
}

const read = (box: Sandbox, path: string) => readFileSync(box.path(path), 'utf8');

describe.runIf(canRun).each(BACKENDS)('hooks through %s', (backend) => {
  it("pass a unit's own messages to its log hook among its tools' output, in order", () => {
    const box = newSandbox('polyarchiv-hooks-');
    const hook = '[hook "keep"]\nengine = log\nevents = after_backup\npath = {root}/unit.log\n';
    box.write({ 'data/f.txt': 'f\n', 'config/a.collect': collectPoint('{root}/data', hook) });
    const args = ['-C', box.path('config'), '--set', `root=${box.root}`, '--force'];
    expect(run(backend, box, args).code).toBe(0);
    // The guard counts the source before the next copy, and cannot: its tool's error and its own
    // lines reach the log in the order they came.
    spawnSync('mv', [box.path('data'), box.path('gone')]);
    expect(run(backend, box, args).code).toBe(1);
    expect(read(box, 'unit.log')).toBe(
      [
        'polyarchiv: collect:a',
        'polyarchiv:   1/4 check that no restore of collect point "a" was left unfinished',
        'polyarchiv:   2/4 create the collect directory',
        'polyarchiv:   3/4 create the copy of source "data"',
        `polyarchiv:   4/4 update the copy of source "data" from ${box.path('data')}`,
        'polyarchiv:   cannot measure what the copy of source "data" would receive:',
        `find: '${box.path('data')}/': No such file or directory`,
        'polyarchiv:   failed with exit code 1: step 4 of 4 at a.collect:5 [source "data"]',
        '',
      ].join('\n'),
    );
  });

  it("under -q keep a hook's standard output, shown only when the hook fails", () => {
    const box = newSandbox('polyarchiv-hooks-');
    const hooks = (name: string, exit: number) =>
      `[hook "${name}"]\nengine = command\nevents = after_backup\ncommand = sh -c 'echo said by ${name}; exit ${exit}'\n`;
    box.write({
      'data/f.txt': 'f\n',
      'config/a.collect': collectPoint('{root}/data', `${hooks('fine', 0)}\n${hooks('broken', 4)}`),
      'config/run.global': hooks('run-fine', 0),
    });
    const args = ['-C', box.path('config'), '--set', `root=${box.root}`, '-q'];
    const result = run(backend, box, args);
    expect(result.code, result.stderr).toBe(1);
    // Only the failing hook's words are shown, after the line that says it failed (a hook's
    // standard output goes to the run's standard error, with the messages it belongs to).
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      'hook "broken" at a.collect:15 failed on after_backup with exit code 4\nsaid by broken\n',
    );
    expect(result.stderr).not.toContain('said by fine');
    expect(result.stderr).not.toContain('said by run-fine');
  });

  it('run around each unit and the run; a failing hook is reported, exits 1 and stops nothing', () => {
    const { box, args } = scenario();
    const result = run(backend, box, args);
    expect(result.code, result.stderr).toBe(1);
    // The failing and the stopped hooks are named with their lines; the other points ran.
    expect(result.stderr).toContain(
      'hook "broken" at a.collect:15 failed on backup_success with exit code 3',
    );
    // The stopped hook's status is timeout's, which is said in words just before it.
    expect(result.stderr).toContain(
      '  stopped after its timeout of 1 s\npolyarchiv:   hook "slow" at run.global:6 failed on after_backup with exit code 124\n',
    );
    expect(read(box, 'mirror/a/data/f.txt')).toBe('f\n');
    // The summary gives each unit's time, hooks included: the slow hook ran until its timeout.
    expect(result.stderr).toMatch(/\n\S+ {3}ok {7}collect:a \(\d+\.\d s\)\n/);
    expect(result.stderr).toMatch(/\n\S+ {3}skipped {2}backup:mirror\/b \(0\.0 s\)\n/);
    const state = JSON.parse(read(box, 'collect/a/metadata/collect_point/a.json'));
    expect(state.success_count).toBe(1);
    expect(read(box, 'hooks/mirror.txt')).toBe('backup_success OK mirror web1.example.org 2026\n');
    expect(read(box, 'hooks/b.txt')).toBe('before_backup --\nbackup_error KO\nafter_backup KO\n');
    // The log hook wrote the unit's output as it was when its after_backup hooks were called.
    const log = read(box, 'logs/a.log');
    expect(log.startsWith('polyarchiv: collect:a\n')).toBe(true);
    expect(log).toContain('update the copy of source "data"');
    expect(log).toContain('hook "broken" at a.collect:15 failed on backup_success with exit code 3');
    // The run's hooks get every unit's status and their output.
    const summary = read(box, 'hooks/run.txt');
    expect(
      summary.startsWith(
        'backup_error KO\nOK: collect:a\nOK: backup:mirror/a\nKO: collect:b\nKO: backup:mirror/b\n',
      ),
    ).toBe(true);
    expect(summary).toContain('polyarchiv: collect:b\n');
    expect(summary).toContain('failed with exit code 23: step 4 of 4 at b.collect:5 [source "data"]');
  }, 60_000);
});
