import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum', 'shellcheck', 'diff');
const EXAMPLE = new URL('../../examples/ci/', import.meta.url).pathname;

const CONFIG = {
  'config/site.collect':
    '[point]\nengine = files\nlocal_path = {root}/collect/{name}\nfrequency = daily\n\n[source "data"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = data\n',
  'config/mirror.backup':
    '[point]\nengine = synchronize\nremote_url = {root}/mirror/{fqdn}/{name}\nfrequency = daily\n',
};

describe.runIf(canRun)('plan --review and plan --check', () => {
  let box: Sandbox;
  let review: string[];
  beforeEach(() => {
    box = makeSandbox('polyarchiv-review-');
    box.write({ ...CONFIG, 'data/a.txt': 'a\n' });
    review = ['plan', '--review', '-C', box.path('config'), '--set', `root=${box.root}`];
  });
  afterEach(() => box.remove());
  const pinned = ['--now', '2026-03-01T03:00:00+01:00', '--set', 'fqdn=web1.example.org'];

  it('renders the same bytes whatever the machine recorded, and plain plan does not', () => {
    const before = runCli([...review, ...pinned]);
    const plainBefore = runCli(['plan', '-C', box.path('config'), '--set', `root=${box.root}`, ...pinned]);
    expect(before.code).toBe(0);
    const backup = runCli([
      'backup',
      '-C',
      box.path('config'),
      '--set',
      `root=${box.root}`,
      '--now',
      '2026-03-01T03:00:00+01:00',
    ]);
    expect(backup.code, backup.stderr).toBe(0);
    const after = runCli([...review, ...pinned]);
    const plainAfter = runCli(['plan', '-C', box.path('config'), '--set', `root=${box.root}`, ...pinned]);
    expect(after.stdout).toBe(before.stdout);
    // The plain render reads the state the backup wrote: nothing is due any more.
    expect(plainAfter.stdout).not.toBe(plainBefore.stdout);
    expect(before.stdout).toContain('# Review render:');
    expect(before.stdout).toContain(`${box.root}/mirror/web1.example.org/site`);
    expect(before.stdout).toContain('# Selection: --review (every point as due, no state read)');
  });

  it('renders points that are not due as due', () => {
    runCli([
      'backup',
      '-C',
      box.path('config'),
      '--set',
      `root=${box.root}`,
      '--now',
      '2026-03-01T03:00:00+01:00',
    ]);
    const text = runCli([...review, ...pinned, '--format', 'text']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('due in a review render');
    expect(text.stdout).not.toContain('not due');
  });

  it('gives a script that shellcheck passes and that refuses to run, touching nothing', () => {
    const script = box.path('review.sh');
    expect(runCli([...review, ...pinned, '--out', script]).code).toBe(0);
    const lint = spawnSync('shellcheck', ['--enable=all', '--shell=bash', script], { encoding: 'utf8' });
    expect(lint.stdout).toBe('');
    const run = spawnSync('bash', [script], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('review render');
    expect(run.stderr).toContain('polyarchiv plan, without --review');
    expect(readdirSync(box.root).sort()).toEqual(['config', 'data', 'review.sh']);
  });

  it('--check exits 0 on a matching script, 1 with a unified diff after a change', () => {
    const script = box.path('review.sh');
    expect(runCli([...review, ...pinned, '--out', script]).code).toBe(0);
    const same = runCli(['plan', '--check', script]);
    expect(same.stdout).toBe('');
    expect(same.code, same.stderr).toBe(0);
    writeFileSync(
      box.path('config/mirror.backup'),
      CONFIG['config/mirror.backup'].replace('{fqdn}', '{hostname}'),
    );
    const changed = runCli(['plan', '--check', script]);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain(`--- ${script}`);
    expect(changed.stdout).toMatch(/^-.*mirror\/web1\.example\.org\/site/m);
    expect(changed.stdout).toMatch(/^\+.*mirror\/web1\/site/m);
    expect(changed.stderr).toContain('regenerate it with: polyarchiv plan --review');
    // Regenerating with the recorded command line makes it match again.
    expect(runCli([...review, ...pinned, '--out', script]).code).toBe(0);
    expect(runCli(['plan', '--check', script]).code).toBe(0);
  });

  it('--check notes that a plain render depends on the machine', () => {
    const script = box.path('plain.sh');
    const args = ['plan', '-C', box.path('config'), '--set', `root=${box.root}`, ...pinned, '--out', script];
    expect(runCli(args).code).toBe(0);
    const check = runCli(['plan', '--check', script]);
    expect(check.code).toBe(0);
    expect(check.stderr).toContain('is not a review render');
  });

  it.each([
    [['--now', '2026-03-01T03:00:00+01:00'], 'add --set fqdn=HOST'],
    [['--set', 'fqdn=web1'], 'add --now TIME'],
    [[...pinned, '--include-secrets'], 'never embeds secret values'],
    [[...pinned, '--restore'], 'a restore depends on the backups this machine recorded'],
  ])('plan --review %j is refused: %s', (extra, message) => {
    const result = runCli([...review, ...extra]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe('');
  });

  it('--check refuses other flags, files that are not renders, and unreadable files', () => {
    const script = box.path('review.sh');
    runCli([...review, ...pinned, '--out', script]);
    const extra = runCli(['plan', '--check', script, '--force']);
    expect([extra.code, extra.stderr]).toEqual([2, expect.stringContaining('drop --force')]);
    writeFileSync(box.path('other.sh'), '#!/bin/sh\necho hi\n');
    const other = runCli(['plan', '--check', box.path('other.sh')]);
    expect([other.code, other.stderr]).toEqual([
      2,
      expect.stringContaining('not a script rendered by polyarchiv plan'),
    ]);
    const missing = runCli(['plan', '--check', box.path('none.sh')]);
    expect([missing.code, missing.stderr]).toEqual([
      2,
      expect.stringContaining('cannot read the script: does not exist'),
    ]);
    writeFileSync(script, readFileSync(script, 'utf8').replace('--set', '--sett'));
    const bad = runCli(['plan', '--check', script]);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('not one this version understands')]);
    expect(bad.stderr).not.toMatch(/^\s+at /m);
  });
});

describe.runIf(canRun)('examples/ci', () => {
  let box: Sandbox;
  beforeEach(() => {
    box = makeSandbox('polyarchiv-ci-');
    // `polyarchiv` on PATH, as the CI jobs install it.
    writeFileSync(box.path('polyarchiv'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
    chmodSync(box.path('polyarchiv'), 0o755);
    cpSync(EXAMPLE, box.path('polyarchiv-config'), { recursive: true });
  });
  afterEach(() => box.remove());
  const check = (dir: string) =>
    spawnSync(`${dir}/check.sh`, [], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${box.root}:${process.env.PATH}` },
    });

  it('the GitHub and GitLab jobs run check.sh, which passes on the committed render', () => {
    for (const job of ['github-actions.yml', 'gitlab-ci.yml'])
      expect(readFileSync(`${EXAMPLE}${job}`, 'utf8')).toContain('polyarchiv/check.sh');
    const result = check(EXAMPLE);
    expect(result.stdout).toContain('configuration is valid');
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  it('check.sh fails with the diff when the configuration changes and the render does not', () => {
    const dir = box.path('polyarchiv-config');
    const backup = `${dir}/offsite.backup`;
    writeFileSync(backup, readFileSync(backup, 'utf8').replace('daily:4', 'daily:5'));
    const result = check(dir);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^-# {3}e07089e0053b/m);
  });
});
