import { describe, expect, it } from 'vitest';
import { shellWord } from '../../src/backends/bash/shell-word.js';
import { removeScratch } from '../../src/backends/execute/scratch.js';
import { helperCall } from '../../src/backends/helper-calls.js';
import { HELPERS } from '../../src/graph/helper-contracts.js';
import { partialFile } from '../helpers/partials.js';
import { haveTools } from '../helpers/tools.js';
import { twinHarness } from '../helpers/twin-harness.js';

const canRun = haveTools('bash', 'rm');
const twins = twinHarness(partialFile('helpers.hbs'));

/** What a unit's steps leave: a partial, a staging copy, and a file that is no scratch. */
const LEFT = {
  'metadata/work/orders.sql.partial': 'half a dump\n',
  'metadata/work/filters/decrypted/plain.txt': 'the plain text\n',
  "metadata/work/filters/decrypted/it's here": 'more\n',
  'backups/orders.sql': 'the last good dump\n',
};
const SCRATCH = [
  'metadata/work/orders.sql.partial',
  'metadata/work/filters/decrypted',
  'metadata/never written',
];

/**
 * A unit's subshell as polyarchiv_run_unit runs it (its status read after it, errexit on inside)
 * that registers the scratch, then ends with `end`; the script exits 0 whatever its status.
 */
const unitSubshell = (end: string): string =>
  `set +e; ( polyarchiv_exit_on_signal; set -e; ${helperCall(HELPERS.scratch, { paths: SCRATCH.map(shellWord) })}; ${end} ); set -e`;

describe.runIf(canRun)('polyarchiv_scratch and removeScratch', () => {
  it.each([
    ['a step fails', 'false'],
    ['a signal ends the steps', 'kill -s TERM "${BASHPID}"; sleep 5'],
    ['the steps succeed', ':'],
  ])('remove the scratch alike when %s, and nothing else', (_, end) => {
    const { script, executor } = twins.both(LEFT, unitSubshell(end), (root) => {
      expect(
        removeScratch(
          SCRATCH.map((path) => `${root}/${path}`),
          {},
        ),
      ).toBe(HELPERS.scratch.statuses.registered);
    });
    expect(script).toEqual(executor);
    expect(
      Object.keys(script).filter((path) => path.includes('partial') || path.includes('decrypted')),
    ).toEqual([]);
    expect(Object.keys(script).some((path) => path.startsWith('backups/orders.sql'))).toBe(true);
  });
});
