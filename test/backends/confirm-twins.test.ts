import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { confirmStep } from '../../src/backends/execute/confirm.js';
import type { ConfirmCommand } from '../../src/graph/command.js';
import { haveTools } from '../helpers/tools.js';

const partial = (name: string) => fileURLToPath(new URL(`../../templates/partials/${name}`, import.meta.url));
const canRun = haveTools('bash');

/** polyarchiv_confirm as a unit step runs it, with --yes or an answer typed on its standard input. */
function script(command: ConfirmCommand, yes: boolean, answer: string) {
  const run = spawnSync(
    'bash',
    [
      '-c',
      `set -Eeuo pipefail; shopt -s inherit_errexit; source "$1"; source "$2"; shift 2; polyarchiv_yes=${yes ? 1 : 0}; set +e; (set -e; polyarchiv_confirm "$@"); echo "rc=$?"`,
      'bash',
      partial('helpers.hbs'),
      partial('helpers-confirm.hbs'),
      command.warning,
      ...(command.preview as string[]),
    ],
    { encoding: 'utf8', input: answer },
  );
  // Without a terminal, nothing ends the question's line: every message starts with `polyarchiv: `.
  const said = run.stderr
    .split(/polyarchiv: /)
    .map((text) => text.replace(/\n$/, ''))
    .filter((text) => text.startsWith('  '));
  return { rc: Number(/rc=(\d+)/.exec(run.stdout)?.[1] ?? -1), said };
}

async function executor(command: ConfirmCommand, yes: boolean, answer: string) {
  const said: string[] = [];
  const rc = await confirmStep(command, { yes, ask: async () => answer === 'y\n' }, (line) =>
    said.push(line),
  );
  return { rc, said };
}

describe.runIf(canRun)('polyarchiv_confirm and confirmStep behave alike', () => {
  const cases: [string, ConfirmCommand, boolean, string, number][] = [
    ['go on with --yes', { kind: 'confirm', warning: 'replaces /srv', preview: ['true'] }, true, '', 0],
    [
      'go on when the answer is y',
      { kind: 'confirm', warning: 'replaces /srv', preview: [] },
      false,
      'y\n',
      0,
    ],
    [
      'stop when the answer is n',
      { kind: 'confirm', warning: 'replaces /srv', preview: [] },
      false,
      'n\n',
      1,
    ],
    ['stop at the end of input', { kind: 'confirm', warning: 'replaces /srv', preview: [] }, false, '', 1],
    [
      'stop when the preview fails',
      { kind: 'confirm', warning: 'x', preview: ['sh', '-c', 'exit 23'] },
      true,
      '',
      23,
    ],
  ];
  it.each(cases)('%s', async (_, command, yes, answer, rc) => {
    const bash = script(command, yes, answer);
    const ts = await executor(command, yes, answer);
    expect(ts).toEqual(bash);
    expect(bash.rc).toBe(rc);
    expect(bash.said[0]).toBe(`  ${command.warning}`);
    if (rc === 1) expect(bash.said).toContain('  not confirmed: nothing was replaced');
  });
});
