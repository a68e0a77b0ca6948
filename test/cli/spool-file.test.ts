import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileSpool } from '../../src/cli/spool-file.js';

// Where a script's units wait until its head is known: in memory while small, else in a file that
// no directory names.
describe('fileSpool', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'polyarchiv-spool-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps a small script in memory', () => {
    const spool = fileSpool(dir, 100);
    spool.add('unit_1() {\n}\n');
    spool.add('unit_2() {\n}\n');
    expect(readdirSync(dir)).toEqual([]);
    expect([...spool.pieces()].join('')).toBe('unit_1() {\n}\nunit_2() {\n}\n');
  });

  it('gives back the bytes of what went through the file, characters of several bytes and texts larger than its buffer included', () => {
    const spool = fileSpool(dir, 0);
    // 3-byte and 4-byte characters at every offset, so that some straddle the chunks read back.
    const texts = Array.from({ length: 3000 }, (_, i) => `# café € 𝄞 ${i} ${'é'.repeat(i % 7)}\n`);
    const large = `${'€'.repeat(700_000)}\n`;
    for (const text of texts.slice(0, 1500)) spool.add(text);
    spool.add(large);
    for (const text of texts.slice(1500)) spool.add(text);
    // The file is open, but no directory names it.
    expect(readdirSync(dir)).toEqual([]);
    // Bytes as they were read back, each valid until the next is asked for: a character may
    // straddle two pieces.
    const pieces: Buffer[] = [];
    for (const piece of spool.pieces()) pieces.push(Buffer.from(piece));
    expect(pieces.length).toBeGreaterThan(1);
    const bytes = Buffer.concat(pieces);
    expect(bytes.toString()).toBe([...texts.slice(0, 1500), large, ...texts.slice(1500)].join(''));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('says which directory it could not use and how to choose another', () => {
    const spool = fileSpool(join(dir, 'missing'), 0);
    expect(() => spool.add('unit_1() {\n}\n')).toThrow(
      `cannot keep the script's units in a temporary file in ${join(dir, 'missing')} (does not exist): point TMPDIR to a directory with room`,
    );
  });
});
