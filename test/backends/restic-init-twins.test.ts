import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import { resticInit } from '../../src/backends/execute/restic-init.js';
import type { ResticInitCommand } from '../../src/graph/command.js';
import { partialFile } from '../helpers/partials.js';
import { sandboxesPerTest } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const partial = (name: string) => partialFile(`${name}.hbs`);
const canRun = haveTools('bash', 'sh');

const newSandbox = sandboxesPerTest();

const WRONG_PASSWORD = "no key for the password of option 'password' (vault.backup:4 [point])";

/** A probe that says `said` on stderr and exits with `status`; an init that records its environment. */
function command(root: string, said: string, status: number): ResticInitCommand {
  return {
    kind: 'restic-init',
    explains: [{ status: 'other', printed: 'wrong password or no key found', message: WRONG_PASSWORD }],
    probe: [
      'sh',
      '-c',
      'echo "{\\"version\\":2}"; printf "%s\\n" "$1" >&2; exit "$2"',
      'sh',
      said,
      String(status),
    ],
    init: ['sh', '-c', 'printf "%s\\n" "$PROBE_VALUE" >> "$1"', 'sh', `${root}/init`],
    env: { PROBE_VALUE: { literal: "it's set" } },
    exists: 'the repository exists',
  };
}

type Outcome = { code: number; said: string[]; init: string; errors: string };

function viaScript(cmd: ResticInitCommand, root: string): Outcome {
  const run = spawnSync(
    'bash',
    [
      '-c',
      `set -Eeuo pipefail; source "$1"; source "$2"; ${commandLine(cmd)}`,
      'bash',
      partial('helpers'),
      partial('helpers-restic'),
    ],
    { encoding: 'utf8' },
  );
  const lines = run.stderr.split('\n');
  const said = lines.filter((l) => l.startsWith('polyarchiv: ')).map((l) => l.slice('polyarchiv: '.length));
  const errors = lines.filter((l) => l !== '' && !l.startsWith('polyarchiv: ')).join('\n');
  return { code: run.status ?? -1, said, init: initOf(root), errors };
}

async function viaExecutor(cmd: ResticInitCommand, root: string): Promise<Outcome> {
  const said: string[] = [];
  const errors: Buffer[] = [];
  const code = await resticInit(
    cmd,
    {
      workDir: root,
      secrets: new Map(),
      processes: new Set(),
      output: (stream, chunk) => stream === 'stderr' && errors.push(chunk),
    },
    (line) => said.push(line),
    (line) => said.push(line),
  );
  return { code, said, init: initOf(root), errors: Buffer.concat(errors).toString('utf8').trim() };
}

const initOf = (root: string): string =>
  existsSync(`${root}/init`) ? readFileSync(`${root}/init`, 'utf8') : '';

const QUESTION = 'Is there a repository at the following location?';

describe.runIf(canRun)('polyarchiv_restic_init and resticInit agree', () => {
  it.each([
    ['the repository exists', '', 0, { code: 0, init: '' }],
    [
      'restic 0.17 says it does not exist (status 10)',
      'Fatal: repository does not exist',
      10,
      { code: 0, init: "it's set\n" },
    ],
    [
      'a local config file is not found',
      `Fatal: unable to open config file: stat /r/config: no such file or directory\n${QUESTION}\n/r`,
      1,
      { code: 0, init: "it's set\n" },
    ],
    [
      'a REST config file is not found',
      `Fatal: unable to open config file: <config/> does not exist\n${QUESTION}\nrest:http://h/r/`,
      1,
      { code: 0, init: "it's set\n" },
    ],
    [
      'the server is down',
      `Fatal: unable to open config file: dial tcp 127.0.0.1:9: connect: connection refused\n${QUESTION}\nrest:http://h/r/`,
      1,
      { code: 1, init: '' },
    ],
    ['the password is wrong', 'Fatal: wrong password or no key found', 1, { code: 1, init: '' }],
  ] as const)('when %s', async (_, said, status, expected) => {
    const results: Outcome[] = [];
    for (const backend of [viaScript, viaExecutor]) {
      const box = newSandbox('polyarchiv-twin-');
      results.push(await backend(command(box.root, said, status), box.root));
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]).toMatchObject(expected);
    // After restic's message, the option it means, when restic names the cause.
    const why = said.includes('wrong password') ? [`  ${WRONG_PASSWORD}`] : [];
    expect(results[0]?.said).toEqual(status === 0 ? ['  the repository exists'] : why);
    // A failure that is not a missing repository passes restic's message on.
    expect(results[0]?.errors).toBe(expected.code === 0 ? '' : said);
  });
});
