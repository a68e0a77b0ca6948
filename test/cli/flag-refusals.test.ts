import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum');

/** A code of node's for a failed call (ENOENT, EISDIR...), which no message may show. */
const ERRNO_CODE = /\bE[A-Z]{3,}\b/;
/** A trace line of Node.js. */
const TRACE = /^ {4}at /m;

describe.runIf(canRun)('flags that must be refused or warned about', () => {
  let box: Sandbox;
  let args: string[];
  beforeEach(() => {
    box = makeSandbox('polyarchiv-flags-');
    box.write({
      'config/site.collect':
        '[point]\nengine = files\nlocal_path = {root}/collect\n\n[source "data"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = data\n',
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
      'data/a.txt': 'a\n',
    });
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
  });
  afterEach(() => box.remove());

  const COLLECT_ERROR = (p: string) =>
    `error: --only-collect-points '${p}' matches no collect point name or tag (collect points: site)\n`;
  const BACKUP_ERROR = (p: string) =>
    `error: --only-backup-points '${p}' matches no backup point name or tag (backup points: mirror)\n`;

  describe.each([
    ['plan'],
    ['plan', '--restore'],
    ['apply'],
    ['backup'],
    ['restore', '--yes'],
    ['config'],
    ['check'],
  ])('%s', (...command) => {
    it.each([
      // An empty $POINTS in a cron line: every point would run, or every point be restored.
      ['--only-collect-points', '', COLLECT_ERROR('')],
      ['--only-collect-points', ',', COLLECT_ERROR(',')],
      ['--only-backup-points', '', BACKUP_ERROR('')],
      ['--only-backup-points', ',,', BACKUP_ERROR(',,')],
    ])('refuses %s %j, which names nothing (exit 2)', (flag, value, error) => {
      const result = runCli([...command, ...args, flag, value]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(error);
      expect(result.stdout).toBe('');
      expect(existsSync(box.path('collect'))).toBe(false);
    });
  });

  it('refuses a word that names nothing beside names that match, and drops only an empty piece of a list', () => {
    const blank = runCli(['plan', '--format', 'text', ...args, '--only-collect-points', 'site', '']);
    expect([blank.code, blank.stderr]).toEqual([
      2,
      `${COLLECT_ERROR('')}1 error: nothing was run or written\n`,
    ]);
    const trailing = runCli(['plan', '--format', 'text', ...args, '--only-collect-points', 'site,']);
    expect([trailing.code, trailing.stderr]).toEqual([0, '']);
  });

  it('refuses a blank selection in a check --nrpe with UNKNOWN', () => {
    const check = runCli(['check', '-n', ...args, '--only-collect-points', '']);
    expect([check.code, check.stdout]).toEqual([
      3,
      "UNKNOWN - --only-collect-points '' matches no collect point name or tag (collect points: site)\n",
    ]);
  });

  it('runs a selection with a mistyped name among others, and warns of it in plan, apply, restore, config and check', () => {
    const stie =
      "warning: --only-collect-points 'stie' matches no collect point name or tag: it is ignored (did you mean 'site'?)\n";
    const mirorr =
      "warning: --only-backup-points 'mirorr' matches no backup point name or tag: it is ignored (did you mean 'mirror'?)\n";
    const nope =
      "warning: --only-collect-points 'nope' matches no collect point name or tag: it is ignored (collect points: site)\n";
    const typos = ['--only-collect-points', 'site,stie', 'nope', '--only-backup-points', 'mirror,mirorr'];
    const plan = runCli(['plan', '--format', 'text', ...args, ...typos]);
    expect([plan.code, plan.stderr]).toEqual([0, `${stie}${nope}${mirorr}`]);
    expect(plan.stdout).toContain('Plan: 2 to run');
    const script = runCli(['plan', ...args, ...typos]);
    expect(script.stdout).toContain(`#   ${mirorr}`);
    const backup = runCli(['backup', '-q', ...args, ...typos]);
    expect([backup.code, backup.stderr]).toEqual([0, `${stie}${nope}${mirorr}`]);
    expect(readFileSync(box.path('mirror/site/data/a.txt'), 'utf8')).toBe('a\n');
    const restore = runCli(['restore', '-q', '--yes', ...args, ...typos]);
    expect([restore.code, restore.stderr]).toEqual([0, `${stie}${nope}${mirorr}`]);
    const config = runCli(['config', ...args, ...typos]);
    expect([config.code, config.stderr]).toEqual([0, `${stie}${nope}${mirorr}`]);
    const check = runCli(['check', ...args, ...typos]);
    expect([check.code, check.stderr]).toEqual([0, `${stie}${nope}${mirorr}`]);
  });

  it.each([
    // Day past the end of its month: JavaScript would carry it into the next.
    ['2026-02-30T00:00:00', 'not a valid time'],
    ['2026-04-31', 'not a valid time'],
    ['2027-02-29T03:00:00+01:00', 'not a valid time'],
    ['2026-02-29 03:00', 'not a valid time'],
    ['2026-01-00', 'not a valid time'],
    ['2026-13-45', 'not a valid time'],
    ['2026-00-10', 'not a valid time'],
    // Hours, minutes and seconds past their ranges: 24:00 is the next day's 00:00, and a leap second has no instant here.
    ['2026-01-01T24:00:00', 'not a valid time'],
    ['2026-01-01T25:00', 'not a valid time'],
    ['2026-01-01T23:60:00', 'not a valid time'],
    ['2026-01-01T23:59:60', 'not a valid time'],
    ['2026-01-01T03:00:00+25:00', 'not a valid time'],
  ])('refuses --now and --at %s: %s (exit 2)', (time, why) => {
    for (const command of [
      ['plan', ...args, '--now', time],
      ['check', ...args, '--now', time],
      ['restore', ...args, '--yes', '--at', time],
    ]) {
      const result = runCli(command);
      const flag = command.includes('--at') ? '--at' : '--now';
      expect([result.code, result.stderr], command.join(' ')).toEqual([
        2,
        `error: ${flag} '${time}': ${why}\n`,
      ]);
    }
    expect(existsSync(box.path('collect'))).toBe(false);
  });

  it.each([
    ['2028-02-29T03:00:00+01:00', 'polyarchiv backup plan at 2028-02-29T03:00:00+01:00'],
    ['2026-01-31T23:59:59+01:00', 'polyarchiv backup plan at 2026-01-31T23:59:59+01:00'],
    ['2026-12-31', 'polyarchiv backup plan at 2026-12-31T01:00:00+01:00'],
    ['@0', 'polyarchiv backup plan at 1970-01-01T01:00:00+01:00'],
  ])('plans at --now %s', (time, first) => {
    const plan = runCli(['plan', '--format', 'text', ...args, '--now', time]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout.split('\n')[0]).toBe(first);
  });

  it.each([
    ['9', 2],
    ['4', 2],
    ['-1', 2],
    ['1.5', 2],
    ['', 2],
    ['x', 2],
    ['0', 0],
    ['3', 0],
  ])('--verbosity %j exits %i', (level, code) => {
    const result = runCli(['plan', '--format', 'text', ...args, '--verbosity', level]);
    expect(result.code).toBe(code);
    expect(result.stderr).toBe(code === 0 ? '' : `error: --verbosity '${level}': expected a level, 0 to 3\n`);
  });

  it('pins a variable whose value holds commas', () => {
    const plan = runCli(['plan', '--format', 'text', ...args, '--set', 'a=1,2', '--set', 'b=3']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(runCli(['plan', ...args, '--set', '']).stderr).toBe("error: --set '': expected NAME=VALUE\n");
  });

  it('says what is wrong with a file or directory in words, never with a code of the system', () => {
    mkdirSync(box.path('a-directory'));
    const cases: [string[], string][] = [
      [
        ['plan', '-C', box.path('nowhere')],
        `error: cannot read configuration directory ${box.path('nowhere')}: does not exist (use -C DIR to choose another directory)\n1 error: nothing was run or written\n`,
      ],
      [
        ['plan', '--check', box.path('none.sh')],
        `error: plan --check ${box.path('none.sh')}: cannot read the script: does not exist\n`,
      ],
      [
        ['plan', ...args, '--log-file', box.path('a-directory')],
        `error: cannot write --log-file ${box.path('a-directory')}: is a directory\n`,
      ],
      [
        ['plan', ...args, '--log-file', box.path('nowhere/log')],
        `error: cannot write --log-file ${box.path('nowhere/log')}: its directory does not exist\n`,
      ],
      [
        ['apply', box.path('none.json')],
        `error: cannot read plan ${box.path('none.json')}: does not exist\n`,
      ],
      [
        ['apply', box.path('a-directory')],
        `error: cannot read plan ${box.path('a-directory')}: is a directory\n`,
      ],
      [
        ['plan', ...args, '--out', box.path('nowhere/plan.sh')],
        `error: cannot write --out ${box.path('nowhere/plan.sh')}: its directory does not exist\n`,
      ],
    ];
    for (const [command, stderr] of cases) {
      const result = runCli(command);
      expect([result.code, result.stderr], command.join(' ')).toEqual([2, stderr]);
      expect(result.stderr).not.toMatch(ERRNO_CODE);
    }
  });

  it('refuses a file that is not a saved plan, and says what is expected', () => {
    const expected = 'expected a plan written by polyarchiv plan --format json --out FILE';
    const cases: [string, string][] = [
      ['{"x":1}', 'it has no formatVersion'],
      ['[1]', 'it is not a JSON object'],
      ['#!/bin/bash\necho hi\n', 'it is not JSON'],
      [
        '{"formatVersion":5,"mode":"backup"}',
        'it has no polyarchivVersion, configDir, inputs, configHash, now, hostVariables, pinned, selection, regenerate, units, skipped, tools, secrets, warnings',
      ],
    ];
    for (const [text, why] of cases) {
      writeFileSync(box.path('bad.json'), text);
      const result = runCli(['apply', box.path('bad.json')]);
      expect([result.code, result.stderr], text).toEqual([
        2,
        `error: ${box.path('bad.json')} is not a saved polyarchiv plan: ${why}; ${expected}\n`,
      ]);
    }
    writeFileSync(box.path('old.json'), '{"formatVersion":0}');
    expect(runCli(['apply', box.path('old.json')]).stderr).toBe(
      `error: plan ${box.path('old.json')} has format 0, this polyarchiv reads format 5: run polyarchiv plan again\n`,
    );
  });

  it('refuses a plan saved in an earlier format, whose copies did not make their holding directory, before anything runs', () => {
    const plan = box.path('plan.json');
    expect(runCli(['plan', '--format', 'json', '--out', plan, ...args]).code).toBe(0);
    // Format 3: a step before each guarded copy made its holding directory; the copy did not.
    const old = JSON.parse(readFileSync(plan, 'utf8'), (_, value) => {
      if (value?.kind !== 'copy') return value;
      const { makeDir: _made, ...copy } = value;
      return copy;
    });
    expect(old.formatVersion).toBe(5);
    expect(JSON.stringify(old)).not.toContain('"makeDir"');
    writeFileSync(plan, JSON.stringify({ ...old, formatVersion: 3 }));
    const result = runCli(['apply', plan]);
    expect([result.code, result.stderr]).toEqual([
      2,
      `error: plan ${plan} has format 3, this polyarchiv reads format 5: run polyarchiv plan again\n`,
    ]);
    expect(existsSync(box.path('collect'))).toBe(false);
  });

  it('refuses a saved plan of the same format made by another polyarchiv version, before anything runs', () => {
    const plan = box.path('plan.json');
    expect(runCli(['plan', '--format', 'json', '--out', plan, ...args]).code).toBe(0);
    const saved = JSON.parse(readFileSync(plan, 'utf8'));
    const version = runCli(['--version']).stdout.trim();
    expect(saved.polyarchivVersion).toBe(version);
    writeFileSync(plan, JSON.stringify({ ...saved, polyarchivVersion: '0.0.1' }));
    const result = runCli(['apply', plan]);
    expect([result.code, result.stderr]).toEqual([
      2,
      `error: plan ${plan} was made by polyarchiv "0.0.1", this is polyarchiv ${version}: a saved plan runs only with the version that made it; run polyarchiv plan again\n`,
    ]);
    expect(existsSync(box.path('collect'))).toBe(false);
  });

  it('never prints a trace for these refusals', () => {
    for (const command of [
      ['plan', ...args, '--only-collect-points', ''],
      ['plan', ...args, '--now', '2026-02-30'],
      ['apply', box.path('config/site.collect')],
    ]) {
      const result = runCli(command);
      expect(result.code).toBe(2);
      expect(result.stderr).not.toMatch(TRACE);
    }
  });
});

describe('plugins --sample', () => {
  const sample = (name: string) => runCli(['plugins', '--sample', name]);

  it('prints both samples of a name that a collect point and a backup point engine share, each headed by its file', () => {
    expect(sample('archive')).toEqual({
      code: 0,
      stdout:
        '; a collect point, in a NAME.collect file (alone: --sample archive.collect)\n[point]\nengine = archive\nlocal_path = /var/backups/polyarchiv/{name}\n\n; a backup point, in a NAME.backup file (alone: --sample archive.backup)\n[point]\nengine = archive\nremote_url = file:///var/backups/mirror/{name}\n',
      stderr: '',
    });
    expect(sample('git').stdout).toContain('(alone: --sample git.backup)\n[point]\nengine = git\n');
  });

  it.each([
    ['archive.backup', '[point]\nengine = archive\nremote_url = file:///var/backups/mirror/{name}\n'],
    ['archive.collect', '[point]\nengine = archive\nlocal_path = /var/backups/polyarchiv/{name}\n'],
    ['ARCHIVE.Backup', '[point]\nengine = archive\nremote_url = file:///var/backups/mirror/{name}\n'],
    ['postgressql', '[source "postgresql"]\nengine = postgresql\n'],
    ['hashes', '[filter "hashes"]\nengine = hashes\n'],
    ['hashes.filter', '[filter "hashes"]\nengine = hashes\n'],
  ])('prints the one sample of %s', (name, start) => {
    const result = sample(name);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.startsWith(start), result.stdout).toBe(true);
  });

  it.each([
    [
      'archive.source',
      'error: --sample archive.source: archive is no source engine (it is archive.collect, archive.backup); expected ENGINE or ENGINE.KIND',
    ],
    [
      'postgresq',
      "error: --sample postgresq: no such engine (did you mean 'postgresql'?); expected ENGINE or ENGINE.KIND",
    ],
  ])('refuses --sample %s', (name, start) => {
    const result = sample(name);
    expect(result.code).toBe(2);
    expect(result.stderr.startsWith(start), result.stderr).toBe(true);
    expect(result.stdout).toBe('');
  });

  it('says in --help how to choose one of two samples', () => {
    expect(runCli(['plugins', '--help']).stdout.replace(/\s+/g, ' ')).toContain(
      'ENGINE.KIND prints one (archive.collect, archive.backup)',
    );
  });
});
