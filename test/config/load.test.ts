import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfigDir, loadConfigDir } from '../../src/config/load.js';
import { Diagnostics, formatDiagnostic } from '../../src/diag/diagnostic.js';
import { CLI } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';

describe('the configuration directory', () => {
  it('defaults like the original: /etc under /usr, PREFIX/etc next to a bin directory, else ./config', () => {
    expect(defaultConfigDir('/usr/bin/node')).toBe('/etc/polyarchiv');
    expect(defaultConfigDir('/opt/venv/bin/node')).toBe('/opt/venv/etc/polyarchiv');
    expect(defaultConfigDir('/root/.nvm/versions/node/v20/bin/node')).toBe(
      '/root/.nvm/versions/node/v20/etc/polyarchiv',
    );
    expect(defaultConfigDir('/srv/node')).toBe('config');
  });

  it('reads globals, then collect points, then backup points, each sorted, skipping the rest', () => {
    const box = makeSandbox();
    box.write({
      'b.collect': '',
      'a.collect': '',
      'z.global': '',
      'm.backup': '',
      'notes.txt': '',
      '.hidden.collect': '',
      'site.collect~': '',
    });
    mkdirSync(box.path('dir.collect'));
    const diagnostics = new Diagnostics();
    const input = loadConfigDir(box.root, diagnostics);
    expect(input.files.map((f) => f.name)).toEqual(['z.global', 'a.collect', 'b.collect', 'm.backup']);
    expect(diagnostics.items).toEqual([]);
    box.remove();
  });

  it('says so when the directory is missing', () => {
    const diagnostics = new Diagnostics();
    loadConfigDir('/nonexistent/polyarchiv', diagnostics);
    expect(diagnostics.items.map(formatDiagnostic)).toEqual([
      'error: cannot read configuration directory /nonexistent/polyarchiv: does not exist (use -C DIR to choose another directory)',
    ]);
  });
});

describe('unreadable configuration files', () => {
  // As root everything is readable: the CLI then runs as nobody, like a non-root operator.
  const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  const user = process.getuid?.() === 0 ? '65534' : String(process.env.USER ?? process.getuid?.());
  const runAs = (box: Sandbox, ...args: string[]) =>
    spawnSync(process.execPath, [CLI, ...args, '-C', box.path('config')], { encoding: 'utf8', ...asNobody });
  let box: Sandbox;
  beforeEach(() => {
    box = makeSandbox();
    box.write({
      'config/site.collect': '[point]\nengine = files\nlocal_path = /srv/site\n',
      'config/secret.backup': '[point]\nengine = synchronize\nremote_url = /backups/{name}\n',
    });
    chmodSync(box.path('config/secret.backup'), 0o000);
    chmodSync(box.root, 0o755);
  });
  afterEach(() => box.remove());

  it('refuse a plan and a validation: the points of the file would silently not run', () => {
    for (const args of [['plan', '--format', 'text'], ['validate'], ['backup'], ['restore']]) {
      const result = runAs(box, ...args);
      expect([result.status, result.stdout, result.stderr], args.join(' ')).toEqual([
        2,
        '',
        `error: user ${user} cannot read secret.backup: the points it defines would not run (make it readable by this user, or run polyarchiv as a user who can read it)\n  at secret.backup\n1 error: nothing was run or written\n`,
      ]);
    }
  });

  it('are skipped with a notice by config, which shows what it can read', () => {
    const result = runAs(box, 'config');
    expect(result.stderr).toMatch(
      /^notice: secret\.backup is ignored because user \S+ cannot read it\n {2}at secret\.backup\n/,
    );
    expect(result.stdout).toContain('collect point site');
  });
});
