import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  configChanged,
  configChangedWarning,
  createFile,
  dirRecover,
  dirSwap,
  isStale,
  makeDir,
  publishFile,
  recordState,
} from '../../src/backends/execute/primitives.js';
import { missingSecrets } from '../../src/backends/execute/run-exec.js';
import { sha256 } from '../../src/config/load.js';
import { partialFile } from '../helpers/partials.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { snapshotTree } from '../helpers/tree.js';

const HELPERS = partialFile('helpers.hbs', 'helpers-state.hbs');
const SECRET_HELPERS = partialFile('helpers-secrets.hbs');
const canRun = haveTools('bash', 'sha256sum');

type Layout = Record<string, string>;

/** The same scenario through the bash helper and through its executor twin; both succeed. */
function both(
  layout: Layout,
  bash: string,
  ts: (root: string) => void,
): { script: Layout; executor: Layout } {
  const { script, executor, scriptStatus, scriptErrors, executorError } = outcomes(layout, bash, ts);
  expect(scriptStatus, scriptErrors).toBe(0);
  expect(executorError).toBeUndefined();
  return { script, executor };
}

/** The trees each leaves, the script's status and errors, and what the twin threw. */
function outcomes(layout: Layout, bash: string, ts: (root: string) => void) {
  const trees: Layout[] = [];
  let scriptStatus = -1;
  let scriptErrors = '';
  let executorError: unknown;
  for (const backend of ['script', 'executor']) {
    const box = makeSandbox('polyarchiv-twin-');
    boxes.push(box);
    box.write(layout);
    if (backend === 'script') {
      const run = spawnSync(
        'bash',
        ['-c', `set -Eeuo pipefail; source "$1"; cd "$2"; ${bash}`, 'bash', HELPERS, box.root],
        { encoding: 'utf8' },
      );
      scriptStatus = run.status ?? -1;
      scriptErrors = run.stderr;
    } else {
      try {
        ts(box.root);
      } catch (error) {
        executorError = error;
      }
    }
    trees.push(snapshotTree(box.root));
  }
  return {
    script: trees[0] as Layout,
    executor: trees[1] as Layout,
    scriptStatus,
    scriptErrors,
    executorError,
  };
}

/** The picture of `layout` as written, untouched by any helper. */
function treeOf(layout: Layout): Layout {
  const box = makeSandbox('polyarchiv-twin-');
  boxes.push(box);
  box.write(layout);
  return snapshotTree(box.root);
}

/** polyarchiv_check_config of the configuration in `dir` against the digests a plan recorded. */
function checkConfigInScript(dir: string, inputs: readonly { file: string; sha256: string }[]) {
  return spawnSync(
    'bash',
    [
      '-c',
      'source "$1"; shift; polyarchiv_check_config "$@"',
      'bash',
      HELPERS,
      dir,
      ...inputs.flatMap((i) => [i.file, i.sha256]),
    ],
    { encoding: 'utf8' },
  );
}

const boxes: Sandbox[] = [];
afterEach(() => {
  for (const box of boxes.splice(0)) box.remove();
});

const paths = (root: string) => ({
  staging: `${root}/new`,
  target: `${root}/current`,
  previous: `${root}/old`,
});

describe.runIf(canRun)('script helpers and executor primitives behave alike', () => {
  it.each([
    ['unchanged', () => undefined, false],
    ['edited', (dir: string) => writeFileSync(`${dir}/a.collect`, '[point]\n; edited\n'), true],
    ['with a file added', (dir: string) => writeFileSync(`${dir}/c.backup`, ''), true],
    ['with a file removed', (dir: string) => rmSync(`${dir}/b.backup`), true],
    ['with other files added', (dir: string) => writeFileSync(`${dir}/notes.txt`, 'x'), false],
    ['gone', (dir: string) => rmSync(dir, { recursive: true }), true],
  ] as const)('agree on whether the configuration is %s', (_, change, changed) => {
    const box = makeSandbox('polyarchiv-twin-');
    boxes.push(box);
    const dir = box.path('config');
    box.write({ 'config/a.collect': '[point]\n', 'config/b.backup': '[point]\n' });
    const inputs = ['a.collect', 'b.backup'].map((file) => ({ file, sha256: sha256('[point]\n') }));
    change(dir);
    const run = checkConfigInScript(dir, inputs);
    expect(run.status, run.stderr).toBe(0);
    expect(configChanged(dir, inputs)).toBe(changed);
    expect(run.stderr).toBe(changed ? `polyarchiv: ${configChangedWarning(dir)}\n` : '');
  });

  it.each([
    ['unchanged', false],
    ['edited', true],
  ] as const)('agree on whether a configuration of files with odd names is %s', (state, changed) => {
    const box = makeSandbox('polyarchiv-twin-');
    boxes.push(box);
    const dir = box.path('config');
    const names = ['a  b.collect', 'back\\slash.backup', 'new\nline.backup', 'x.global'];
    box.write(Object.fromEntries(names.map((name) => [`config/${name}`, `[point]\n; ${name}\n`])));
    const inputs = names.map((file) => ({ file, sha256: sha256(`[point]\n; ${file}\n`) }));
    if (changed) writeFileSync(`${dir}/new\nline.backup`, '[point]\n');
    const run = checkConfigInScript(dir, inputs);
    expect([state, run.status, run.stderr]).toEqual([
      state,
      0,
      changed ? `polyarchiv: ${configChangedWarning(dir)}\n` : '',
    ]);
    expect(configChanged(dir, inputs)).toBe(changed);
  });

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

  it('records the same state bytes', () => {
    const template =
      '{"last_success":"@@POLYARCHIV_STARTED@@","last_fail":"@@POLYARCHIV_NOW@@","last_message":"@@POLYARCHIV_MESSAGE@@","last_duration":@@POLYARCHIV_DURATION@@}';
    const box = makeSandbox('polyarchiv-twin-');
    boxes.push(box);
    recordState(
      box.path('ts/state.json'),
      template,
      'failed with exit code 23 & more: step 1 of 2 at a.collect:5 [source "d\\e"]',
      { started: new Date(), now: new Date(), duration: 7 },
    );
    const run = spawnSync(
      'bash',
      [
        '-c',
        // The unit started 7 seconds ago.
        'source "$1"; printf -v polyarchiv_unit_started "%(%s)T" -1; ((polyarchiv_unit_started -= 7)); polyarchiv_record "$2/sh/state.json" "$3" "$4"',
        'bash',
        HELPERS,
        box.root,
        template,
        'failed with exit code 23 & more: step 1 of 2 at a.collect:5 [source "d\\e"]',
      ],
      { encoding: 'utf8' },
    );
    expect(run.status, run.stderr).toBe(0);
    const mask = (s: Layout) =>
      JSON.stringify(s)
        .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/g, 'T')
        .replace(/(last_duration\\":)\d+/, '$1N');
    const read = (dir: string) =>
      spawnSync('cat', [box.path(dir, 'state.json')], { encoding: 'utf8' }).stdout;
    expect(mask({ s: read('sh') })).toBe(mask({ s: read('ts') }));
    // Within the second the record took.
    expect(JSON.parse(read('sh')).last_duration).toBeGreaterThanOrEqual(7);
    expect(JSON.parse(read('sh')).last_duration).toBeLessThanOrEqual(8);
    expect(JSON.parse(read('ts')).last_duration).toBe(7);
    // The original parses exactly this: local time without offset.
    for (const dir of ['sh', 'ts'])
      expect(JSON.parse(read(dir)).last_success).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    expect(JSON.parse(read('sh')).last_message).toBe(
      'failed with exit code 23 & more: step 1 of 2 at a.collect:5 [source "d\\e"]',
    );
  });

  it('keep a corrupt state file aside alike', () => {
    const template = '{"last_success":"@@POLYARCHIV_STARTED@@"}';
    const { script, executor } = both(
      { 'm/s.json': '{"last_succ' },
      `polyarchiv_record "$PWD/m/s.json" '${template}' ok '' keep-aside`,
      (root) =>
        recordState(
          `${root}/m/s.json`,
          template,
          'ok',
          { started: new Date(), now: new Date(), duration: 0 },
          { keepAside: true },
        ),
    );
    const masked = (layout: Layout) =>
      JSON.stringify(layout)
        .replace(/corrupt-\d{8}T\d{6}/g, 'corrupt-T')
        .replace(/"[0-9a-f]{64}"/g, '"D"');
    expect(masked(executor)).toBe(masked(script));
    expect(Object.keys(script).filter((k) => /^m\/s\.json\.corrupt-\d{8}T\d{6}$/.test(k))).toHaveLength(1);
  });

  it('agree on what a stale state file is', () => {
    const box = makeSandbox('polyarchiv-twin-');
    boxes.push(box);
    mkdirSync(box.path('m'));
    writeFileSync(box.path('m/s.json'), '{"a":1}\n');
    // Also traced (bash -x): a trace line captured with the digest would make every plan stale.
    const guard = (file: string, expected: string, trace: string) =>
      spawnSync('bash', [
        trace,
        '-c',
        'source "$1"; (polyarchiv_guard "$2" "$3")',
        'bash',
        HELPERS,
        file,
        expected,
      ]).status === 0;
    const digest = sha256('{"a":1}\n');
    for (const trace of ['+x', '-x']) {
      for (const [file, expected] of [
        [box.path('m/s.json'), digest],
        [box.path('m/s.json'), ''],
        [box.path('m/absent.json'), ''],
        [box.path('m/absent.json'), digest],
      ] as const) {
        expect(guard(file, expected, trace)).toBe(!isStale(file, expected === '' ? null : expected));
      }
    }
  });

  it('agree on which secret variables are missing', () => {
    const env = { POLYARCHIV_SECRET_SET: 'x', POLYARCHIV_SECRET_EMPTY: '' };
    const names = ['POLYARCHIV_SECRET_SET', 'POLYARCHIV_SECRET_EMPTY', 'POLYARCHIV_SECRET_ABSENT'];
    const run = spawnSync(
      'bash',
      [
        '-c',
        'set -Eeuo pipefail; source "$1"; shift; polyarchiv_require_secrets "$@"',
        'bash',
        SECRET_HELPERS,
        ...names,
      ],
      { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } },
    );
    expect(run.status).toBe(2);
    const scriptMissing = /not set: ([A-Z_ ]+) \(/.exec(run.stderr)?.[1]?.split(' ');
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    try {
      expect(missingSecrets(names, new Map())).toEqual(scriptMissing);
      expect(scriptMissing).toEqual(['POLYARCHIV_SECRET_EMPTY', 'POLYARCHIV_SECRET_ABSENT']);
      // apply also takes the value from the configuration; the environment wins.
      expect(missingSecrets(names, new Map([['POLYARCHIV_SECRET_ABSENT', 'configured']]))).toEqual([
        'POLYARCHIV_SECRET_EMPTY',
      ]);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
