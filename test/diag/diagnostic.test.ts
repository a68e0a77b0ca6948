import { describe, expect, it } from 'vitest';
import { Diagnostics, formatDiagnostic } from '../../src/diag/diagnostic.js';

const origin = { file: 'site.backup', line: 4 };

describe('Diagnostics', () => {
  it('works a lazy hint out once, when the diagnostic is read, and never for a repeated one', () => {
    const diagnostics = new Diagnostics();
    let computed = 0;
    const hint = () => {
      computed++;
      return "did you mean 'remote_url'?";
    };
    for (let i = 0; i < 1000; i++)
      diagnostics.warning("unknown option 'remote_ulr' is ignored", origin, hint);
    expect(computed).toBe(0);
    expect(diagnostics.items).toHaveLength(1);
    expect(diagnostics.items.map(formatDiagnostic)).toEqual([
      "warning: unknown option 'remote_ulr' is ignored (did you mean 'remote_url'?)\n  at site.backup:4",
    ]);
    expect(diagnostics.items[0]?.hint).toBe("did you mean 'remote_url'?");
    expect(computed).toBe(1);
  });

  it('gives each file its diagnostics by line, files in the order the checks first reached them', () => {
    const diagnostics = new Diagnostics();
    diagnostics.error('unknown section', { file: 'site.collect', line: 9 });
    diagnostics.warning('private_key of site', { file: 'offsite.backup', line: 4 });
    diagnostics.error('bad local_path', { file: 'site.collect', line: 3 });
    diagnostics.warning('keytab', { file: 'offsite.backup', line: 5 });
    diagnostics.warning('private_key of other', { file: 'offsite.backup', line: 4 });
    diagnostics.error('no configuration file');
    diagnostics.error('bad frequency', { file: 'site.collect', line: 3 });
    expect(diagnostics.inFileOrder().map((d) => d.message)).toEqual([
      'bad local_path',
      'bad frequency',
      'unknown section',
      'private_key of site',
      'private_key of other',
      'keytab',
      'no configuration file',
    ]);
    // The order found stays as it was.
    expect(diagnostics.items.map((d) => d.message)[0]).toBe('unknown section');
  });

  it('shows no hint when a lazy hint finds nothing', () => {
    const diagnostics = new Diagnostics();
    diagnostics.warning("unknown option 'zzz' is ignored", origin, () => undefined);
    expect(diagnostics.items.map(formatDiagnostic)).toEqual([
      "warning: unknown option 'zzz' is ignored\n  at site.backup:4",
    ]);
  });

  it('keeps the same message at another line, another severity or without origin', () => {
    const diagnostics = new Diagnostics();
    diagnostics.error('bad', origin);
    diagnostics.error('bad', origin);
    diagnostics.error('bad', { file: 'site.backup', line: 5 });
    diagnostics.warning('bad', origin);
    diagnostics.error('bad');
    diagnostics.error('bad');
    expect(diagnostics.items.map((d) => [d.severity, d.origin?.line])).toEqual([
      ['error', 4],
      ['error', 5],
      ['warning', 4],
      ['error', undefined],
    ]);
    expect([diagnostics.errorCount, diagnostics.errors.length, diagnostics.hasErrors]).toEqual([3, 3, true]);
  });
});
