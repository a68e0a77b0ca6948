import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'script');
const REFUSAL =
  'this restore deletes or overwrites live data and there is no terminal to confirm it on: nothing was changed; run it again with --yes';

describe.runIf(canRun)('a restore that deletes or overwrites live files', () => {
  let box: Sandbox;
  let args: string[];
  beforeEach(() => {
    box = makeSandbox('polyarchiv-confirm-');
    box.write({
      'config/site.collect':
        '[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "www"]\nengine = local_files\nsource_path = {root}/www\ndestination_path = www\n',
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = file://{root}/mirror/{name}\n',
      'www/index.html': 'backed up\n',
      'www/kept.txt': 'unchanged\n',
    });
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
    expect(runCli(['backup', ...args]).code).toBe(0);
    // Since the backup: a new file, a changed one.
    writeFileSync(box.path('www/late.txt'), 'written after the backup\n');
    writeFileSync(box.path('www/index.html'), 'changed after the backup\n');
    // The collect point is lost too: a refused restore must not even fetch it back.
    rmSync(box.path('collect'), { recursive: true });
  });
  afterEach(() => box.remove());

  const untouched = () => {
    expect(readFileSync(box.path('www/late.txt'), 'utf8')).toBe('written after the backup\n');
    expect(readFileSync(box.path('www/index.html'), 'utf8')).toBe('changed after the backup\n');
    expect(existsSync(box.path('collect'))).toBe(false);
  };
  const restored = () => {
    expect(existsSync(box.path('www/late.txt'))).toBe(false);
    expect(readFileSync(box.path('www/index.html'), 'utf8')).toBe('backed up\n');
    expect(readFileSync(box.path('www/kept.txt'), 'utf8')).toBe('unchanged\n');
  };
  const script = () => {
    const plan = runCli(['plan', '--restore', '--from', 'mirror', ...args]);
    expect(plan.code, plan.stderr).toBe(0);
    writeFileSync(box.path('restore.sh'), plan.stdout);
    return box.path('restore.sh');
  };
  /** Runs a command on a pseudo-terminal (script(1)), typing `answer`. */
  const onTerminal = (command: string, answer: string) =>
    spawnSync('script', ['-qec', command, '/dev/null'], {
      input: `${answer}\n`,
      encoding: 'utf8',
      env: { ...process.env, TZ: 'Europe/Paris' },
    });
  const quoted = (words: string[]) => words.map((w) => `'${w}'`).join(' ');

  it('is refused without a terminal and without --yes, before anything is touched (apply)', () => {
    const run = runCli(['restore', '--from', 'mirror', ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(REFUSAL);
    untouched();
  });

  it('is refused without a terminal and without --yes, before anything is touched (script)', () => {
    const file = script();
    const run = spawnSync('bash', [file], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('there is no terminal to confirm it on: nothing was changed');
    untouched();
    const typo = spawnSync('bash', [file, '--yse'], { encoding: 'utf8' });
    expect(typo.status).toBe(2);
    expect(typo.stderr).toContain('unknown argument: --yse (this script accepts --jobs N and --yes)');
    untouched();
  });

  it.each([
    ['apply --yes', () => runCli(['restore', '--yes', '--from', 'mirror', ...args])],
    [
      'the script with --yes',
      () => {
        const run = spawnSync('bash', [script(), '--yes'], { encoding: 'utf8' });
        return { code: run.status, stderr: run.stderr };
      },
    ],
    [
      'the script with POLYARCHIV_YES=1',
      () => {
        const run = spawnSync('bash', [script()], {
          encoding: 'utf8',
          env: { ...process.env, POLYARCHIV_YES: '1' },
        });
        return { code: run.status, stderr: run.stderr };
      },
    ],
  ])('lists the deletions and overwrites, then restores, with %s', (_, restore) => {
    const run = restore();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(
      `becomes the backed-up copy; files created there since the backup are deleted`,
    );
    expect(run.stderr).toMatch(/^\*deleting +late\.txt$/m);
    expect(run.stderr).toMatch(/^>f\S* index\.html$/m);
    expect(run.stderr).not.toMatch(/ kept\.txt$/m);
    restored();
  });

  it('asks on a terminal: no keeps the live files, yes restores them (apply and script)', () => {
    const apply = quoted([process.execPath, CLI, 'restore', '--from', 'mirror', ...args]);
    const declined = onTerminal(apply, 'n');
    expect(declined.status).toBe(1);
    expect(declined.stdout).toContain('go on? y/[N]');
    expect(declined.stdout).toContain('not confirmed: nothing was replaced');
    expect(readFileSync(box.path('www/late.txt'), 'utf8')).toBe('written after the backup\n');
    const file = script();
    const declinedScript = onTerminal(quoted(['bash', file]), 'n');
    expect(declinedScript.status).toBe(1);
    expect(declinedScript.stdout).toContain('not confirmed: nothing was replaced');
    expect(readFileSync(box.path('www/late.txt'), 'utf8')).toBe('written after the backup\n');

    const accepted = onTerminal(quoted(['bash', file]), 'y');
    expect(accepted.status, accepted.stdout).toBe(0);
    expect(accepted.stdout).toMatch(/\*deleting +late\.txt/);
    restored();
  });

  it('runs nothing with --dry, without --yes', () => {
    const dry = runCli(['restore', '--dry', '--from', 'mirror', ...args]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain('polyarchiv_confirm');
    untouched();
  });
});
