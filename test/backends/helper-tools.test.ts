import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkCopy } from '../../src/backends/execute/check-copy.js';
import { alignMailboxes } from '../../src/backends/execute/dovecot-align.js';
import type { RunContext } from '../../src/backends/execute/run-exec.js';
import { sandboxPerFile } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('sh', 'sleep', 'readlink');
const box = sandboxPerFile('polyarchiv-helper-tools-');

/**
 * A tool that says which file its fd 9 is, then waits to be stopped: run by a helper of apply, it
 * must hold the unit's lock as every tool of the unit does (a kill -9 of apply leaves the lock
 * held while it runs) and be among the unit's processes (an interruption stops it). Stopped, it
 * fails the helper (1); left to end, it would succeed and the helper go on to accept the copy.
 */
const WAITING_TOOL = ['sh', '-c', 'readlink /proc/self/fd/9 >&2; exec sleep 30', 'sh'];

/** Runs `helper` with the lock open as fd 9, stops its tool once it runs: what it said, and when. */
async function stopped(helper: (ctx: RunContext) => Promise<number>) {
  const lock = box.path('lock');
  const lockFd = openSync(lock, 'a');
  const errors: Buffer[] = [];
  const processes = new Set<import('node:child_process').ChildProcess>();
  const ctx: RunContext = {
    workDir: box.path('work'),
    secrets: new Map(),
    processes,
    lockFd,
    output: (stream, chunk) => {
      if (stream === 'stderr') errors.push(chunk);
    },
  };
  mkdirSync(ctx.workDir, { recursive: true });
  const running = helper(ctx);
  // The tool is registered as it starts: stop it as an interruption does, by its process group.
  for (let i = 0; i < 200 && processes.size === 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect(processes.size).toBe(1);
  // Stopped once it said which file its fd 9 is: once it sleeps.
  const [tool] = processes;
  const sleeps = () => readFileSync(`/proc/${tool?.pid}/comm`, 'utf8').trim() === 'sleep';
  for (let i = 0; i < 1000 && !sleeps(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(sleeps()).toBe(true);
  for (const child of processes) process.kill(-(child.pid as number), 'SIGTERM');
  const code = await running;
  closeSync(lockFd);
  return { code, said: Buffer.concat(errors).toString('utf8'), lock };
}

describe.runIf(canRun)('the tools of helpers run as every tool of the unit', () => {
  it("check-copy's dry runs hold the lock and stop with the unit", async () => {
    const run = await stopped((ctx) =>
      checkCopy(
        {
          kind: 'check-copy',
          incoming: WAITING_TOOL,
          previous: WAITING_TOOL,
          maxShrinkPercent: 50,
          allowShrink: false,
          what: 'the copy',
        },
        ctx,
        () => {},
      ),
    );
    expect(run.code).toBe(1);
    expect(run.said.split('\n')[0]).toBe(run.lock);
  });

  it("the dovecot alignment's doveadm commands hold the lock and stop with the unit", async () => {
    mkdirSync(box.path('copy/alice'), { recursive: true });
    const run = await stopped((ctx) =>
      alignMailboxes(
        {
          kind: 'align-mailboxes',
          copyDir: box.path('copy'),
          live: WAITING_TOOL,
          copy: WAITING_TOOL,
          socket: '',
          users: 'users',
          mask: '',
          mailbox: '',
          selects: 'the source',
          lacking: '',
        },
        ctx,
        () => {},
      ),
    );
    expect(run.code).toBe(1);
    expect(run.said.split('\n')[0]).toBe(run.lock);
  });
});
