import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import { runExec } from '../../src/backends/execute/run-exec.js';
import type { ExecCommand } from '../../src/graph/command.js';

const STARTED = '2026-03-10T04:05:06';
const command: ExecCommand = {
  kind: 'exec',
  argv: ['printenv', 'GIT_COMMITTER_DATE'],
  env: { GIT_COMMITTER_DATE: { runStarted: true } },
};

/** What the command prints run by apply, then by the script (whose start is `polyarchiv_started`). */
async function both(environment: Record<string, string>): Promise<[string, string]> {
  const printed: Buffer[] = [];
  const saved = process.env.GIT_COMMITTER_DATE;
  if (environment.GIT_COMMITTER_DATE === undefined) delete process.env.GIT_COMMITTER_DATE;
  else process.env.GIT_COMMITTER_DATE = environment.GIT_COMMITTER_DATE;
  try {
    const status = await runExec(command, {
      workDir: '/nonexistent',
      secrets: new Map(),
      processes: new Set(),
      runStarted: STARTED,
      output: (stream, chunk) => (stream === 'stdout' ? printed.push(chunk) : undefined),
    });
    expect(status).toBe(0);
  } finally {
    if (saved === undefined) delete process.env.GIT_COMMITTER_DATE;
    else process.env.GIT_COMMITTER_DATE = saved;
  }
  const { GIT_COMMITTER_DATE: _, ...inherited } = process.env;
  const bash = spawnSync('bash', ['-c', `set -u\npolyarchiv_started=${STARTED}\n${commandLine(command)}`], {
    encoding: 'utf8',
    env: { ...inherited, ...environment },
  });
  expect(bash.status, bash.stderr).toBe(0);
  return [Buffer.concat(printed).toString('utf8'), bash.stdout];
}

describe("a variable set to the run's start", () => {
  it('is the start as the state records it, in apply as in the script', async () => {
    expect(await both({})).toEqual([`${STARTED}\n`, `${STARTED}\n`]);
  });

  it("is the environment's own value when the run's environment sets it", async () => {
    const pinned = '2020-01-01T00:00:00+00:00';
    expect(await both({ GIT_COMMITTER_DATE: pinned })).toEqual([`${pinned}\n`, `${pinned}\n`]);
  });
});
