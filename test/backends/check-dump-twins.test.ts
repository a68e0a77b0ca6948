import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import { checkDump } from '../../src/backends/execute/primitives.js';
import { DUMP_END_BYTES, type DumpCheckCommand } from '../../src/graph/command.js';
import { partialFile } from '../helpers/partials.js';
import { sandboxesPerTest } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const HELPERS = partialFile('helpers.hbs');
const canRun = haveTools('bash', 'stat', 'tail');

const newSandbox = sandboxesPerTest();

interface Outcome {
  readonly passed: boolean;
  readonly said: string[];
  /** Why the step failed, as its state records it: the refusal, unindented; '' when it goes on. */
  readonly explained: string;
}

/** The helper, run as the script runs it: whether the step goes on, what it said, and why. */
function viaScript(check: DumpCheckCommand): Outcome {
  const script = `set -Eeuo pipefail; source "$1"; status=0; ${commandLine(check)} || status=$?
printf 'explained: %s\\n' "\${polyarchiv_explained}"; exit "\${status}"`;
  const run = spawnSync('bash', ['-c', script, 'bash', HELPERS], { encoding: 'utf8' });
  const lines = run.stderr.split('\n');
  const said = lines
    .filter((line) => line.startsWith('polyarchiv: '))
    .map((line) => line.slice('polyarchiv: '.length));
  const explained = run.stdout.replace(/^explained: /, '').replace(/\n$/, '');
  return { passed: run.status === 0, said, explained };
}

function viaExecutor(check: DumpCheckCommand): Outcome {
  const said: string[] = [];
  let explained = '';
  const passed = checkDump(
    check,
    (line) => said.push(line),
    (why) => {
      explained = why.trimStart();
    },
  );
  return { passed, said, explained };
}

/** What both should give: a failure is recorded with the first line it said. */
const outcome = (passed: boolean, said: string[]): Outcome => ({
  passed,
  said,
  explained: passed ? '' : (said[0] ?? '').trimStart(),
});

describe.runIf(canRun)('polyarchiv_check_dump and checkDump agree', () => {
  // name, size of the new dump, size of the previous one (undefined: none), percent, on suspicious,
  // whether the step goes on, and the warning (with PARTIAL for the new dump's path).
  const cases: [string, number, number | undefined, number, 'warn' | 'fail', boolean, string?][] = [
    ['a first dump', 100, undefined, 50, 'fail', true],
    ['a dump that grew', 120, 100, 50, 'fail', true],
    ['a dump that shrank by half, the limit', 50, 100, 50, 'fail', true],
    [
      'a dump that shrank by more',
      49,
      100,
      50,
      'fail',
      false,
      'dump PARTIAL shrank by more than 50%: bytes: 100 before, 49 now',
    ],
    [
      'the same, only warned of',
      49,
      100,
      50,
      'warn',
      true,
      'dump PARTIAL shrank by more than 50%: bytes: 100 before, 49 now',
    ],
    ['an empty dump', 0, 100, 50, 'fail', false, 'dump PARTIAL is empty'],
    ['an empty first dump', 0, undefined, 50, 'warn', true, 'dump PARTIAL is empty'],
    ['a dump after an empty one', 1, 0, 10, 'fail', true],
    [
      'a small shrink under a strict limit',
      89,
      100,
      10,
      'fail',
      false,
      'dump PARTIAL shrank by more than 10%: bytes: 100 before, 89 now',
    ],
  ];
  it.each(cases)('on %s', (_, size, previousSize, percent, onSuspicious, passes, warning) => {
    const box = newSandbox('polyarchiv-twin-');
    box.write({
      "dumps/it's.sql.partial": 'x'.repeat(size),
      ...(previousSize === undefined ? {} : { "dumps/it's.sql": 'y'.repeat(previousSize) }),
    });
    const check: DumpCheckCommand = {
      kind: 'check-dump',
      partial: box.path("dumps/it's.sql.partial"),
      previous: box.path("dumps/it's.sql"),
      maxShrinkPercent: percent,
      onSuspicious,
      completeMark: '',
    };
    const expected = outcome(
      passes,
      warning === undefined ? [] : [`  warning: ${warning.replace('PARTIAL', check.partial)}`],
    );
    expect(viaExecutor(check)).toEqual(expected);
    expect(viaScript(check)).toEqual(expected);
  });

  const MARK = '-- Dump completed';
  const whole = `-- MariaDB dump\nINSERT INTO t VALUES (1);\n${MARK} on 2026-03-10  4:05:06\n`;
  const big = `${'INSERT INTO t VALUES (2);\n'.repeat(400)}`;
  // name, the dump's text, on suspicious, whether the step goes on, and what is said (PARTIAL: its path).
  const marked: [string, string, DumpCheckCommand['onSuspicious'], boolean, string[]][] = [
    ['a whole dump', whole, 'fail', true, []],
    ['a whole dump larger than the bytes read', `${big}${whole}`, 'refuse', true, []],
    ['a mark followed by other lines', `${whole}--\n\\unrestrict abc\n\n`, 'refuse', true, []],
    [
      'a dump cut before its mark, backed up with warn',
      `${big}INSERT INTO t VAL`,
      'warn',
      false,
      [`  refused: dump PARTIAL is incomplete: ${incomplete(MARK)}; the previous dump is kept`],
    ],
    [
      'an empty dump, backed up with warn',
      '',
      'warn',
      false,
      ['  refused: dump PARTIAL is empty; the previous dump is kept'],
    ],
    [
      'a mark too far from the end',
      `${whole}${big}`,
      'refuse',
      false,
      [`  dump PARTIAL is incomplete: ${incomplete(MARK)}`, REFUSED],
    ],
    [
      'a mark inside a line',
      `${big}x ${MARK}\n`,
      'refuse',
      false,
      [`  dump PARTIAL is incomplete: ${incomplete(MARK)}`, REFUSED],
    ],
    ['an empty dump to restore', '', 'refuse', false, ['  dump PARTIAL is empty', REFUSED]],
    [
      'a cut dump restored with --allow-shrink',
      'INSERT INTO t VALUES (1);\n',
      'allow',
      true,
      [`  dump PARTIAL is incomplete: ${incomplete(MARK)}`, '  accepted: --allow-shrink'],
    ],
    [
      'an empty dump restored with --allow-shrink',
      '',
      'allow',
      true,
      ['  dump PARTIAL is empty', '  accepted: --allow-shrink'],
    ],
    ['a dump with NUL bytes before its mark', `\0${big}\0\n${whole}`, 'refuse', true, []],
  ];
  it.each(marked)('with a completion mark, on %s', (_, text, onSuspicious, passes, said) => {
    const box = newSandbox('polyarchiv-twin-');
    box.write({ 'dumps/it\'s "$x".sql': text });
    const check: DumpCheckCommand = {
      kind: 'check-dump',
      partial: box.path('dumps/it\'s "$x".sql'),
      previous: '',
      maxShrinkPercent: 0,
      onSuspicious,
      completeMark: MARK,
    };
    const expected = outcome(
      passes,
      said.map((line) => line.replace('PARTIAL', check.partial)),
    );
    expect(viaExecutor(check)).toEqual(expected);
    expect(viaScript(check)).toEqual(expected);
  });
});

const REFUSED = '  refused: nothing was changed; run with --allow-shrink if this is expected';

function incomplete(mark: string): string {
  return `no line of its last ${DUMP_END_BYTES} bytes starts with '${mark}', the line written once everything is dumped`;
}
