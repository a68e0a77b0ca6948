import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import { obscuringLines } from '../../src/backends/bash/run-words.js';
import { envValue } from '../../src/backends/execute/run-exec.js';
import type { ExecCommand } from '../../src/graph/command.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('bash', 'rclone');

/** A secret that breaks careless quoting, as a WebDAV or FTP password may be. */
const SECRET = `p@ss:w/rd $(id) 'q' "dq" %41 ✓ \\ end`;
const VARIABLE = 'POLYARCHIV_SECRET_TWIN_PASSWORD';

const revealed = (obscured: string): string => {
  const run = spawnSync('rclone', ['reveal', '--', obscured], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout.replace(/\n$/, '');
};

describe.runIf(canRun)(
  'a secret obscured for rclone: the script and apply hand over the same password',
  () => {
    const command: ExecCommand = {
      kind: 'exec',
      argv: ['printenv', 'RCLONE_WEBDAV_PASS'],
      env: { RCLONE_WEBDAV_PASS: { secret: VARIABLE, obscuredBy: 'rclone' } },
    };

    it('in the script: rclone obscure reads the secret on its standard input', () => {
      const lines = [...obscuringLines(command), commandLine(command)].join('\n');
      expect(lines).not.toContain(SECRET);
      const run = spawnSync('bash', ['-c', `set -Eeuo pipefail\n${lines}`], {
        encoding: 'utf8',
        env: { ...process.env, [VARIABLE]: SECRET },
      });
      expect(run.status, run.stderr).toBe(0);
      const obscured = run.stdout.replace(/\n$/, '');
      expect(obscured).not.toBe(SECRET);
      expect(revealed(obscured)).toBe(SECRET);
    });

    it('in the script: a failed rclone obscure fails the line that needs it', () => {
      const failing = { ...command, env: { RCLONE_WEBDAV_PASS: { secret: VARIABLE, obscuredBy: 'false' } } };
      const lines = [...obscuringLines(failing), commandLine(failing)].join('\n');
      const run = spawnSync('bash', ['-c', `set -Eeuo pipefail\n${lines}`], {
        encoding: 'utf8',
        env: { ...process.env, [VARIABLE]: SECRET },
      });
      expect(run.status).not.toBe(0);
      expect(run.stdout).toBe('');
    });

    it('in apply: the same, from the configuration', () => {
      const value = command.env?.RCLONE_WEBDAV_PASS;
      if (value === undefined) throw new Error('no value');
      const obscured = envValue('RCLONE_WEBDAV_PASS', value, {
        workDir: '/nonexistent',
        secrets: new Map([[VARIABLE, SECRET]]),
        processes: new Set(),
      });
      expect(obscured).not.toBe(SECRET);
      expect(revealed(obscured)).toBe(SECRET);
    });
  },
);
