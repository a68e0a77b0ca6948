import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EMPTY_WORK_DIR_MINUTES } from '../../src/graph/helper-contracts.js';
import { CLI, type CliResult, runAsync, runCli, runCliAsync } from '../helpers/cli.js';
import {
  type Exit,
  gatedDump,
  isAlive,
  isLocked,
  killGroupOf,
  sleep,
  slowDump,
  slowToStopDump,
  startOnTerminal,
  startRun,
  waitFor,
} from '../helpers/run-control.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('flock', 'bash', 'sha256sum', 'sleep');

interface Scenario {
  readonly box: Sandbox;
  readonly args: string[];
  readonly lock: string;
  readonly state: string;
  readonly env: Record<string, string>;
}

/** A collect point whose dump takes a password (a private file) and a long time. */
function scenario(dumping: 'slow' | 'slow to stop' | 'gated' = 'slow'): Scenario {
  const box = makeSandbox('polyarchiv-interrupt-');
  const dump =
    dumping === 'slow to stop'
      ? slowToStopDump(box)
      : dumping === 'gated'
        ? gatedDump(box)
        : slowDump(box, 60);
  box.write({
    'config/shop.collect': `[point]\nengine = files\nlocal_path = {root}/collect\n\n[source "orders"]\nengine = mysql\nuser = backup\npassword = s3cret\ndatabase = orders\ndestination_path = orders.sql\ndump_executable = ${dump}\n`,
    'tmp/.keep': '',
  });
  return {
    box,
    args: ['-C', box.path('config'), '--set', `root=${box.root}`],
    lock: box.path('collect/metadata/collect_point/lock'),
    state: box.path('collect/metadata/collect_point/shop.json'),
    env: { TMPDIR: box.path('tmp') },
  };
}

/** The run under test: apply in-process or the script it renders, started in the background. */
function start(backend: 'apply' | 'script', s: Scenario) {
  if (backend === 'apply') return startRun(process.execPath, [CLI, 'backup', ...s.args], s.env);
  return startRun('bash', [scriptOf(s)], s.env);
}

/** The scenario's script, with its password (the run must remove the private file it writes). */
function scriptOf(s: Scenario): string {
  const script = s.box.path('backup.sh');
  writeFileSync(script, runCli(['plan', '--include-secrets', ...s.args]).stdout);
  return script;
}

/**
 * A collect point of one directory, and a hook that takes 20 s before it: the run's, or the collect
 * point's own (its unit's).
 */
function slowHookScenario(owner: 'run' | 'unit'): Scenario {
  const box = makeSandbox('polyarchiv-interrupt-hook-');
  const hook = `\n[hook "slow"]\nengine = command\nevents = before_backup\ncommand = ${box.path('slow-hook')}\n`;
  box.write({
    'config/run.global': `[global]\n${owner === 'run' ? hook : ''}`,
    'config/site.collect': `[point]\nengine = files\nlocal_path = {root}/collect\n\n[source "data"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = data\n${owner === 'unit' ? hook : ''}`,
    'data/file': 'data\n',
    'slow-hook': `#!/bin/sh\nprintf '%s' "$$" > '${box.path('dump.pid')}'\nsleep 20\nprintf done > '${box.path('hook.done')}'\n`,
    'tmp/.keep': '',
  });
  chmodSync(box.path('slow-hook'), 0o755);
  return {
    box,
    args: ['-C', box.path('config'), '--set', `root=${box.root}`],
    lock: box.path('collect/metadata/collect_point/lock'),
    state: box.path('collect/metadata/collect_point/site.json'),
    env: { TMPDIR: box.path('tmp') },
  };
}

/** Lines of a run's standard error that are not its own (the stand-in tools print nothing). */
const foreignLines = (stderr: string) =>
  stderr.split('\n').filter((line) => line !== '' && !/^(polyarchiv|warning|notice):/.test(line));

/** A collect point of one directory, whose copy (rsync_executable) takes 60 s, and a run's error hook. */
function slowCopyScenario(): Scenario {
  const s = slowHookScenario('unit');
  s.box.write({
    'config/site.collect': `[point]\nengine = files\nlocal_path = {root}/collect\n\n[source "data"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = data\n`,
    'config/tools.global': `[global]\nrsync_executable = ${s.box.path('slow-rsync')}\n\n[hook "alert"]\nengine = command\nevents = backup_error\ncommand = ${s.box.path('alert-hook')}\n`,
    'alert-hook': `#!/bin/sh\necho backup_error >> '${s.box.path('hook.ran')}'\n`,
    'slow-rsync': `#!/bin/sh\necho "$$ $*" >> '${s.box.path('rsync.calls')}'\nprintf '%s' "$$" > '${s.box.path('dump.pid')}'\nsleep 60\n`,
  });
  chmodSync(s.box.path('slow-rsync'), 0o755);
  chmodSync(s.box.path('alert-hook'), 0o755);
  return s;
}

const dumpPid = (s: Scenario) => Number(readFileSync(s.box.path('dump.pid'), 'utf8'));

/**
 * Another run on the same machine and TMPDIR, of another collect point (one quick copy), through
 * apply or through its script: it removes the work directories of dead runs there.
 */
function otherRun(backend: 'apply' | 'script', s: Scenario): Promise<CliResult> {
  s.box.write({
    'other/config/other.collect': `[point]\nengine = files\nlocal_path = {root}/other/collect\n\n[source "data"]\nengine = local_files\nsource_path = {root}/other/data\ndestination_path = data\n`,
    'other/data/file': 'data\n',
  });
  const args = ['-C', s.box.path('other/config'), '--set', `root=${s.box.root}`];
  if (backend === 'apply') return runCliAsync(['backup', ...args], s.env);
  writeFileSync(s.box.path('other/backup.sh'), runCli(['plan', ...args]).stdout);
  return runAsync('bash', [s.box.path('other/backup.sh')], s.env);
}

describe.runIf(canRun).each(['apply', 'script'] as const)(
  'a %s run that is killed or interrupted',
  (backend) => {
    let s: Scenario | undefined;
    afterEach(() => {
      if (s === undefined) return;
      try {
        killGroupOf(dumpPid(s));
      } catch {
        // The dump never started.
      }
      s.box.remove();
      s = undefined;
    });

    it('keeps the lock while its tools outlive a kill -9', async () => {
      s = scenario();
      const run = start(backend, s);
      const current = s;
      await waitFor(
        () => isLocked(current.lock) && readdirSync(current.box.root).includes('dump.pid'),
        'the dump',
      );
      run.child.kill('SIGKILL');
      expect(await run.died).toBe('SIGKILL');
      expect(isAlive(dumpPid(s))).toBe(true);
      const second = runCli(['backup', ...s.args], s.env);
      expect(second.code, second.stderr).toBe(75);
      expect(second.stderr).toContain(`${s.lock} is locked by another run`);
      killGroupOf(dumpPid(s));
      await waitFor(() => !isLocked(current.lock), 'the kernel to release the lock');
    });

    it('leaves its private work directory after a kill -9, kept while it or its tools live, removed by the next run', async () => {
      s = scenario();
      const run = start(backend, s);
      const current = s;
      await waitFor(() => existsSync(current.box.path('dump.pid')), 'the dump');
      const privateFile = readFileSync(s.box.path('private-file.path'), 'utf8');
      const workDir = dirname(privateFile);
      expect(dirname(workDir)).toBe(s.box.path('tmp'));
      expect(workDir).toMatch(/\/polyarchiv\.[^/]{6}$/);
      // A live run's directory stays, whichever backend the other run goes through.
      for (const other of ['apply', 'script'] as const) {
        const live = await otherRun(other, s);
        expect(live.code, live.stderr).toBe(0);
        expect(readFileSync(privateFile, 'utf8')).toContain('s3cret');
      }
      // Killed, it runs no trap: its directory and password file stay, and so does its lock while
      // its dump, which inherited it, still runs.
      run.child.kill('SIGKILL');
      expect(await run.died).toBe('SIGKILL');
      expect(isAlive(dumpPid(s))).toBe(true);
      const orphaned = await otherRun(backend, s);
      expect(orphaned.code, orphaned.stderr).toBe(0);
      expect(readFileSync(privateFile, 'utf8')).toContain('s3cret');
      killGroupOf(dumpPid(s));
      await waitFor(() => !isLocked(current.lock), 'the kernel to release the lock');
      expect(existsSync(privateFile)).toBe(true);
      // The next run, through the other backend (both name and lock their directories alike),
      // removes it; its own is gone too once it ended.
      const next = await otherRun(backend === 'apply' ? 'script' : 'apply', s);
      expect(next.code, next.stderr).toBe(0);
      expect(existsSync(workDir)).toBe(false);
      expect(readdirSync(s.box.path('tmp'))).toEqual(['.keep']);
    });

    it('removes the empty directory of a run killed before it marked it, once it is old enough, not a newer one', async () => {
      s = scenario();
      // As a run killed between its mktemp and its mark leaves it, long ago and a moment ago.
      const killed = s.box.path('tmp/polyarchiv.killed');
      const young = s.box.path('tmp/polyarchiv.young1');
      mkdirSync(killed);
      mkdirSync(young);
      const then = new Date(Date.now() - (EMPTY_WORK_DIR_MINUTES + 1) * 60_000);
      utimesSync(killed, then, then);
      const next = await otherRun(backend, s);
      expect(next.code, next.stderr).toBe(0);
      expect(readdirSync(s.box.path('tmp')).sort()).toEqual(['.keep', 'polyarchiv.young1']);
    });

    /** What a run that `signal` interrupted during its dump must have done, and left. */
    function expectInterrupted(s: Scenario, signal: string) {
      expect(isAlive(dumpPid(s))).toBe(false);
      expect(readdirSync(s.box.path('tmp'))).toEqual(['.keep']);
      // The dump's partial goes with the unit, as its private file goes with the run.
      expect(existsSync(s.box.path('collect/metadata/work/orders.sql.partial'))).toBe(false);
      expect(isLocked(s.lock)).toBe(false);
      const state = JSON.parse(readFileSync(s.state, 'utf8'));
      expect(state.last_state_valid).toBe(false);
      expect(state.fail_count).toBe(1);
      expect(state.last_message).toMatch(
        new RegExp(`^interrupted by ${signal}: step \\d+ of \\d+ at shop\\.collect:`),
      );
    }

    it.each([
      ['SIGTERM', 143],
      ['SIGINT', 130],
    ] as const)(
      'on %s stops its tools, removes its private files and records the failure',
      async (signal, code) => {
        s = scenario();
        const run = start(backend, s);
        const current = s;
        await waitFor(() => readdirSync(current.box.root).includes('dump.pid'), 'the dump');
        const privateFile = readFileSync(s.box.path('private-file.path'), 'utf8');
        expect(readFileSync(privateFile, 'utf8')).toContain('s3cret');
        run.child.kill(signal);
        const exit = await run.exited;
        expect(exit.code, exit.stderr).toBe(code);
        expect(exit.stderr).toContain(`interrupted by ${signal}: step`);
        expectInterrupted(s, signal);
        expect(exit.stderr).toMatch(/summary:\n.*failed +collect:shop/);
      },
    );

    // A closed window or a dropped ssh session: the kernel hangs the terminal up (SIGHUP), and
    // the run can no longer print anything (its writes fail). Node, left to itself, dies of the
    // signal at once, and aborts as it exits on such a terminal.
    it('on a terminal that hangs up carries on to the end, records its outcome and removes its private files', async () => {
      s = scenario('gated');
      const log = ['--log-file', s.box.path('run.log')];
      const command =
        backend === 'apply'
          ? [process.execPath, CLI, 'backup', ...log, ...s.args]
          : ['bash', scriptOf(s), ...log];
      const run = startOnTerminal(command[0] as string, command.slice(1), s.env);
      const current = s;
      await waitFor(() => readdirSync(current.box.root).includes('dump.pid'), 'the dump');
      run.hangUp();
      await sleep(300);
      expect(isAlive(dumpPid(s))).toBe(true);
      writeFileSync(s.box.path('go'), '');
      const exit = await run.exited;
      expect(exit.status, exit.output).toBe(0);
      expect(readFileSync(s.box.path('collect/backups/orders.sql'), 'utf8')).toContain('Dump completed');
      const state = JSON.parse(readFileSync(s.state, 'utf8'));
      expect(state.last_state_valid).toBe(true);
      expect(readdirSync(s.box.path('tmp'))).toEqual(['.keep']);
      expect(isLocked(s.lock)).toBe(false);
      // What it could no longer print went on into its log file, to the end.
      expect(readFileSync(s.box.path('run.log'), 'utf8')).toMatch(/summary:\n.*ok +collect:shop/);
    });

    // The run's hooks run outside every unit: the signal stops them as it stops a unit's tools.
    /** Starts a run, sends SIGTERM once the slow hook runs: the hook must be stopped, not awaited. */
    async function interruptedDuringHook(scenario: Scenario): Promise<Exit> {
      const run = start(backend, scenario);
      await waitFor(() => readdirSync(scenario.box.root).includes('dump.pid'), 'the hook');
      run.child.kill('SIGTERM');
      const exit = await run.exited;
      expect(exit.code, exit.stderr).toBe(143);
      expect(isAlive(dumpPid(scenario))).toBe(false);
      expect(existsSync(scenario.box.path('hook.done'))).toBe(false);
      return exit;
    }

    it('on SIGTERM during a hook of the run stops the hook, reports it and runs no unit', async () => {
      s = slowHookScenario('run');
      const exit = await interruptedDuringHook(s);
      expect(exit.stderr).toContain('hook "slow" at run.global:3 failed on before_backup with exit code 143');
      expect(exit.stderr).toContain('collect:site: not run, interrupted by SIGTERM');
      expect(existsSync(s.state)).toBe(false);
      expect(readdirSync(s.box.path('tmp'))).toEqual(['.keep']);
    });

    it("on SIGTERM during a unit's hook stops the hook and runs none of the unit's steps", async () => {
      s = slowHookScenario('unit');
      const exit = await interruptedDuringHook(s);
      expect(exit.stderr).toContain(
        'hook "slow" at site.collect:10 failed on before_backup with exit code 143',
      );
      expect(exit.stderr).toContain('interrupted by SIGTERM: step 1 of 4 at site.collect:1 [point]');
      expect(exit.stderr).toMatch(/summary:\n.*failed +collect:site/);
      expect(existsSync(s.box.path('collect/backups'))).toBe(false);
      expect(JSON.parse(readFileSync(s.state, 'utf8')).last_message).toBe(
        'interrupted by SIGTERM: step 1 of 4 at site.collect:1 [point]',
      );
    });

    it('on SIGTERM during a copy starts no other tool of the unit, prints its own lines only and runs the error hook', async () => {
      s = slowCopyScenario();
      const run = start(backend, s);
      const current = s;
      await waitFor(() => readdirSync(current.box.root).includes('dump.pid'), 'the copy');
      run.child.kill('SIGTERM');
      const exit = await run.exited;
      expect(exit.code, exit.stderr).toBe(143);
      // No word of bash's about a subshell of the unit that the signal ended ("Terminated").
      expect(foreignLines(exit.stderr)).toEqual([]);
      expect(exit.stderr).toContain('interrupted by SIGTERM: step 4 of 4 at site.collect:5 [source "data"]');
      // The copy measures its target first (no rsync had made it): the copy itself never started.
      expect(readFileSync(s.box.path('rsync.calls'), 'utf8')).toMatch(/^\d+ -a -n --stats [^\n]*\n$/);
      // The hook that tells of the failed run still ran.
      expect(readFileSync(s.box.path('hook.ran'), 'utf8')).toBe('backup_error\n');
      expect(isAlive(dumpPid(s))).toBe(false);
      expect(isLocked(s.lock)).toBe(false);
    });

    // A tool that takes a moment to stop still holds the lock's fd 9 and may still write: the unit
    // records and unlocks only once it has stopped, or the next run would work beside it.
    it('on SIGTERM waits for a tool that is slow to stop before it records and unlocks', async () => {
      s = scenario('slow to stop');
      const run = start(backend, s);
      const current = s;
      await waitFor(() => readdirSync(current.box.root).includes('dump.pid'), 'the dump');
      run.child.kill('SIGTERM');
      const exit = await run.died;
      expect(exit).toBe(null);
      expect(readdirSync(s.box.root)).toContain('dump.stopped');
      expect(isAlive(dumpPid(s))).toBe(false);
      expect(isLocked(s.lock)).toBe(false);
      const state = JSON.parse(readFileSync(s.state, 'utf8'));
      expect(state.last_message).toMatch(/^interrupted by SIGTERM: step \d+ of \d+ at shop\.collect:/);
    });
  },
);
