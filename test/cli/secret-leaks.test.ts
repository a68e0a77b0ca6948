import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliAsync } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { filesHolding } from '../helpers/secret-scan.js';

/** What no output, script or saved plan may show: each secret of the cases below, or a piece of it. */
const SITE = `[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "docs"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = docs\n`;

const backup = (lines: string) => `[point]\n${lines}\n`;

describe('secrets in messages', () => {
  let box: Sandbox;
  beforeEach(() => {
    box = makeSandbox('polyarchiv-secret-leaks-');
  });
  afterEach(() => box.remove());

  /** Validates a configuration of one collect point and `backup` as b.backup; its output. */
  async function validate(backupText: string, site = SITE): Promise<string> {
    box.write({ 'data/a.txt': 'a\n', 'c/site.collect': site, 'c/b.backup': backupText });
    const run = await runCliAsync(['validate', '-C', box.path('c'), '--set', `root=${box.root}`]);
    return `${run.stdout}${run.stderr}`;
  }

  it.each([
    // [b.backup, the secret, what the error says]
    [
      'engine = archive\nremote_url = https://bob:pass/word@dav.example.org/x/{name}.tar.gz',
      'pass/word',
      "'https://bob:***@dav.example.org/x/{name}.tar.gz' (= 'https://bob:***@dav.example.org/x/site.tar.gz') (expected a password with '/', '?' and '#' %-escaped (%2F",
    ],
    [
      'engine = archive\nremote_url = ftp://bob:pass/word@ftp.example.org/x/{name}.tar.gz',
      'pass/word',
      "'ftp://bob:***@ftp.example.org/x/{name}.tar.gz'",
    ],
    [
      'engine = synchronize\nremote_url = {root}/m/{name}\nmetadata_url = https://bob:pass/word@dav.example.org/x/',
      'pass/word',
      "bad value for option 'metadata_url' (for collect point 'site'): 'https://bob:***@dav.example.org/x/'",
    ],
    [
      'engine = synchronize\nremote_url = https://bob:ab?cd@dav.example.org/x/{name}',
      'ab?cd',
      "'https://bob:***@dav.example.org/x/{name}'",
    ],
    [
      'engine = synchronize\nremote_url = https://bob:ab#cd@dav.example.org/x/{name}',
      'ab#cd',
      "'https://bob:***@dav.example.org/x/{name}'",
    ],
    [
      'engine = git\nremote_url = https://bob:a?b@git.example.org/{name}.git',
      'a?b',
      "'https://bob:***@git.example.org/{name}.git'",
    ],
    [
      'engine = restic\nremote_url = rest:https://bob:a#b@host/repo\npassword = x',
      'a#b',
      "'rest:https://bob:***@host/repo'",
    ],
    [
      'engine = restic\nremote_url = {root}/restic\npassword = {Xk9mP2qL7}',
      'Xk9mP2qL7',
      "option 'password' (for collect point 'site') holds text in braces that is not a known variable (a secret: its value is not shown) (write {{ and }} for braces that are part of the secret)",
    ],
    [
      'engine = restic\nremote_url = rest:https://bob:{Xk9mP2qL}@host/repo\npassword = x',
      'Xk9mP2qL',
      "the password in option 'remote_url' (for collect point 'site') holds text in braces that is not a known variable: 'rest:https://bob:***@host/repo' (write {{ and }} for braces",
    ],
    [
      'engine = archive\nremote_url = https://bob:pa ss@dav.example.org/x/{name}',
      'pa ss',
      "remote_url 'https://bob:***@dav.example.org/x/{name}' is not a .tar.gz",
    ],
  ])('%s: the error does not show %s', async (backupText, secret, expected) => {
    const output = await validate(backup(backupText));
    expect(output).toContain(expected);
    expect(output).not.toContain(secret);
  });

  it('a source password with braces is not shown, nor what its braces hold', async () => {
    const site = `${SITE.replace('[source "docs"]', '[source "db"]\nengine = postgresql\ndatabase = x\npassword = Sup3r{Secret}x\n\n[source "docs"]')}`;
    const output = await validate(backup('engine = synchronize\nremote_url = {root}/m/{name}'), site);
    expect(output).toContain("error: option 'password' holds text in braces that is not a known variable");
    for (const piece of ['Sup3r', 'Secret']) expect(output).not.toContain(piece);
  });

  it('literal braces in a secret are written doubled', async () => {
    const output = await validate(backup('engine = restic\nremote_url = {root}/restic\npassword = a{{b}}c'));
    expect(output).toContain('configuration is valid');
  });

  it('a port followed by a path with an @ is no password', async () => {
    const output = await validate(
      backup('engine = synchronize\nremote_url = https://dav.example.org:8443/files/me@example.org/{name}'),
    );
    expect(output).toContain('configuration is valid');
  });

  it('config --show masks a URL password with a space, and every variable a secret is made of', async () => {
    box.write({
      'data/a.txt': 'a\n',
      'c/site.collect': SITE,
      'c/b.backup':
        '[variables]\ndbpw = VarSecret123\nurlpw = UrlSecret456\nplain = shown-value\n\n[point]\nengine = restic\nremote_url = rest:https://bob:{urlpw}@host/{plain}\npassword = {dbpw}\n',
      'c/dav.backup':
        '[point]\nengine = synchronize\nremote_url = https://bob:pa ss@dav.example.org/x/{name}\n',
    });
    const run = await runCliAsync(['config', '--show', '-C', box.path('c'), '--set', `root=${box.root}`]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('dbpw = (secret, not shown)');
    expect(run.stdout).toContain('urlpw = (secret, not shown)');
    expect(run.stdout).toContain('plain = shown-value');
    expect(run.stdout).toContain('remote_url = https://bob:***@dav.example.org/x/{name}');
    for (const secret of ['VarSecret123', 'UrlSecret456', 'pa ss']) expect(run.stdout).not.toContain(secret);
  });
});

describe('a --set variable that a secret is made of', () => {
  let box: Sandbox;
  beforeEach(() => {
    box = makeSandbox('polyarchiv-secret-set-');
    box.write({
      'data/a.txt': 'a\n',
      'c/site.collect': SITE,
      'out/.keep': '',
      'c/b.backup': `[variables]\ndbpw = VarSecret123\n\n[point]\nengine = restic\nremote_url = {root}/restic\npassword = {dbpw}\n`,
    });
  });
  afterEach(() => box.remove());

  const args = () => ['-C', box.path('c'), '--set', `root=${box.root}`, '--set', 'dbpw=SetSecret000'];

  it('is named without its value in the script header and the saved plan', async () => {
    const review = ['--review', '--now', '2026-01-01T00:00:00Z', '--set', 'fqdn=host.example'];
    const [script, json] = await Promise.all([
      runCliAsync(['plan', ...args(), ...review, '--out', box.path('out/plan.sh')]),
      runCliAsync(['plan', '--format', 'json', ...args(), '--out', box.path('out/plan.json')]),
    ]);
    expect(script.code, script.stderr).toBe(0);
    expect(json.code, json.stderr).toBe(0);
    for (const secret of ['SetSecret000', 'VarSecret123'])
      expect(filesHolding(box.path('out'), secret), secret).toEqual([]);
    const header = readFileSync(box.path('out/plan.sh'), 'utf8').split('\n')[2];
    expect(header).toContain("--set 'dbpw=(secret)'");
    const saved = JSON.parse(readFileSync(box.path('out/plan.json'), 'utf8'));
    expect(saved.regenerate).toContain("--set 'dbpw=(secret)'");
    expect(saved.pinned).toEqual({ root: box.root });
    expect(saved.withheld).toEqual(['dbpw']);
    // The header renders the same script again.
    const check = await runCliAsync(['plan', '--check', box.path('out/plan.sh')]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });

  it('leaves the secrets made of it to the environment when a saved plan runs', async () => {
    const saved = await runCliAsync(['plan', '--format', 'json', ...args(), '--out', box.path('plan.json')]);
    expect(saved.code, saved.stderr).toBe(0);
    const run = await runCliAsync(['apply', box.path('plan.json')]);
    // Not the configuration's VarSecret123, which the plan was not made with.
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('secret variables not set: POLYARCHIV_SECRET_B_SITE_PASSWORD');
  });

  it("warns a run that its value is in the run's command line, which every user reads", async () => {
    const [run, plan] = await Promise.all([
      runCliAsync(['backup', '--dry', ...args()]),
      runCliAsync(['plan', ...args(), '--out', box.path('out/plan.sh')]),
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(
      "--set dbpw=...: a secret is made of this variable, and every user of this machine can read its value in this run's command line (ps, /proc) while it runs",
    );
    expect(run.stderr).not.toContain('SetSecret000');
    // `plan` holds it for the moment it plans; its script takes secrets from the environment.
    expect(plan.stderr).not.toContain('--set dbpw');
  });

  it('is embedded by --include-secrets as given', async () => {
    const run = await runCliAsync(['plan', ...args(), '--include-secrets', '--out', box.path('s.sh')]);
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(box.path('s.sh'), 'utf8')).toContain(
      'POLYARCHIV_SECRET_B_SITE_PASSWORD=SetSecret000',
    );
  });
});
