import { spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { shellWord } from '../../src/backends/bash/shell-word.js';
import { type MeasuredPart, measuredSize, smallTreeSize } from '../../src/backends/execute/measured-size.js';
import { configChanged, isStale, recordState } from '../../src/backends/execute/primitives.js';
import { missingSecrets } from '../../src/backends/execute/run-exec.js';
import { helperCall } from '../../src/backends/helper-calls.js';
import { HELPER_MESSAGES } from '../../src/backends/helper-messages.js';
import { sha256 } from '../../src/config/load.js';
import { HELPERS as CONTRACTS } from '../../src/graph/helper-contracts.js';
import { duExcludes, measuredPartPattern } from '../../src/graph/measured-part.js';
import { partialFile } from '../helpers/partials.js';
import { haveTools } from '../helpers/tools.js';
import { type Layout, twinHarness } from '../helpers/twin-harness.js';

const HELPERS = partialFile('helpers.hbs', 'helpers-state.hbs');
const SECRET_HELPERS = partialFile('helpers-secrets.hbs');
const canRun = haveTools('bash', 'sha256sum');
const { both, sandbox } = twinHarness(HELPERS);

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

/** What a unit checks and records: the configuration it was planned from, its state file, its secrets. */
describe.runIf(canRun)('state helpers and their executor twins agree', () => {
  it.each([
    ['unchanged', () => undefined, false],
    ['edited', (dir: string) => writeFileSync(`${dir}/a.collect`, '[point]\n; edited\n'), true],
    ['with a file added', (dir: string) => writeFileSync(`${dir}/c.backup`, ''), true],
    ['with a file removed', (dir: string) => rmSync(`${dir}/b.backup`), true],
    ['with other files added', (dir: string) => writeFileSync(`${dir}/notes.txt`, 'x'), false],
    ['gone', (dir: string) => rmSync(dir, { recursive: true }), true],
  ] as const)('agree on whether the configuration is %s', (_, change, changed) => {
    const box = sandbox();
    const dir = box.path('config');
    box.write({ 'config/a.collect': '[point]\n', 'config/b.backup': '[point]\n' });
    const inputs = ['a.collect', 'b.backup'].map((file) => ({ file, sha256: sha256('[point]\n') }));
    change(dir);
    const run = checkConfigInScript(dir, inputs);
    expect(run.status, run.stderr).toBe(0);
    expect(configChanged(dir, inputs)).toBe(changed);
    expect(run.stderr).toBe(changed ? `polyarchiv: ${HELPER_MESSAGES.configChanged(dir)}\n` : '');
  });

  it.each([
    ['unchanged', false],
    ['edited', true],
  ] as const)('agree on whether a configuration of files with odd names is %s', (state, changed) => {
    const box = sandbox();
    const dir = box.path('config');
    const names = ['a  b.collect', 'back\\slash.backup', 'new\nline.backup', 'x.global'];
    box.write(Object.fromEntries(names.map((name) => [`config/${name}`, `[point]\n; ${name}\n`])));
    const inputs = names.map((file) => ({ file, sha256: sha256(`[point]\n; ${file}\n`) }));
    if (changed) writeFileSync(`${dir}/new\nline.backup`, '[point]\n');
    const run = checkConfigInScript(dir, inputs);
    expect([state, run.status, run.stderr]).toEqual([
      state,
      0,
      changed ? `polyarchiv: ${HELPER_MESSAGES.configChanged(dir)}\n` : '',
    ]);
    expect(configChanged(dir, inputs)).toBe(changed);
  });

  it('polyarchiv_record and recordState write the same state bytes', () => {
    const template =
      '{"last_success":"@@POLYARCHIV_STARTED@@","last_fail":"@@POLYARCHIV_NOW@@","last_message":"@@POLYARCHIV_MESSAGE@@","last_duration":@@POLYARCHIV_DURATION@@}';
    const box = sandbox();
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
        `source "$1"; printf -v polyarchiv_unit_started "%(%s)T" -1; ((polyarchiv_unit_started -= 7)); ${helperCall(
          CONTRACTS.record,
          {
            file: '"$2/sh/state.json"',
            state: '"$3"',
            message: '"$4"',
            measure: "''",
            keep_aside: "''",
            copies: "''",
            measured_parts: "''",
          },
        )}`,
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

  it('polyarchiv_record and recordState keep a corrupt state file aside alike', () => {
    const template = '{"last_success":"@@POLYARCHIV_STARTED@@"}';
    const { script, executor } = both(
      { 'm/s.json': '{"last_succ' },
      helperCall(CONTRACTS.record, {
        file: '"$PWD/m/s.json"',
        state: shellWord(template),
        message: 'ok',
        measure: "''",
        keep_aside: 'keep-aside',
        copies: "''",
        measured_parts: "''",
      }),
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

  /** The size polyarchiv_record and recordState each record for `measured` with the copies' `parts`. */
  async function recordedSizes(
    box: ReturnType<typeof sandbox>,
    measured: string,
    parts: readonly MeasuredPart[],
  ): Promise<[number, number]> {
    writeFileSync(box.path('parts'), parts.map((part) => `${part.pattern}\0${part.bytes}\0`).join(''));
    const template = '{"total_size":@@POLYARCHIV_SIZE@@}';
    const run = spawnSync(
      'bash',
      [
        '-c',
        `source "$1"; polyarchiv_unit_started=0; ${helperCall(CONTRACTS.record, {
          file: '"$2/sh.json"',
          state: shellWord(template),
          message: 'ok',
          measure: '"$3"',
          keep_aside: "''",
          copies: "''",
          measured_parts: '"$2/parts"',
        })}`,
        'bash',
        HELPERS,
        box.root,
        measured,
      ],
      { encoding: 'utf8' },
    );
    expect(run.status, run.stderr).toBe(0);
    const size = await measuredSize(measured, parts);
    recordState(
      box.path('ts.json'),
      template,
      'ok',
      { started: new Date(), now: new Date(), duration: 0 },
      { size },
    );
    const read = (name: string) => JSON.parse(readFileSync(box.path(name), 'utf8')).total_size as number;
    return [read('sh.json'), read('ts.json')];
  }

  const partsOf = (measured: string, copied: readonly string[]) =>
    copied.map((path, k) => {
      const pattern = measuredPartPattern(measured, path);
      if (pattern === undefined) throw new Error(`${path} is below ${measured}`);
      return { pattern, bytes: 1000 * (k + 1) };
    });

  const du = (...args: string[]) =>
    Number.parseInt(spawnSync('du', ['-s', '-b', ...args], { encoding: 'utf8' }).stdout, 10);

  it('measure the size alike: du of what the copies did not count, and the bytes they counted', async () => {
    const box = sandbox();
    const measured = box.path('backups');
    // Names with du's wildcards, and a copy below a directory of the rest.
    const copied = [`${measured}/a[1]*?\\b`, `${measured}/rest/nested copy`];
    box.write({
      'backups/a[1]*?\\b/f': 'x'.repeat(5000),
      'backups/a[1]*?\\b/sub/g': 'y'.repeat(3000),
      'backups/rest/nested copy/h': 'z'.repeat(7000),
      'backups/rest/dump.sql': 'w'.repeat(1234),
      // Matches an unescaped pattern of the first copy: it must still be counted.
      'backups/a1xyb/i': 'v'.repeat(999),
    });
    const parts = partsOf(measured, copied);
    // The rest, walked: the whole less each copy's tree.
    const expected = du('--', measured) - du('--', copied[0] ?? '') - du('--', copied[1] ?? '') + 1000 + 2000;
    expect(await recordedSizes(box, measured, parts)).toEqual([expected, expected]);
  });

  it.each([
    ['hard links, each file counted once, one of its names in a copy', 'links'],
    ['symbolic links (counted as links), a FIFO and empty directories', 'odd'],
    ['more entries than apply walks itself', 'large'],
    ['a name that is not UTF-8', 'bytes'],
  ] as const)('measure the size alike with %s', async (_, kind) => {
    const box = sandbox();
    const measured = box.path('backups');
    const copied = [`${measured}/copy`];
    box.write({ 'backups/copy/f': 'x'.repeat(4000), 'backups/dump.sql': 'd'.repeat(333) });
    if (kind === 'links') {
      box.write({ 'backups/a/one': 'l'.repeat(2500), 'backups/b/other': 'o'.repeat(100) });
      linkSync(`${measured}/a/one`, `${measured}/a/two`);
      linkSync(`${measured}/a/one`, `${measured}/b/three`);
      linkSync(`${measured}/a/one`, `${measured}/copy/four`);
      linkSync(`${measured}/copy/f`, `${measured}/b/five`);
    } else if (kind === 'odd') {
      symlinkSync('dump.sql', `${measured}/to-dump`);
      symlinkSync('copy', `${measured}/to-copy`);
      symlinkSync('nowhere/at/all', `${measured}/dangling`);
      mkdirSync(`${measured}/empty/deeper/still`, { recursive: true });
      expect(spawnSync('mkfifo', [`${measured}/fifo`]).status).toBe(0);
    } else if (kind === 'bytes') {
      writeFileSync(Buffer.concat([Buffer.from(`${measured}/`), Buffer.from([0xff, 0x41])]), 'b'.repeat(77));
    } else {
      for (let i = 0; i < 300; i++) box.write({ [`backups/many/d${i % 7}/f${i}`]: 'm'.repeat(i) });
    }
    const parts = partsOf(measured, copied);
    const patterns = parts.map((part) => part.pattern);
    const expected = du(...duExcludes(patterns), '--', measured) + 1000;
    // A small rest is walked by apply itself, a large one left to du.
    expect(smallTreeSize(measured, patterns) === undefined).toBe(kind === 'large' || kind === 'bytes');
    expect(await recordedSizes(box, measured, parts)).toEqual([expected, expected]);
  });

  it('leave to du what the walk in node does not match itself', () => {
    const box = sandbox();
    box.write({ 'backups/f': 'x' });
    symlinkSync(box.path('backups'), box.path('link'));
    expect(smallTreeSize(box.path('backups'), [])).toBe(du('--', box.path('backups')));
    expect(smallTreeSize(box.path('backups'), ['*'])).toBeUndefined();
    expect(smallTreeSize(`${box.path('backups')}/`, [])).toBeUndefined();
    expect(smallTreeSize(box.path('link'), [])).toBeUndefined();
  });

  it('agree on what a stale state file is', () => {
    const box = sandbox();
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
