import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runThrough } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';

const canRun = haveTools('rsync', 'flock', 'bash');

const run = (box: Sandbox, how: 'apply' | 'script', command: 'backup' | 'restore', args: string[]) =>
  runThrough(how, command, args, box.root);

const collect = (engine: 'local_files' | 'remote_files', rules: string) =>
  [
    '[point]',
    'engine = files',
    'local_path = {root}/collect/{name}',
    '',
    '[source "tree"]',
    `engine = ${engine}`,
    engine === 'local_files' ? 'source_path = {root}/data' : 'source_url = {root}/data',
    'destination_path = tree',
    rules,
    '',
  ].join('\n');

/** What every copy keeps: enough files that dropping the two *.tmp files is no shrink past 50%. */
const kept: Record<string, string> = {
  'keep.txt': 'keep\n',
  'a.txt': 'a\n',
  'b.txt': 'b\n',
  'c.txt': 'c\n',
  'sub/also.txt': 'also\n',
};

/** Files as fileContents reads them (base64). */
const contents = (files: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(files).map(([name, text]) => [name, Buffer.from(text).toString('base64')]),
  );

describe.runIf(canRun).each(['apply', 'script'] as const)('patterns added to a source, through %s', (how) => {
  let box: Sandbox;
  let args: string[];
  beforeEach(() => {
    box = makeSandbox('polyarchiv-excludes-');
    box.write({
      ...Object.fromEntries(Object.entries(kept).map(([name, text]) => [`data/${name}`, text])),
      'data/scratch.tmp': 'scratch\n',
      'data/sub/deep.tmp': 'deep\n',
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
    });
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
  });
  afterEach(() => box.remove());

  it('removes from the collect copy and the mirror what a later exclude leaves out, and a restore keeps it live', () => {
    box.write({ 'config/site.collect': collect('local_files', '') });
    expect(run(box, how, 'backup', args).code).toBe(0);
    expect(Object.keys(fileContents(box.path('collect/site/backups/tree')))).toContain('scratch.tmp');

    box.write({ 'config/site.collect': collect('local_files', 'exclude = *.tmp') });
    const again = run(box, how, 'backup', args);
    expect(again.code, again.stderr).toBe(0);
    expect(fileContents(box.path('collect/site/backups/tree'))).toEqual(contents(kept));
    expect(fileContents(box.path('mirror/site/tree'))).toEqual(contents(kept));
    // Nothing of the copies' own holding directories is left behind.
    expect(existsSync(box.path('collect/site/backups/tree/.~polyarchiv~'))).toBe(false);

    // The live files the patterns leave out are never deleted by a restore.
    writeFileSync(box.path('data/keep.txt'), 'changed since\n');
    const restore = run(box, how, 'restore', args);
    expect(restore.code, restore.stderr).toBe(0);
    expect(fileContents(box.path('data'))).toEqual(
      contents({ ...kept, 'scratch.tmp': 'scratch\n', 'sub/deep.tmp': 'deep\n' }),
    );
  });

  it('does the same for include and exclude patterns read from files', () => {
    box.write({ 'config/site.collect': collect('local_files', '') });
    expect(run(box, how, 'backup', args).code).toBe(0);
    box.write({ 'patterns/exclude': '*.tmp\nsub/\n', 'patterns/include': 'sub/\nsub/also.txt\n' });
    box.write({
      'config/site.collect': collect(
        'local_files',
        `include = @${box.path('patterns/include')}\nexclude = @${box.path('patterns/exclude')}`,
      ),
    });
    const again = run(box, how, 'backup', args);
    expect(again.code, again.stderr).toBe(0);
    expect(fileContents(box.path('collect/site/backups/tree'))).toEqual(contents(kept));
    expect(fileContents(box.path('mirror/site/tree'))).toEqual(contents(kept));
  });

  it('judges the copy against all it held: a new exclude that drops most files is refused until --allow-shrink', () => {
    for (let i = 0; i < 12; i++) box.write({ [`data/bulk${i}.tmp`]: `bulk ${i}\n` });
    box.write({ 'config/site.collect': collect('local_files', '') });
    expect(run(box, how, 'backup', args).code).toBe(0);
    box.write({ 'config/site.collect': collect('local_files', 'exclude = *.tmp') });
    const refused = run(box, how, 'backup', args);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('the copy of source "tree" would shrink by more than 50%');
    // Without the figures a success records, the copy is measured, its excluded files included.
    const state = box.path('collect/site/metadata/collect_point/site.json');
    const { copies: _figures, ...recorded } = JSON.parse(readFileSync(state, 'utf8'));
    writeFileSync(state, JSON.stringify(recorded));
    const measured = run(box, how, 'backup', args);
    expect(measured.code).toBe(1);
    expect(measured.stderr).toContain('files: 19 now, 5 incoming');
    expect(Object.keys(fileContents(box.path('collect/site/backups/tree')))).toContain('scratch.tmp');
    const allowed = run(box, how, 'backup', [...args, '--allow-shrink']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(fileContents(box.path('collect/site/backups/tree'))).toEqual(contents(kept));
  });
});
