import { describe, expect, it } from 'vitest';
import { sampleSection } from '../../src/config/sample.js';
import { scanIni } from '../../src/config/scan.js';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import { ENGINES, findEngine } from '../../src/engines/registry.js';
import { diagnose } from '../helpers/diagnose.js';

const engine = (role: 'collect' | 'backup', name: string) => {
  const found = findEngine(role, name);
  if (found.kind !== 'found') throw new Error(name);
  return found.engine;
};

describe('sample sections (plugins --sample), written with the ini package', () => {
  it.each(ENGINES.map((e) => e.name))('%s: scans back as written', (name) => {
    const text = sampleSection(ENGINES.find((e) => e.name === name) as (typeof ENGINES)[number]);
    const diagnostics = new Diagnostics();
    const [section] = scanIni('sample.collect', text, diagnostics).sections;
    expect(diagnostics.items).toEqual([]);
    const written = Object.fromEntries(
      text
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split(' = ') as [string, string]),
    );
    expect(Object.fromEntries(section?.entries.map((e) => [e.key, e.value]) ?? [])).toEqual(written);
  });

  it.each(ENGINES.filter((e) => e.role === 'source').map((e) => e.name))(
    'the %s sample makes a valid configuration with the files and synchronize samples',
    (name) => {
      const source = ENGINES.find((e) => e.name === name) as (typeof ENGINES)[number];
      const files = {
        'site.collect': `${sampleSection(engine('collect', 'files'))}\n${sampleSection(source)}`,
        'mirror.backup': sampleSection(engine('backup', 'synchronize')),
      };
      expect(diagnose(files).filter((d) => d.startsWith('error'))).toEqual([]);
    },
  );

  it.each(ENGINES.filter((e) => e.role === 'filter').map((e) => e.name))(
    'the %s sample is a filter section that makes a valid configuration with the files sample',
    (name) => {
      const filter = ENGINES.find((e) => e.name === name) as (typeof ENGINES)[number];
      expect(sampleSection(filter).split('\n')[0]).toBe(`[filter "${name}"]`);
      const files = {
        'site.collect': `${sampleSection(engine('collect', 'files'))}\n${sampleSection(filter)}`,
        'mirror.backup': sampleSection(engine('backup', 'synchronize')),
      };
      expect(diagnose(files).filter((d) => d.startsWith('error'))).toEqual([]);
    },
  );
});
