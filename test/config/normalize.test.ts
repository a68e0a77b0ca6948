import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ConfigFile, sha256 } from '../../src/config/load.js';
import { normalizedIni } from '../../src/config/normalize.js';
import { scanIni } from '../../src/config/scan.js';
import { Diagnostics, formatDiagnostic } from '../../src/diag/diagnostic.js';
import { fixtureConfigDir } from '../helpers/fixtures.js';

const file = (name: string, text: string): ConfigFile => ({
  name,
  kind: name.endsWith('.backup') ? 'backup' : name.endsWith('.global') ? 'global' : 'collect',
  text,
  sha256: sha256(text),
});

/** What a scan yields, without line numbers: sections in order with their keys and values in order. */
function content(name: string, text: string) {
  const diagnostics = new Diagnostics();
  const scanned = scanIni(name, text, diagnostics);
  expect(diagnostics.items.map(formatDiagnostic)).toEqual([]);
  return scanned.sections.map((s) => ({
    kind: s.kind,
    header: s.header,
    label: s.label,
    entries: s.entries.map((e) => [e.key, e.value]),
  }));
}

const TRICKY = [
  '; every value below is literal in the original dialect',
  '[DEFAULT]',
  'shared = yes',
  '',
  '[point]',
  'engine = files',
  'password=a#b;c',
  'quoted = "hello world"',
  "single = 'x'",
  'semicolon = ;starts with a semicolon',
  'hash = #starts with a hash',
  'equals = a=b',
  'Colon: x:y',
  'bracket = [a]',
  'padded =    padded   ',
  'empty =',
  'backslash = a\\b\\;c',
  'json = {"a": [1, 2]}',
  'percent = %(name)s %20',
  'url = file:///srv/x?y=1&z=2',
  'multi = first line',
  '  second ; line',
  '  # a comment, not part of the value',
  '  "third" = line',
  'after = x',
  'late =',
  '  starts on the next line',
  '',
  '[source "my db"]',
  'engine = local_files',
  '',
  '[variables "www.example.org"]',
  'Key = {name}',
  '',
  "[hook 'mail']",
  'engine = email',
  '',
].join('\n');

describe('normalizedIni', () => {
  it.each([
    ['tricky.collect', TRICKY],
    ['quickstart site.collect', readFileSync(`${fixtureConfigDir('quickstart')}/site.collect`, 'utf8')],
    ['quickstart mirror.backup', readFileSync(`${fixtureConfigDir('quickstart')}/mirror.backup`, 'utf8')],
    ['plain.collect', '[point]\nengine=files\nlocal_path=/srv/{name}\n'],
    ['defaults-only.collect', '[DEFAULT]\na = 1\n'],
    ['empty.collect', ''],
  ])('writes %s so that it scans back identically', (name, text) => {
    const normalized = normalizedIni(file(name, text));
    expect(content(name, normalized)).toEqual(content(name, text));
  });

  it('is idempotent', () => {
    const once = normalizedIni(file('tricky.collect', TRICKY));
    expect(normalizedIni(file('tricky.collect', once))).toBe(once);
  });

  it('writes values literally, without quoting or escaping ; and #', () => {
    expect(normalizedIni(file('site.collect', TRICKY))).toBe(
      [
        '[point]',
        'engine = files',
        'password = a#b;c',
        'quoted = "hello world"',
        "single = 'x'",
        'semicolon = ;starts with a semicolon',
        'hash = #starts with a hash',
        'equals = a=b',
        'colon = x:y',
        'bracket = [a]',
        'padded = padded',
        'empty =',
        'backslash = a\\b\\;c',
        'json = {"a": [1, 2]}',
        'percent = %(name)s %20',
        'url = file:///srv/x?y=1&z=2',
        'multi = first line',
        '  second ; line',
        '  "third" = line',
        'after = x',
        'late =',
        '  starts on the next line',
        'shared = yes',
        '',
        '[source "my db"]',
        'engine = local_files',
        'shared = yes',
        '',
        '[variables "www.example.org"]',
        'key = {name}',
        'shared = yes',
        '',
        "[hook 'mail']",
        'engine = email',
        'shared = yes',
        '',
      ].join('\n'),
    );
  });

  it('keeps the section order and drops [DEFAULT] once applied', () => {
    const text = '[source "b"]\nx = 1\n[DEFAULT]\nd = 0\n[point]\ny = 2\n';
    expect(normalizedIni(file('site.collect', text))).toBe(
      '[source "b"]\nx = 1\nd = 0\n\n[point]\ny = 2\nd = 0\n',
    );
  });
});
