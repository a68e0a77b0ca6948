import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Role } from '../../src/engines/engine.js';
import { plannedEngines } from '../../src/engines/registry.js';
import { CLI, runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

/** The lines of a run's output that do not start with `polyarchiv: `. */
const unprefixedLines = (output: string): string[] =>
  output
    .trimEnd()
    .split('\n')
    .filter((line) => !line.startsWith('polyarchiv: '));

/** The roles in the order `plugins` lists them. */
const ROLES: readonly Role[] = ['collect', 'source', 'backup', 'filter', 'hook'];

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum');

describe.runIf(canRun)('commands', () => {
  let box: Sandbox;
  let args: string[];
  beforeEach(() => {
    box = makeSandbox('polyarchiv-cli-');
    box.write({
      'config/site.collect':
        '[point]\nengine = files\nlocal_path = {root}/collect\nfrequency = daily\n\n[source "data"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = data\n',
      'config/mirror.backup':
        '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\nfrequency = weekly\n',
      'data/a.txt': 'a\n',
    });
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
  });
  afterEach(() => box.remove());

  it('runs nothing, creates nothing and records nothing with --dry', () => {
    const dry = runCli(['apply', '--dry', ...args]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain('dry run: nothing is executed, locked, created or recorded');
    expect(dry.stderr).toContain(
      `rsync -a --modify-window=-1 -X -A --delay-updates '--partial-dir=.~polyarchiv~' '--temp-dir=.~polyarchiv~' '--filter=H .~polyarchiv~' '--filter=R .~polyarchiv~' --delete-delay --stats --no-h --debug=FILTER1 -S -- ${box.root}/data/`,
    );
    expect(existsSync(box.path('collect'))).toBe(false);
    expect(existsSync(box.path('mirror'))).toBe(false);
    // A guarded copy's helper call carries several commands: shown on one line, not continued on
    // lines that would lack the prefix.
    expect(dry.stderr).toContain('polyarchiv:     polyarchiv_copy 50 no ');
    expect(unprefixedLines(dry.stderr)).toEqual([]);
  });

  it('prints each command before it runs with --show-commands', () => {
    const run = runCli(['backup', '--show-commands', ...args]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`    polyarchiv_make_dir ${box.root}/collect/backups`);
    expect(unprefixedLines(run.stderr)).toEqual([]);
    expect(run.stderr).toMatch(/summary:\n.*ok +collect:site.*\n.*ok +backup:mirror\/site/);
  });

  it('asks before each command and stops a declined unit without recording it', () => {
    const answers = spawnSync(process.execPath, [CLI, 'backup', '--confirm-commands', ...args], {
      input: 'y\nmaybe\nn\n',
      encoding: 'utf8',
      env: { ...process.env, TZ: 'Europe/Paris' },
    });
    expect(answers.status).toBe(1);
    expect(answers.stderr).toContain(`polyarchiv_make_dir ${box.root}/collect/backups [Y]/n`);
    expect(answers.stderr).toMatch(/declined +collect:site/);
    expect(answers.stderr).toContain('backup:mirror/site: skipped, collect:site did not succeed');
    expect(existsSync(box.path('collect/metadata/collect_point/site.json'))).toBe(false);
  });

  it.each(['the script', 'the JSON plan'])(
    'runs a saved plan as reviewed after a configuration change (%s first, with a warning), then refuses the other as stale',
    (first) => {
      const plan = box.path('plan.json');
      expect(runCli(['plan', '--format', 'json', '--out', plan, ...args]).code).toBe(0);
      const saved = JSON.parse(readFileSync(plan, 'utf8'));
      expect(saved.formatVersion).toBe(5);
      expect(saved.units.map((u: { id: string }) => u.id)).toEqual(['collect:site', 'backup:mirror/site']);
      writeFileSync(box.path('backup.sh'), runCli(['plan', ...args]).stdout);
      // The reviewed plan excludes nothing; the edited configuration would exclude a.txt.
      writeFileSync(
        box.path('config/site.collect'),
        `${readFileSync(box.path('config/site.collect'), 'utf8')}exclude = a.txt\n`,
      );
      const runJson = () => {
        const r = runCli(['apply', plan]);
        return { status: r.code, stderr: r.stderr };
      };
      const runScript = () => spawnSync('bash', [box.path('backup.sh')], { encoding: 'utf8' });
      const [one, other] = first === 'the script' ? [runScript, runJson] : [runJson, runScript];
      const ran = one();
      expect(ran.status, ran.stderr).toBe(0);
      expect(ran.stderr).toContain(
        `warning: the configuration in ${box.path('config')} changed since the plan was made: running the plan as it was reviewed`,
      );
      expect(readFileSync(box.path('collect/backups/data/a.txt'), 'utf8')).toBe('a\n');
      const refused = other();
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain('changed since the plan was made; run polyarchiv plan again');
    },
  );

  it.each(['the script', 'the JSON plan'])(
    'runs %s made with a relative -C from another directory, without a warning',
    (kind) => {
      const relative = ['-C', 'config', '--set', `root=${box.root}`];
      const options = { cwd: box.root, encoding: 'utf8' as const };
      const made =
        kind === 'the script'
          ? spawnSync(process.execPath, [CLI, 'plan', ...relative, '--out', 'backup.sh'], options)
          : spawnSync(
              process.execPath,
              [CLI, 'plan', ...relative, '--format', 'json', '--out', 'plan.json'],
              options,
            );
      expect(made.status, made.stderr).toBe(0);
      const run =
        kind === 'the script'
          ? spawnSync('bash', [box.path('backup.sh')], { cwd: '/', encoding: 'utf8' })
          : spawnSync(process.execPath, [CLI, 'apply', box.path('plan.json')], {
              cwd: '/',
              encoding: 'utf8',
            });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stderr).not.toContain('warning');
      expect(readFileSync(box.path('mirror/site/data/a.txt'), 'utf8')).toBe('a\n');
    },
  );

  it('refuses a stale script without touching the point', () => {
    const script = runCli(['plan', ...args]).stdout;
    writeFileSync(box.path('backup.sh'), script);
    expect(runCli(['backup', ...args]).code).toBe(0);
    const state = readFileSync(box.path('collect/metadata/collect_point/site.json'), 'utf8');
    const stale = spawnSync('bash', [box.path('backup.sh')], { encoding: 'utf8' });
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain('stale plan:');
    expect(readFileSync(box.path('collect/metadata/collect_point/site.json'), 'utf8')).toBe(state);
  });

  it('reports freshness for monitoring, with Nagios codes under --nrpe', () => {
    const never = runCli(['check', '--nrpe', ...args]);
    expect(never.code).toBe(2);
    expect(never.stdout).toBe(
      'CRITICAL - no successful backup of site, no successful backup of site:mirror\n',
    );
    expect(runCli(['backup', ...args]).code).toBe(0);
    const fresh = runCli(['check', '--nrpe', ...args]);
    expect(fresh.stdout).toBe('OK - everything is valid\n');
    expect(fresh.code).toBe(0);
    const later = runCli(['check', '--nrpe', ...args, '--now', '2099-01-01T12:00:00+01:00']);
    expect(later.code).toBe(1);
    expect(later.stdout).toMatch(
      /^WARNING - the last backup of site is out of date: .*, the last backup of site:mirror is out of date: /,
    );
    box.write({ 'config/broken.collect': '[point]\nengine = nope\n' });
    const broken = runCli(['check', '--nrpe', ...args]);
    expect(broken.stdout.split('\n')[0]).toBe('UNKNOWN - unable to load configuration');
    expect(broken.code).toBe(3);
  });

  it('shows points, associations, last success and next due time', () => {
    expect(runCli(['backup', ...args]).code).toBe(0);
    const config = runCli(['config', ...args]);
    expect(config.code).toBe(0);
    expect(config.stdout).toMatch(/collect point site \(files, .*\/collect\), tags: collect/);
    expect(config.stdout).toContain('  source data (local_files)');
    expect(config.stdout).toMatch(/ {2}daily, last success .*, next due \d{4}-\d{2}-\d{2}T00:00:00\+0\d:00/);
    expect(config.stdout).toMatch(
      / {2}-> backup point mirror \(synchronize\): weekly on Monday, last success /,
    );
  });

  it('lists the filters and hooks of each point and of the run, with their lines', () => {
    box.write({
      'config/hooks.global': '[hook "page"]\nengine = command\nevents = backup_error\ncommand = true\n',
      'config/sealed.backup': [
        '[point]',
        'engine = synchronize',
        'remote_url = {root}/sealed',
        '',
        '[filter "index"]',
        'engine = hashes',
        '',
        '[hook "ping"]',
        'engine = command',
        'events = backup_success, after_backup',
        'command = true',
        '',
      ].join('\n'),
    });
    const config = runCli(['config', ...args]);
    expect(config.code, config.stderr).toBe(0);
    expect(config.stdout).toMatch(
      / {2}-> backup point sealed \(synchronize\): .*\n {5}filter index \(hashes\), at sealed\.backup:5\n {5}hook ping \(command\) on backup_success, after_backup, at sealed\.backup:8\n/,
    );
    expect(config.stdout).toContain(
      '\naround the whole run\n  hook page (command) on backup_error, at hooks.global:1\n',
    );
  });

  it('prints the normalized configuration without secret values', () => {
    const shown = runCli(['config', '--show', '-C', 'examples/postgresql', '--set', 'root=/tmp/x']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('[source "shop"]\nengine = postgresql\n');
    expect(shown.stdout).toContain('password = (secret, not shown)');
    expect(shown.stdout).not.toContain('change me');
  });

  it('accepts options before the command, as the original did', () => {
    const result = runCli([...args, 'validate']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('configuration is valid: 1 collect point, 1 backup point, 1 association\n');
  });

  it.each(['check', 'config'])(
    "lists in %s's help only the flags it reads, and still accepts a run's flags",
    (command) => {
      const help = runCli([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('--only-collect-points');
      for (const flag of [
        '--force',
        '--allow-shrink',
        '--allow-mass-delete',
        '--skip-collect',
        '--skip-backup',
      ])
        expect(help.stdout).not.toContain(flag);
      const accepted = runCli([command, ...args, '-f', '--allow-shrink', '--skip-backup']);
      expect(accepted.stderr).not.toContain('unknown option');
      expect(runCli(['apply', '--help']).stdout).toContain('--allow-shrink');
    },
  );

  it('says what it did not run after the summary, the script as apply, and neither under -q', () => {
    expect(runCli(['backup', ...args]).code).toBe(0);
    const plan = runCli(['plan', ...args]);
    expect(plan.code, plan.stderr).toBe(0);
    writeFileSync(box.path('backup.sh'), plan.stdout);
    const notRun = (output: string) =>
      output.split('\n').filter((line) => line.startsWith('polyarchiv: not run: '));
    const script = (...words: string[]) =>
      spawnSync('bash', [box.path('backup.sh'), ...words], { encoding: 'utf8' });
    const byApply = notRun(runCli(['backup', ...args]).stderr);
    expect(byApply).toEqual([
      expect.stringMatching(
        /^polyarchiv: not run: collect point site: not due: last success .*, frequency daily/,
      ),
      expect.stringMatching(/^polyarchiv: not run: backup point mirror of site: not due: /),
    ]);
    const byScript = script();
    expect(byScript.status, byScript.stderr).toBe(0);
    expect(notRun(byScript.stderr)).toEqual(byApply);
    expect(notRun(runCli(['backup', '-q', ...args]).stderr)).toEqual([]);
    expect(notRun(script('--quiet').stderr)).toEqual([]);
  });

  it('exits 2 with a clear message on bad usage', () => {
    const badNow = runCli(['plan', ...args, '--now', 'yesterday']);
    expect(badNow.code).toBe(2);
    expect(badNow.stderr).toBe(
      "error: --now 'yesterday': expected ISO-8601 such as 2026-01-31T03:00:00+01:00, or @EPOCH seconds\n",
    );
    const badSet = runCli(['plan', ...args, '--set', 'name=x']);
    expect(badSet.code).toBe(2);
    expect(badSet.stderr).toContain("'name' is the point's own name and cannot be pinned");
    const unknown = runCli(['plan', ...args, '--frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("error: unknown option '--frobnicate'");
  });

  it('pins time with SOURCE_DATE_EPOCH for byte-stable scripts', () => {
    const a = runCli(['plan', ...args], { SOURCE_DATE_EPOCH: '1767225600' });
    const b = runCli(['plan', ...args], { SOURCE_DATE_EPOCH: '1767225600' });
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toContain('plan time: 2026-01-01T01:00:00+01:00');
  });

  it('lists engines and their options', () => {
    const plugins = runCli(['plugins', '-v']);
    expect(plugins.code).toBe(0);
    expect(plugins.stdout).toContain(
      '  local_files (also: rsync): Copy a local directory into the collect point with rsync.',
    );
    expect(plugins.stdout).toContain('    source_path [required] [*]: Directory to back up.');
    // Engines of the original that this version lacks are listed per role, and only those.
    const notAvailable = plugins.stdout
      .split('\n')
      .filter((line) => line.startsWith('  not available in this version: '))
      .map((line) => line.slice('  not available in this version: '.length).split(', '));
    expect(notAvailable).toEqual(ROLES.map(plannedEngines).filter((names) => names.length > 0));
    expect(plugins.stdout).toContain(
      '    password [*] [secret]: Password of that role, given to the tools in a private PGPASSFILE.',
    );
  });
});
