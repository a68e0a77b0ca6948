import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { startOnTerminal, waitFor } from '../helpers/run-control.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'script');
const REFUSAL =
  'this restore may delete or overwrite live data and there is no terminal to confirm it on: nothing was changed; run it again with --yes';
const WARNING = 'becomes the backed-up copy; files created there since the backup are deleted';

/** A site of a dozen pages: one file more or one changed is far from the copy guard's limits. */
function site(dir: string): Record<string, string> {
  const files: Record<string, string> = {
    [`${dir}/index.html`]: 'backed up\n',
    [`${dir}/kept.txt`]: 'unchanged\n',
  };
  for (let i = 1; i <= 10; i++) files[`${dir}/page-${i}.html`] = `<p>page ${i} of the site</p>\n`;
  return files;
}

describe.runIf(canRun)('a restore that deletes or overwrites live files', () => {
  let box: Sandbox;
  let args: string[];
  beforeEach(() => {
    box = makeSandbox('polyarchiv-confirm-');
    box.write({
      'config/site.collect':
        '[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "www"]\nengine = local_files\nsource_path = {root}/www\ndestination_path = www\n',
      'config/blog.collect':
        '[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "posts"]\nengine = local_files\nsource_path = {root}/blog\ndestination_path = posts\n',
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = file://{root}/mirror/{name}\n',
      ...site('www'),
      ...site('blog'),
    });
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
    expect(runCli(['backup', ...args]).code).toBe(0);
    // Since the backup: a new file, a changed one, in both live directories.
    for (const dir of ['www', 'blog']) {
      writeFileSync(box.path(`${dir}/late.txt`), 'written after the backup\n');
      writeFileSync(box.path(`${dir}/index.html`), 'changed after the backup\n');
    }
    // The collect points are lost too: a refused restore must not even fetch them back.
    rmSync(box.path('collect'), { recursive: true });
  });
  afterEach(() => box.remove());

  const untouched = (dir = 'www') => {
    expect(readFileSync(box.path(`${dir}/late.txt`), 'utf8')).toBe('written after the backup\n');
    expect(readFileSync(box.path(`${dir}/index.html`), 'utf8')).toBe('changed after the backup\n');
    // Not even the directory where rsync holds updated files was created in it.
    expect(existsSync(box.path(`${dir}/.~polyarchiv~`))).toBe(false);
  };
  const restored = (dir = 'www') => {
    expect(existsSync(box.path(`${dir}/late.txt`))).toBe(false);
    expect(readFileSync(box.path(`${dir}/index.html`), 'utf8')).toBe('backed up\n');
    expect(readFileSync(box.path(`${dir}/kept.txt`), 'utf8')).toBe('unchanged\n');
  };
  const script = (more: string[] = []) => {
    const plan = runCli(['plan', '--restore', '--from', 'mirror', ...more, ...args]);
    expect(plan.code, plan.stderr).toBe(0);
    writeFileSync(box.path('restore.sh'), plan.stdout);
    return box.path('restore.sh');
  };
  const bash = (file: string, words: string[] = [], env: Record<string, string> = {}) => {
    const run = spawnSync('bash', [file, ...words], { encoding: 'utf8', env: { ...process.env, ...env } });
    return { code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
  };
  /** Runs a command on a pseudo-terminal (script(1)), typing the answers. */
  const onTerminal = (command: string, ...answers: string[]) =>
    spawnSync('script', ['-qec', command, '/dev/null'], {
      input: answers.map((a) => `${a}\n`).join(''),
      encoding: 'utf8',
      env: { ...process.env, TZ: 'Europe/Paris' },
    });
  const quoted = (words: string[]) => words.map((w) => `'${w}'`).join(' ');
  const only = ['--only-collect-points', 'site'];

  it('is refused without a terminal and without --yes, before anything is touched (apply)', () => {
    const run = runCli(['restore', '--from', 'mirror', ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${REFUSAL} (or POLYARCHIV_YES=1)`);
    untouched();
    untouched('blog');
    expect(existsSync(box.path('collect'))).toBe(false);
  });

  it('is refused without a terminal and without --yes, before anything is touched (script)', () => {
    const file = script();
    const run = bash(file);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${REFUSAL} (or POLYARCHIV_YES=1)`);
    untouched();
    expect(existsSync(box.path('collect'))).toBe(false);
    const typo = bash(file, ['--yse']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain(
      'unknown argument: --yse (this script accepts --jobs N, -q, --yes and --log-file FILE)',
    );
    untouched();
  });

  it.each([
    ['apply --yes', () => runCli(['restore', '--yes', '--from', 'mirror', ...only, ...args])],
    ['apply -y', () => runCli(['restore', '-y', '--from', 'mirror', ...only, ...args])],
    [
      'apply with POLYARCHIV_YES=1',
      () => runCli(['restore', '--from', 'mirror', ...only, ...args], { POLYARCHIV_YES: '1' }),
    ],
    ['the script with --yes', () => bash(script(only), ['--yes'])],
    ['the script with -y', () => bash(script(only), ['-y'])],
    ['the script with POLYARCHIV_YES=1', () => bash(script(only), [], { POLYARCHIV_YES: '1' })],
  ])('fetches, judges, lists the deletions and overwrites, then restores, with %s', (_, restore) => {
    const run = restore();
    expect(run.code, run.stderr).toBe(0);
    const out = run.stderr;
    expect(out).toContain(WARNING);
    expect(out).toMatch(/^\*deleting +late\.txt$/m);
    expect(out).toMatch(/^>f\S* index\.html$/m);
    expect(out).not.toMatch(/ kept\.txt$/m);
    // The holding directories rsync works in are no change of the user's.
    expect(out).not.toMatch(/^(?!polyarchiv: ).*\.~polyarchiv~/m);
    // After the fetch, before the copy into the live directory.
    expect(out.indexOf('update the copy of "site" fetched')).toBeLessThan(out.indexOf(WARNING));
    expect(out.indexOf('*deleting')).toBeLessThan(out.indexOf('restore source "www" into'));
    restored();
    untouched('blog');
  });

  // A closed window or a dropped ssh session while the question waits: no answer can come.
  it.each(['apply', 'the script'] as const)(
    'takes a terminal that hangs up at the question for a no, and ends the run cleanly (%s)',
    async (how) => {
      const command =
        how === 'apply'
          ? [process.execPath, CLI, 'restore', '--from', 'mirror', ...only, ...args]
          : ['bash', script(only)];
      const run = startOnTerminal(command[0] as string, command.slice(1));
      await waitFor(() => run.printed().includes('go on? y/[N]'), 'the question');
      run.hangUp();
      const exit = await run.exited;
      expect(exit.status, exit.output).toBe(1);
      untouched();
    },
  );

  it('asks on a terminal: no keeps the live files, yes restores them (apply and script)', () => {
    const apply = quoted([process.execPath, CLI, 'restore', '--from', 'mirror', ...only, ...args]);
    const declined = onTerminal(apply, 'n');
    expect(declined.status).toBe(1);
    expect(declined.stdout).toMatch(/\*deleting +late\.txt/);
    expect(declined.stdout).toContain('go on? y/[N]');
    expect(declined.stdout).toContain('not confirmed: nothing was replaced');
    untouched();
    const file = script(only);
    const declinedScript = onTerminal(quoted(['bash', file]), 'n');
    expect(declinedScript.status).toBe(1);
    expect(declinedScript.stdout).toContain('not confirmed: nothing was replaced');
    untouched();

    const accepted = onTerminal(quoted(['bash', file]), 'y');
    expect(accepted.status, accepted.stdout).toBe(0);
    expect(accepted.stdout).toMatch(/\*deleting +late\.txt/);
    restored();
    untouched('blog');
  });

  it('asks once per source, one unit at a time, even with --jobs 2 (apply and script)', () => {
    const apply = quoted([process.execPath, CLI, 'restore', '--jobs', '2', '--from', 'mirror', ...args]);
    const run = onTerminal(apply, 'y', 'n');
    expect(run.status, run.stdout).toBe(1);
    expect(run.stdout.split('go on? y/[N]')).toHaveLength(3);
    // blog's collect file sorts first: its list, its question, its copy, then site's.
    const blogList = run.stdout.indexOf('source "posts"');
    const siteList = run.stdout.indexOf('source "www"');
    expect(blogList).toBeGreaterThan(-1);
    expect(run.stdout.indexOf('restore source "posts" into')).toBeLessThan(siteList);
    restored('blog');
    untouched();

    rmSync(box.path('collect'), { recursive: true });
    writeFileSync(box.path('blog/late.txt'), 'written after the backup\n');
    const viaScript = onTerminal(quoted(['bash', script(), '--jobs', '2']), 'n', 'y');
    expect(viaScript.status, viaScript.stdout).toBe(1);
    expect(viaScript.stdout.split('go on? y/[N]')).toHaveLength(3);
    expect(readFileSync(box.path('blog/late.txt'), 'utf8')).toBe('written after the backup\n');
    restored();
  });

  it.each([
    ['apply', () => runCli(['restore', '--yes', '--jobs', '2', '--from', 'mirror', ...args])],
    ['the script', () => bash(script(), ['--yes', '--jobs', '2'])],
  ])("keeps each unit's list with its output when units run side by side (%s)", (_, restore) => {
    const run = restore();
    expect(run.code, run.stderr).toBe(0);
    for (const [unit, source, other] of [
      ['restore:blog', 'posts', 'restore:site'],
      ['restore:site', 'www', 'restore:blog'],
    ] as const) {
      const start = run.stderr.indexOf(`polyarchiv: ${unit}\n`);
      const end = run.stderr.indexOf(`restore source "${source}" into`, start);
      const block = run.stderr.slice(start, end);
      expect(block).toContain(`source "${source}": `);
      expect(block).toMatch(/^\*deleting +late\.txt$/m);
      expect(block).not.toContain(other);
    }
    restored();
    restored('blog');
  });

  it('judges the copy before listing or asking: a live directory that grew far beyond it is refused', () => {
    for (let i = 1; i <= 40; i++) writeFileSync(box.path(`www/upload-${i}.bin`), 'x'.repeat(100));
    const apply = quoted([process.execPath, CLI, 'restore', '--from', 'mirror', ...only, ...args]);
    const refused = onTerminal(apply);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toContain('would shrink by more than 50% (max_shrink_percent)');
    expect(refused.stdout).not.toContain('go on?');
    expect(refused.stdout).not.toContain('*deleting');
    expect(existsSync(box.path('www/upload-40.bin'))).toBe(true);
    untouched();
    const viaScript = onTerminal(quoted(['bash', script(only)]));
    expect(viaScript.status).toBe(1);
    expect(viaScript.stdout).not.toContain('go on?');
    untouched();
    // The restore is meant: --allow-shrink lets the guard pass, the list and the question follow.
    const allowed = onTerminal(`${apply} --allow-shrink`, 'y');
    expect(allowed.status, allowed.stdout).toBe(0);
    expect(allowed.stdout).toContain('accepted: --allow-shrink');
    expect(allowed.stdout).toMatch(/\*deleting +upload-40\.bin/);
    expect(existsSync(box.path('www/upload-40.bin'))).toBe(false);
    restored();
  });

  it.each([
    ['apply', () => runCli(['restore', '--yes', '--from', 'mirror', ...only, ...args])],
    ['the script', () => bash(script(only), ['--yes'])],
  ])(
    'judges every source of a collect point before restoring any: one refused leaves the others as they were, with %s',
    (_, restore) => {
      box.write({
        'config/site.collect':
          '[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "www"]\nengine = local_files\nsource_path = {root}/www\ndestination_path = www\n\n[source "assets"]\nengine = local_files\nsource_path = {root}/assets\ndestination_path = assets\n',
        ...site('assets'),
      });
      expect(runCli(['backup', '--force', ...args]).code).toBe(0);
      // The second source's live directory grew far beyond its copy: its restore is refused.
      for (let i = 1; i <= 40; i++) writeFileSync(box.path(`assets/upload-${i}.bin`), 'x'.repeat(100));
      const run = restore();
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('would shrink by more than 50% (max_shrink_percent)');
      expect(run.stderr).not.toContain('restore source "www" into');
      // The first source, whose copy passed, was not restored alone.
      untouched('www');
      expect(existsSync(box.path('assets/upload-40.bin'))).toBe(true);
    },
  );

  it.each([
    ['apply', () => runCli(['restore', '--yes', '--allow-shrink', '--from', 'mirror', ...only, ...args])],
    ['the script', () => bash(script(['--allow-shrink', ...only]), ['--yes'])],
  ])('lists the first 200 changes and counts the others, with %s', (_, restore) => {
    for (let i = 0; i < 300; i++) writeFileSync(box.path(`www/new-${i}.txt`), `${i}\n`);
    const run = restore();
    expect(run.code, run.stderr).toBe(0);
    const listed = run.stderr.split('\n').filter((line) => /^(\*deleting|[<>.ch][fdLDS]) /.test(line));
    expect(listed).toHaveLength(200);
    // 302 changes at least: 300 files and late.txt deleted, index.html overwritten.
    const counted = /\.\.\. and (\d+) more not listed \(deletions among them: (\d+)\)/.exec(run.stderr);
    expect(counted, run.stderr).not.toBeNull();
    const [more, deletions] = [Number(counted?.[1]), Number(counted?.[2])];
    expect(more).toBeGreaterThanOrEqual(102);
    expect(deletions).toBeLessThanOrEqual(more);
    expect(listed.filter((line) => line.startsWith('*deleting')).length + deletions).toBeGreaterThanOrEqual(
      301,
    );
    restored();
    expect(existsSync(box.path('www/new-0.txt'))).toBe(false);
  });

  it('--dry lists the changes against the collect copy when there is one, and touches nothing', () => {
    const missing = runCli(['restore', '--dry', '--from', 'mirror', ...only, ...args]);
    expect(missing.code, missing.stderr).toBe(0);
    expect(missing.stderr).toContain(WARNING);
    expect(missing.stderr).toContain('the copy is not in the collect point yet');
    untouched();
    expect(existsSync(box.path('collect'))).toBe(false);

    // A collect copy as the last backup left it.
    expect(runCli(['backup', '--force', ...only, ...args]).code).toBe(0);
    writeFileSync(box.path('www/later.txt'), 'written after that backup\n');
    const dry = runCli(['restore', '--dry', '--from', 'mirror', ...only, ...args]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain("against the collect point's copy as it is now");
    expect(dry.stderr).toMatch(/^\*deleting +later\.txt$/m);
    expect(readFileSync(box.path('www/later.txt'), 'utf8')).toBe('written after that backup\n');
  });

  it('plan --format text names every live directory it replaces', () => {
    const plan = runCli(['plan', '--restore', '--from', 'mirror', '--format', 'text', ...args]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('Live data this restore replaces');
    expect(plan.stdout).toContain(`source "www": ${box.path('www')} ${WARNING}`);
    expect(plan.stdout).toContain(`source "posts": ${box.path('blog')} ${WARNING}`);
    expect(plan.stdout).toContain('The files it deletes or overwrites are listed when it runs');
  });
});
