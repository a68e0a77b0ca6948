import { mkdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultConfigDir, loadConfigDir } from '../../src/config/load.js';
import { Diagnostics, formatDiagnostic } from '../../src/diag/diagnostic.js';
import { makeSandbox } from '../helpers/sandbox.js';

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
      'error: cannot read configuration directory /nonexistent/polyarchiv: ENOENT (use -C DIR to choose another directory)',
    ]);
  });
});
