import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI as CLI_PATH, type CliResult, runCli, runCliAsync } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum', 'sudo', 'getent');

const collect = (name: string, sourceLines: string) =>
  `[point]\nengine = files\nlocal_path = {root}/collect/${name}\n\n[source "data"]\nengine = local_files\n${sourceLines}destination_path = data\n`;
const MIRROR = '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n';
/** A trace line of Node.js: four spaces, "at", a place. */
const TRACE = /^ {4}at /m;

describe.runIf(canRun)('input that must be refused', () => {
  let box: Sandbox;
  let args: string[];
  beforeEach(() => {
    box = makeSandbox('polyarchiv-refuse-');
    box.write({ 'data/a.txt': 'a\n' });
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
  });
  afterEach(() => box.remove());

  const writeConfig = (files: Record<string, string>) => {
    mkdirSync(box.path('config'), { recursive: true });
    box.write(Object.fromEntries(Object.entries(files).map(([k, v]) => [`config/${k}`, v])));
  };
  const script = (extra: string[] = []) => {
    const plan = runCli(['plan', '--out', box.path('backup.sh'), ...args, ...extra]);
    expect(plan.code, plan.stderr).toBe(0);
    return spawnSync('bash', [box.path('backup.sh')], { encoding: 'utf8' });
  };

  /** Every command on every bad input: a diagnostic or a failed unit, never a trace. */
  it('never prints a stack trace, whatever the command and the bad input', async () => {
    const inputs: Record<string, () => void> = {
      'no remote_url': () =>
        writeConfig({ 'm.backup': '[point]\nengine = synchronize\nexcluded_collect_point_tags = *\n' }),
      'a dangling symbolic link': () => {
        writeConfig({ 'site.collect': collect('site', 'source_path = {root}/data\n') });
        symlinkSync(box.path('nowhere'), box.path('config/gone.backup'));
      },
      'a symbolic link loop': () => {
        writeConfig({});
        symlinkSync(box.path('config/loop.collect'), box.path('config/loop.collect'));
      },
      'a file that is not UTF-8': () => {
        writeConfig({});
        writeFileSync(box.path('config/site.collect'), Buffer.from('[point]\nlocal_path=/x\xff\n', 'latin1'));
      },
      'an empty directory': () => writeConfig({}),
      'a missing directory': () => {},
      'a missing pattern file': () =>
        writeConfig({
          'site.collect': collect('site', 'source_path = {root}/data\nexclude = @/nonexistent/x\n'),
        }),
    };
    const commands = [
      ['validate'],
      ['plan', '--restore'],
      ['plan', '--format', 'json'],
      ['apply'],
      ['backup'],
      ['restore'],
      ['config'],
      ['check', '-n'],
    ];
    for (const [what, prepare] of Object.entries(inputs)) {
      box.remove();
      mkdirSync(box.root);
      prepare();
      const runs: [string[], CliResult][] = await Promise.all(
        commands.map(
          async (command) => [command, await runCliAsync([...command, ...args])] as [string[], CliResult],
        ),
      );
      for (const [command, run] of runs) {
        const output = `${run.stdout}${run.stderr}`;
        expect(output, `${command.join(' ')} on ${what}`).not.toMatch(TRACE);
        expect(output, `${command.join(' ')} on ${what}`).not.toContain('internal error');
        // check -n speaks NRPE: UNKNOWN (3) or CRITICAL (2); every other command refuses (2).
        if (command[0] === 'check') expect([2, 3], `check on ${what}: ${output}`).toContain(run.code);
        else expect(run.code, `${command.join(' ')} on ${what}: ${output}`).toBe(2);
      }
      expect(existsSync(box.path('collect')), what).toBe(false);
    }
  }, 300_000);

  it('turns an unexpected error into one line, and shows the trace with -v', () => {
    writeConfig({ 'site.collect': collect('site', 'source_path = {root}/data\n') });
    const saved = box.path('plan.json');
    expect(runCli(['plan', '--format', 'json', '--out', saved, ...args]).code).toBe(0);
    // A plan edited by hand, so that nothing can run it: a defect of the reader, shown as one.
    writeFileSync(saved, JSON.stringify({ ...JSON.parse(readFileSync(saved, 'utf8')), units: 5 }));
    const run = runCli(['apply', saved]);
    expect(run.code).toBe(70);
    expect(run.stderr).toMatch(/^polyarchiv: internal error: .+ \(run again with -v for the trace\)\n$/);
    const verbose = runCli(['apply', '-v', saved]);
    expect(verbose.code).toBe(70);
    expect(verbose.stderr).toMatch(TRACE);
  });

  it('refuses plan --out into a missing directory or onto a directory', () => {
    writeConfig({ 'site.collect': collect('site', 'source_path = {root}/data\n') });
    const missing = runCli(['plan', '--out', box.path('nowhere/backup.sh'), ...args]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `error: cannot write --out ${box.path('nowhere/backup.sh')}: its directory does not exist\n`,
    );
    const directory = runCli(['plan', '--out', box.path('data'), ...args]);
    expect(directory.code).toBe(2);
    expect(directory.stderr).toBe(`error: cannot write --out ${box.path('data')}: it is a directory\n`);
  });

  it('refuses --from and --at in a backup plan, which would run a backup where a restore was meant', () => {
    writeConfig({ 'site.collect': collect('site', 'source_path = {root}/data\n'), 'mirror.backup': MIRROR });
    const out = box.path('restore.sh');
    for (const [extra, message] of [
      [['--from', 'mirror'], '--from chooses'],
      [['--at', '2026-03-01T00:00:00Z'], '--at chooses'],
      [['--from', 'mirror', '--at', '2026-03-01T00:00:00Z'], '--from and --at choose'],
    ] as const) {
      const plan = runCli(['plan', '--out', out, ...args, ...extra]);
      expect(plan.code).toBe(2);
      expect(plan.stderr).toBe(
        `error: ${message} the copy a restore takes, and this plan is a backup: add --restore\n`,
      );
      expect(existsSync(out)).toBe(false);
    }
    const restore = runCli(['plan', '--restore', '--out', out, ...args, '--from', 'mirror']);
    expect(restore.code, restore.stderr).toBe(0);
  });

  it('refuses a restore --from a backup point with --skip-backup, which fetches nothing', () => {
    writeConfig({ 'site.collect': collect('site', 'source_path = {root}/data\n'), 'mirror.backup': MIRROR });
    for (const command of [
      ['restore', '--yes'],
      ['plan', '--restore'],
    ]) {
      const refused = runCli([...command, ...args, '--from', 'mirror', '--skip-backup']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toBe(
        'error: --from mirror names the backup point to fetch from, and --skip-backup fetches nothing: give one of them\n',
      );
    }
    expect(readFileSync(box.path('data/a.txt'), 'utf8')).toBe('a\n');
  });

  it('writes --out whole, with its own mode, replacing the file only at the end', () => {
    writeConfig({
      'site.collect': `${collect('site', 'source_path = {root}/data\n')}\n[source "db"]\nengine = mysql\ndatabase = shop\ndestination_path = shop.sql\npassword = s3cret\n`,
    });
    const out = box.path('backup.sh');
    writeFileSync(out, 'an older plan\n', { mode: 0o644 });
    chmodSync(out, 0o644);
    expect(runCli(['plan', '--include-secrets', '--out', out, ...args]).code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out, 'utf8')).toContain('s3cret');
    expect(readdirSync(box.root).filter((name) => name.includes('polyarchiv-partial'))).toEqual([]);
  });

  it('fails an empty configuration directory and a selection of nothing: apply 2, NRPE UNKNOWN', () => {
    writeConfig({});
    expect(runCli(['apply', ...args]).code).toBe(2);
    const empty = runCli(['check', '-n', ...args]);
    expect(empty.stdout).toBe('UNKNOWN - unable to load configuration\n');
    expect(empty.code).toBe(3);

    writeConfig({ 'site.collect': collect('site', 'source_path = {root}/data\n'), 'mirror.backup': MIRROR });
    const apply = runCli(['apply', '--only-collect-points', 'stie', ...args]);
    expect(apply.code).toBe(2);
    expect(apply.stderr).toContain(
      "error: --only-collect-points 'stie' matches no collect point name or tag (collect points: site)",
    );
    expect(existsSync(box.path('collect'))).toBe(false);
    const check = runCli(['check', '-n', '--only-backup-points', 'nope', ...args]);
    expect(check.stdout).toBe(
      "UNKNOWN - --only-backup-points 'nope' matches no backup point name or tag (backup points: mirror)\n",
    );
    expect(check.code).toBe(3);
    expect(runCli(['plan', '--only-collect-points', 's*', ...args]).code).toBe(0);
  });

  it('reports UNKNOWN, not OK, when a configuration file cannot be read', () => {
    writeConfig({ 'site.collect': collect('site', 'source_path = {root}/data\n'), 'mirror.backup': MIRROR });
    expect(runCli(['backup', ...args]).code).toBe(0);
    chmodSync(box.path('config/mirror.backup'), 0o000);
    chmodSync(box.root, 0o755);
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const check = spawnSync(process.execPath, [CLI_PATH, 'check', '-n', ...args], {
      encoding: 'utf8',
      ...asNobody,
    });
    // Run as nobody, who must be able to reach this checkout (not below a directory of mode 0700).
    expect(check.stderr, 'polyarchiv check, run as nobody').toBe(
      `notice: mirror.backup is ignored because user ${process.getuid?.() === 0 ? 65534 : process.getuid?.()} cannot read it\n  at mirror.backup\nerror: cannot read mirror.backup\n`,
    );
    expect(check.stdout).toBe('UNKNOWN - cannot read mirror.backup\n');
    expect(check.status).toBe(3);
  });

  it('refuses a missing pattern file before anything runs, through apply and the script', () => {
    writeConfig({
      'site.collect': collect('site', 'source_path = {root}/data\nexclude = @{root}/filters.txt\n'),
    });
    for (const command of [
      ['plan'],
      ['plan', '--format', 'text'],
      ['plan', '--format', 'json'],
      ['apply'],
      ['validate'],
    ]) {
      const run = runCli([...command, ...args]);
      expect(run.code, command.join(' ')).toBe(2);
      expect(run.stdout, command.join(' ')).toBe('');
      expect(run.stderr).toContain(
        `error: pattern file ${box.root}/filters.txt of option 'exclude' cannot be read\n  at site.collect:8 [source "data"]`,
      );
    }
    expect(existsSync(box.path('collect'))).toBe(false);
    // The script checks nothing of the host at run time: rsync refuses the missing file itself.
    writeFileSync(box.path('filters.txt'), '*.tmp\n');
    expect(runCli(['plan', '--out', box.path('backup.sh'), ...args]).code).toBe(0);
  });

  it("reports the machine's errors with the configuration's, in one round, and still refuses the plan", () => {
    writeConfig({
      // An error in the collect point's own section, one in a backup point, and a pattern file
      // that this machine lacks: all three at once.
      'site.collect': collect('site', 'source_path = {root}/data\nexclude = @{root}/filters.txt\n').replace(
        '[point]\n',
        '[point]\nfrequency = sometimes\n',
      ),
      'mirror.backup': `${MIRROR}max_shrink_percent = 300\n`,
    });
    for (const command of [['validate'], ['plan'], ['apply']]) {
      const run = runCli([...command, ...args]);
      expect(run.code, command.join(' ')).toBe(2);
      expect(run.stdout, command.join(' ')).toBe('');
      expect(run.stderr).toContain("error: bad value for option 'frequency': 'sometimes'");
      expect(run.stderr).toContain("error: bad value for option 'max_shrink_percent': '300'");
      expect(run.stderr).toContain(
        `error: pattern file ${box.root}/filters.txt of option 'exclude' cannot be read\n  at site.collect:9 [source "data"]`,
      );
      expect(run.stderr).toContain('3 errors: nothing was run or written');
    }
    expect(existsSync(box.path('collect'))).toBe(false);
  });

  it('warns about a missing source_path, one that is a file, and an unknown sudo_user, and fails only their unit at run time', () => {
    writeConfig({
      'gone.collect': collect('gone', 'source_path = {root}/nowhere\n'),
      'file.collect': collect('file', 'source_path = {root}/a-file\n'),
      'site.collect': collect('site', 'source_path = {root}/data\n'),
      'db.collect':
        '[point]\nengine = files\nlocal_path = {root}/collect/db\n\n[source "pg"]\nengine = postgresql\ndatabase = d\nsudo_user = no-such-user-here\n',
    });
    writeFileSync(box.path('a-file'), 'not a directory\n');
    const validate = runCli(['validate', ...args]);
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stderr).toContain(
      `warning: source_path ${box.root}/nowhere does not exist on this machine (the run fails on this source until it exists)\n  at gone.collect:7 [source "data"]`,
    );
    expect(validate.stderr).toContain(
      `warning: source_path ${box.root}/a-file is not a directory (the run fails on this source until it is a directory that it can read)\n  at file.collect:7 [source "data"]`,
    );
    expect(validate.stderr).toContain(
      'warning: sudo_user no-such-user-here is not a user of this machine (the run fails on this source until it exists)\n  at db.collect:8 [source "pg"]',
    );
    expect(runCli(['plan', ...args]).stderr).toContain('warning: source_path');
    const apply = runCli(['apply', ...args]);
    const viaScript = script();
    for (const run of [
      { code: apply.code, stderr: apply.stderr },
      { code: viaScript.status, stderr: viaScript.stderr },
    ]) {
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /failed with exit code \d+: step \d of \d at gone\.collect:5 \[source "data"\]/,
      );
      expect(run.stderr).toMatch(/failed with exit code \d+: step \d of \d at db\.collect:5 \[source "pg"\]/);
      expect(run.stderr).toMatch(/ok +collect:site/);
    }
  });

  it('warns about a key, a keytab or a CA bundle that cannot be read, once per file and line, for each pair that names one', () => {
    writeConfig({
      'site.collect': collect('site', 'source_path = {root}/data\n'),
      'other.collect': collect('other', 'source_path = {root}/data\n'),
      'far.collect': [
        '[point]\nengine = files\nlocal_path = {root}/collect/far\n',
        '[source "www"]\nengine = remote_files\nsource_url = ssh://web1/srv/www\ndestination_path = www\nkeytab = {root}/keys/web.keytab\n',
        '[source "dav"]\nengine = remote_files\nsource_url = https://dav.example.org/files\ndestination_path = dav\nca_cert = {root}/keys/dav-ca.pem\n',
        '[source "any"]\nengine = remote_files\nsource_url = https://dav.example.org/any\ndestination_path = any\nca_cert = any\n',
      ].join('\n'),
      'offsite.backup':
        '[point]\nengine = synchronize\nremote_url = backup@store:{root}/mirror/{name}\nprivate_key = {root}/keys/{name}.key\nkeytab = {root}/keys/store.keytab\n',
    });
    mkdirSync(box.path('keys'));
    writeFileSync(box.path('keys/site.key'), 'a key\n');
    const validate = runCli(['validate', ...args]);
    expect(validate.code, validate.stderr).toBe(0);
    const warnings = validate.stderr.split('\nwarning: ').filter((w) => w.includes('cannot be read'));
    expect(
      warnings.map((w) =>
        w
          .replace(/^warning: /, '')
          .replaceAll(box.root, 'ROOT')
          .trim(),
      ),
    ).toEqual([
      'keytab ROOT/keys/web.keytab cannot be read on this machine (the runs that use it fail until it can be read)\n  at far.collect:9 [source "www"]',
      'ca_cert ROOT/keys/dav-ca.pem cannot be read on this machine (the runs that use it fail until it can be read)\n  at far.collect:15 [source "dav"]',
      'private_key ROOT/keys/far.key cannot be read on this machine (the runs that use it fail until it can be read)\n  at offsite.backup:4 [point]',
      'private_key ROOT/keys/other.key cannot be read on this machine (the runs that use it fail until it can be read)\n  at offsite.backup:4 [point]',
      'keytab ROOT/keys/store.keytab cannot be read on this machine (the runs that use it fail until it can be read)\n  at offsite.backup:5 [point]',
    ]);
  });

  it('warns at its line of a program given by a path that is not an executable file here', () => {
    writeConfig({
      'site.collect': collect('site', 'source_path = {root}/data\n'),
      // Programs' paths take no variables.
      'tools.global': `[global]\nrsync_executable = ${box.root}/bin/rsync\ngzip_executable = /bin/sh\ntar_executable = tar\n`,
    });
    const validate = runCli(['validate', ...args]);
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stderr.replaceAll(box.root, 'ROOT')).toBe(
      'warning: rsync_executable ROOT/bin/rsync is not an executable file on this machine (the steps that run it fail until it is)\n  at tools.global:2 [global]\n',
    );
  });

  it('fails only the unit whose command is too long for the system, through apply and the script', () => {
    writeConfig({
      'big.collect': collect('big', `source_path = {root}/data\nexclude = ${'x'.repeat(200_000)}\n`),
      'site.collect': collect('site', 'source_path = {root}/data\n'),
    });
    const apply = runCli(['apply', ...args]);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain('polyarchiv: rsync: argument list too long');
    expect(apply.stderr).toMatch(/failed +collect:big/);
    expect(apply.stderr).toMatch(/ok +collect:site/);
    expect(apply.stderr).not.toMatch(TRACE);
    const viaScript = script();
    expect(viaScript.status).toBe(1);
    expect(viaScript.stderr).toMatch(/failed +collect:big/);
    expect(viaScript.stderr).toMatch(/ok +collect:site/);
  });
});
