import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import { checkDump } from '../../src/backends/execute/primitives.js';
import type { DumpCheckCommand } from '../../src/graph/command.js';
import { partialFile } from '../helpers/partials.js';
import { sandboxesPerTest } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const HELPERS = partialFile('helpers.hbs');
const canRun = haveTools('bash', 'stat');

const newSandbox = sandboxesPerTest();

/** The helper, run as the script runs it: whether the step goes on, and what it said. */
function viaScript(check: DumpCheckCommand): { passed: boolean; said: string[] } {
  const run = spawnSync(
    'bash',
    ['-c', `set -Eeuo pipefail; source "$1"; ${commandLine(check)}`, 'bash', HELPERS],
    {
      encoding: 'utf8',
    },
  );
  const said = run.stderr
    .split('\n')
    .filter((line) => line.startsWith('polyarchiv: '))
    .map((line) => line.slice('polyarchiv: '.length));
  return { passed: run.status === 0, said };
}

function viaExecutor(check: DumpCheckCommand): { passed: boolean; said: string[] } {
  const said: string[] = [];
  return { passed: checkDump(check, (line) => said.push(line)), said };
}

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
    };
    const expected = {
      passed: passes,
      said: warning === undefined ? [] : [`  warning: ${warning.replace('PARTIAL', check.partial)}`],
    };
    expect(viaExecutor(check)).toEqual(expected);
    expect(viaScript(check)).toEqual(expected);
  });
});
