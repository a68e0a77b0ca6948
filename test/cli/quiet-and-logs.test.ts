import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, withoutLogStamps } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum', 'dash');

/** `-q` for apply and for the script; `--log-file`; the script's own arguments and shell guard. */
describe.runIf(canRun)('quiet runs, log files and the script guard', () => {
  let box: Sandbox;
  let args: string[];
  beforeEach(() => {
    box = makeSandbox('polyarchiv-quiet-');
    box.write({
      'config/site.collect':
        '[point]\nengine = files\nlocal_path = {root}/collect\n\n[source "data"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = data\n',
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
      'data/a.txt': 'a\n',
    });
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
  });
  afterEach(() => box.remove());
  const lines = (text: string) => text.split('\n').sort();

  const script = (...scriptArgs: string[]) => {
    writeFileSync(box.path('backup.sh'), runCli(['plan', ...args]).stdout);
    return spawnSync('bash', [box.path('backup.sh'), ...scriptArgs], { encoding: 'utf8' });
  };
  const apply = (...more: string[]) => {
    const run = runCli(['backup', ...args, ...more]);
    return { status: run.code, stdout: run.stdout, stderr: run.stderr };
  };

  it.each([
    ['apply', () => apply('-q')],
    ['the script', () => script('-q')],
    ['apply --verbosity 0', () => apply('--verbosity', '0')],
    ['apply --jobs 2', () => apply('-q', '--jobs', '2')],
    ['the script --jobs 2', () => script('--jobs', '2', '-q')],
  ])('prints nothing on success with %s', (_, run) => {
    const result = run();
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('');
  });

  it.each(['apply', 'the script'] as const)(
    'prints nothing with %s when a step finds nothing to do: a git collect point with no change',
    (how) => {
      box.write({
        'config/site.collect':
          '[point]\nengine = git\nlocal_path = {root}/collect\ncommit_email = root@localhost\n\n[source "data"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = data\n',
        'home/.gitconfig': '',
      });
      const env = { ...process.env, HOME: box.path('home'), GIT_CONFIG_NOSYSTEM: '1' };
      const run = () => {
        if (how === 'apply') {
          const ran = runCli(['backup', '-q', ...args], env);
          return { status: ran.code, stdout: ran.stdout, stderr: ran.stderr };
        }
        writeFileSync(box.path('backup.sh'), runCli(['plan', ...args], env).stdout);
        return spawnSync('bash', [box.path('backup.sh'), '-q'], { encoding: 'utf8', env });
      };
      for (const round of ['the first commit', 'nothing changed since it']) {
        const result = run();
        expect(result.status, `${round}: ${result.stderr}`).toBe(0);
        expect(result.stdout).toBe('');
        expect(result.stderr, round).toBe('');
      }
    },
  );

  it.each(['apply', 'the script'] as const)(
    'prints nothing with %s for a restore under -q --yes: no one is asked, so nothing is listed',
    (how) => {
      expect(apply().status).toBe(0);
      writeFileSync(box.path('data/a.txt'), 'b\n');
      let result: { status: number | null; stdout: string; stderr: string };
      if (how === 'apply') {
        const ran = runCli(['restore', '-q', '--yes', ...args]);
        result = { status: ran.code, stdout: ran.stdout, stderr: ran.stderr };
      } else {
        writeFileSync(box.path('restore.sh'), runCli(['plan', '--restore', ...args]).stdout);
        result = spawnSync('bash', [box.path('restore.sh'), '-q', '--yes'], { encoding: 'utf8' });
      }
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe('');
      expect(readFileSync(box.path('data/a.txt'), 'utf8')).toBe('a\n');
    },
  );

  it.each([
    ['apply', () => apply('-q')],
    ['the script', () => script('--quiet')],
    ['apply --jobs 2', () => apply('-q', '--jobs', '2')],
    ['the script --jobs 2', () => script('-q', '--jobs=2')],
  ])('prints only the failure, naming its unit, with %s', (_, run) => {
    rmSync(box.path('data'), { recursive: true });
    const result = run();
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /^polyarchiv: collect:site: failed with exit code \d+: step \d of \d at site\.collect:5/m,
    );
    expect(result.stderr).toContain('polyarchiv: backup:mirror/site: skipped, collect:site did not succeed');
    expect(result.stderr).not.toContain('summary:');
    expect(result.stderr).not.toMatch(/^polyarchiv: +\d+\/\d+ /m);
  });

  it.each([
    ['apply', (log: string) => apply('--log-file', log)],
    ['the script', (log: string) => script('--log-file', log)],
    ['the script --jobs 2', (log: string) => script('--jobs', '2', `--log-file=${log}`)],
  ])('writes the whole run to --log-file, the tools output included, with %s', (how, run) => {
    rmSync(box.path('data'), { recursive: true });
    const log = box.path('run.log');
    writeFileSync(log, 'the previous run\n');
    const result = run(log);
    expect(result.status).toBe(1);
    const text = withoutLogStamps(readFileSync(log, 'utf8'));
    // The script's standard output and error reach the file through two copies: their lines may
    // come in another order than on the terminal, never changed or lost.
    if (how === 'apply') expect(text).toBe(result.stdout + result.stderr);
    else expect(lines(text)).toEqual(lines(result.stdout + result.stderr));
    expect(text).toMatch(/^rsync: .*data.*No such file or directory/m);
    expect(text).toContain('summary:');
    expect(text).not.toContain('the previous run');
  });

  it.each([
    ['apply', (log: string) => apply('--log-file', log)],
    ['the script', (log: string) => script('--log-file', log)],
  ])('refuses a --log-file it cannot write, running nothing, with %s', (_, run) => {
    const result = run(box.path('no such dir/run.log'));
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`--log-file ${box.path('no such dir/run.log')}`);
    expect(spawnSync('ls', [box.root]).stdout.toString()).not.toMatch(/collect|mirror/);
  });

  it('refuses arguments other than -q, --jobs N and --log-file FILE', () => {
    const result = script('-q', '--force');
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      'polyarchiv: unknown argument: --force (this script accepts --jobs N, -q and --log-file FILE)\n',
    );
  });

  it.each(['dash', 'sh'])('stops under %s with the message that it needs bash', (shell) => {
    writeFileSync(box.path('backup.sh'), runCli(['plan', ...args]).stdout);
    const result = spawnSync(shell, [box.path('backup.sh')], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('polyarchiv: this script needs bash 4.4 or newer: run it with bash\n');
  });

  it('stops under bash in POSIX mode', () => {
    writeFileSync(box.path('backup.sh'), runCli(['plan', ...args]).stdout);
    const result = spawnSync('bash', ['--posix', box.path('backup.sh')], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('not in POSIX mode: run it with bash');
  });
});
