import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lineStamper } from '../../src/cli/log-file.js';
import { withoutLogStamps } from '../helpers/cli.js';
import { partialFile } from '../helpers/partials.js';
import { sandboxesPerTest } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('bash', 'tee');

const newSandbox = sandboxesPerTest();

/** What the script's --log-file leaves: the output passed on, and the file. */
function viaScript(stdout: string, stderr: string): { stdout: string; stderr: string; log: string } {
  const box = newSandbox('polyarchiv-log-twin-');
  const log = box.path('run.log');
  box.write({ 'run.log': 'the previous run\n', 'out.txt': stdout, 'err.txt': stderr });
  const run = spawnSync(
    'bash',
    [
      '-c',
      'set -Eeuo pipefail; source "$1"; polyarchiv_log_file "$2"; cat -- "$3"; cat -- "$4" >&2; polyarchiv_log_close',
      'bash',
      partialFile('helpers-log-file.hbs'),
      log,
      box.path('out.txt'),
      box.path('err.txt'),
    ],
    { encoding: 'utf8' },
  );
  expect(run.status, run.stderr).toBe(0);
  return { stdout: run.stdout, stderr: run.stderr, log: readFileSync(log, 'utf8') };
}

/** What apply's --log-file writes for the same output. */
function viaExecutor(text: string): string {
  const written: Buffer[] = [];
  const stamp = lineStamper((bytes) => written.push(Buffer.from(bytes)));
  const bytes = Buffer.from(text);
  // In pieces that cut lines and a character of several bytes.
  for (let start = 0; start < bytes.length; start += 7) stamp(bytes.subarray(start, start + 7));
  return Buffer.concat(written).toString('utf8');
}

const TEXT = 'copying é and ü\n\n  indented \\ backslash\ttab\nsummary:\n  ok';

describe.runIf(canRun)('polyarchiv_log_file and lineStamper agree', () => {
  it.each([
    ['standard output', TEXT, ''],
    ['standard error', '', TEXT],
    ['a long line', `${'x'.repeat(100_000)}\nend\n`, ''],
  ])('on %s: the same lines, each after the local time, and the output passed on', (_, out, err) => {
    const script = viaScript(out, err);
    expect(script.stdout).toBe(out);
    expect(script.stderr).toBe(err);
    const apply = viaExecutor(out + err);
    // withoutLogStamps checks that every line starts with its time, in the same form.
    expect(withoutLogStamps(script.log)).toBe(withoutLogStamps(apply));
    expect(withoutLogStamps(script.log)).toBe(out + err);
  });

  it('keeps whole lines written to both streams', () => {
    const out = 'out 1\nout 2\n';
    const err = 'err 1\nerr 2\n';
    const lines = (text: string) => withoutLogStamps(text).split('\n').sort();
    expect(lines(viaScript(out, err).log)).toEqual(lines(viaExecutor(out + err)));
  });

  it('stamps the local time, as apply does', () => {
    const zone = { ...process.env, TZ: 'Asia/Kolkata' };
    const box = newSandbox('polyarchiv-log-twin-');
    const run = spawnSync(
      'bash',
      [
        '-c',
        'source "$1"; polyarchiv_log_file "$2"; echo line; polyarchiv_log_close',
        'bash',
        partialFile('helpers-log-file.hbs'),
        box.path('log'),
      ],
      { encoding: 'utf8', env: zone },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(readFileSync(box.path('log'), 'utf8')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:30 line\n$/);
  });
});
