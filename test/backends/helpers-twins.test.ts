import { chmodSync, readFileSync, symlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makeDir } from '../../src/backends/execute/make-dir.js';
import { createFile, dirRecover, dirSwap, publishFile } from '../../src/backends/execute/primitives.js';
import { partialFile } from '../helpers/partials.js';
import { haveTools } from '../helpers/tools.js';
import { type Layout, twinHarness } from '../helpers/twin-harness.js';

const HELPERS = partialFile('helpers.hbs', 'helpers-state.hbs');
const canRun = haveTools('bash', 'sha256sum');
const { both, outcomes, treeOf, boxes } = twinHarness(HELPERS);

const paths = (root: string) => ({
  staging: `${root}/new`,
  target: `${root}/current`,
  previous: `${root}/old`,
});

/** Directories swapped and recovered, files published and created: the file helpers of the state. */
describe.runIf(canRun)('script helpers and executor primitives behave alike', () => {
  const cases: [string, Layout][] = [
    ['a normal start', { 'current/a': '1' }],
    ['a run killed between the two renames', { 'old/a': 'good' }],
    ['a run killed before dropping the previous copy', { 'current/a': 'new', 'old/a': 'old' }],
  ];
  it.each(cases)('recover after %s', (_, layout) => {
    const { script, executor } = both(layout, 'polyarchiv_dir_recover "$PWD/current" "$PWD/old"', (root) =>
      dirRecover({ kind: 'dir-recover', ...paths(root) }),
    );
    expect(executor).toEqual(script);
    expect(Object.keys(script)).not.toContain('old');
  });

  it.each([
    ['with a previous copy', { 'current/a': 'old', 'new/a': 'new', 'new/b': 'b' }],
    ['on the first run', { 'new/a': 'new' }],
  ] as [string, Layout][])('swap %s', (_, layout) => {
    const { script, executor } = both(
      layout,
      'polyarchiv_dir_swap "$PWD/new" "$PWD/current" "$PWD/old"',
      (root) => dirSwap({ kind: 'dir-swap', ...paths(root) }),
    );
    expect(executor).toEqual(script);
    const expected = Object.keys(layout)
      .filter((k) => k.startsWith('new/'))
      .map((k) => k.replace('new/', 'current/'));
    expect(Object.keys(script).sort()).toEqual(['current', ...expected].sort());
  });

  it.each([
    ['over the previous file', { 'dir/file': 'old\n', 'dir/file.partial': 'new\n' }],
    ['as the first file', { 'dir/file.partial': 'new\n' }],
  ] as [string, Layout][])('publish a partial %s', (_, layout) => {
    const { script, executor } = both(
      layout,
      'polyarchiv_publish "$PWD/dir/file.partial" "$PWD/dir/file"',
      (root) => publishFile(`${root}/dir/file.partial`, `${root}/dir/file`),
    );
    expect(executor).toEqual(script);
    expect(script).toEqual(treeOf({ 'dir/file': 'new\n' }));
  });

  it.each([
    ['no partial to publish', { 'dir/file': 'old\n' }],
    ['a directory where the file goes', { 'dir/file.partial': 'new\n', 'dir/file/kept': 'kept\n' }],
  ] as [string, Layout][])('fail to publish, changing nothing, with %s', (_, layout) => {
    const run = outcomes(layout, 'polyarchiv_publish "$PWD/dir/file.partial" "$PWD/dir/file"', (root) =>
      publishFile(`${root}/dir/file.partial`, `${root}/dir/file`),
    );
    expect(run.scriptStatus).not.toBe(0);
    expect(run.executorError).toBeInstanceOf(Error);
    expect(run.executor).toEqual(run.script);
    expect(run.script).toEqual(treeOf(layout));
  });

  it('create a file new and empty with its own mode, whatever a killed run left under its name', () => {
    const layout = { 'left.partial': 'data of a killed run\n', 'elsewhere/target': 'not to touch\n' };
    const leftovers = (root: string) => {
      chmodSync(`${root}/left.partial`, 0o644);
      symlinkSync(`${root}/elsewhere/target`, `${root}/link.partial`);
    };
    const { script, executor } = both(
      layout,
      'chmod 644 left.partial; ln -s "$PWD/elsewhere/target" link.partial; umask 077; ' +
        'polyarchiv_create_file "$PWD/left.partial"; polyarchiv_create_file "$PWD/link.partial"; ' +
        'polyarchiv_create_file "$PWD/new.partial"',
      (root) => {
        leftovers(root);
        const umask = process.umask(0o077);
        try {
          for (const name of ['left', 'link', 'new']) createFile(`${root}/${name}.partial`);
        } finally {
          process.umask(umask);
        }
      },
    );
    expect(executor).toEqual(script);
    const empty = script['new.partial'];
    expect(empty).toMatch(/^file 600 /);
    // The leftover's mode and data are gone (opened for writing, it would have kept 0644), the
    // symlink replaced, not followed.
    expect(script['left.partial']).toBe(empty);
    expect(script['link.partial']).toBe(empty);
    for (const box of boxes)
      expect(readFileSync(box.path('elsewhere/target'), 'utf8')).toBe('not to touch\n');
  });

  it('create missing directories 0755 under umask 077 and leave existing ones as they are', () => {
    const layout = { 'kept/file': 'x' };
    const kept = (root: string) => chmodSync(`${root}/kept`, 0o750);
    const { script, executor } = both(
      layout,
      'chmod 750 kept; umask 077; polyarchiv_make_dir "$PWD/kept/a/b"; polyarchiv_make_dir "$PWD/-rf/c"',
      (root) => {
        kept(root);
        const umask = process.umask(0o077);
        try {
          makeDir(`${root}/kept/a/b`);
          makeDir(`${root}/-rf/c`);
        } finally {
          process.umask(umask);
        }
      },
    );
    expect(executor).toEqual(script);
    expect(script).toMatchObject({
      kept: 'dir 750',
      'kept/a': 'dir 755',
      'kept/a/b': 'dir 755',
      '-rf': 'dir 755',
      '-rf/c': 'dir 755',
    });
  });

  // Node's own recursive mkdir retries for ever where making a directory says ENOENT under a
  // parent that exists (/proc): the run hung, deaf to signals.
  it.each([
    ['under /proc, which refuses new directories', '/proc/polyarchiv-none/a', 'ENOENT'],
    ['below a file', 'kept/file/a', 'ENOTDIR'],
    ['where a file is', 'kept/file', 'EEXIST'],
  ])('fail alike where a directory cannot be made: %s', (_, path, code) => {
    const where = (root: string) => (path.startsWith('/') ? path : `${root}/${path}`);
    const { script, executor, scriptStatus, scriptErrors, executorError } = outcomes(
      { 'kept/file': 'x' },
      `polyarchiv_make_dir "${path.startsWith('/') ? path : `$PWD/${path}`}"`,
      (root) => makeDir(where(root)),
    );
    expect(scriptStatus, scriptErrors).not.toBe(0);
    expect((executorError as NodeJS.ErrnoException).code).toBe(code);
    expect(executor).toEqual(script);
  });
});
