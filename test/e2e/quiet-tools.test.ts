import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type CliResult, runAsync, runCliAsync } from '../helpers/cli.js';
import { configure, PASSWORD, restic, SECRET } from '../helpers/restic-case.js';
import { isAlive } from '../helpers/run-control.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum', 'restic');
const at = (day: number) => `2026-11-0${day}T03:00:00+01:00`;

/** A quiet backup (`-q`) through apply, or through the script run with `-q`. */
async function quietBackup(box: Sandbox, how: 'apply' | 'script', now: string): Promise<CliResult> {
  const args = ['-C', box.path('config'), '--set', `root=${box.root}`, '--now', now];
  if (how === 'apply') return runCliAsync(['backup', '-q', ...args]);
  const plan = await runCliAsync(['plan', ...args]);
  expect(plan.code, plan.stderr).toBe(0);
  writeFileSync(box.path('run.sh'), plan.stdout);
  return runAsync('bash', [box.path('run.sh'), '-q'], { [SECRET]: PASSWORD });
}

/**
 * restic reports every repository it creates and every snapshot it saves on its standard output:
 * a scheduled `-q` run, whose every printed line cron mails, must print none of it when it
 * succeeds, and all of it when the unit fails.
 */
describe.runIf(canRun).each(['apply', 'script'] as const)(
  '-q with a restic backup point through %s',
  (how) => {
    let box: Sandbox | undefined;
    let holder: ChildProcess | undefined;
    afterEach(() => {
      if (holder?.pid !== undefined && isAlive(holder.pid)) holder.kill('SIGKILL');
      box?.remove();
    });

    it('prints nothing while snapshots are saved, and all restic said when a later step fails', async () => {
      box = makeSandbox('polyarchiv-quiet-restic-');
      configure(box);
      const sandbox = box;
      // The first run creates the repository; each saves a snapshot; none forgets any yet.
      for (let n = 1; n <= 4; n++) {
        sandbox.write({ 'data/index.html': `<p>day ${n}</p>\n` });
        const result = await quietBackup(sandbox, how, at(n));
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toBe('');
        expect(result.stderr).toBe('');
      }
      // A backup that reads its standard input holds a lock that is not stale while it waits: the
      // fifth run's snapshot goes through, its forget (which needs the repository alone) fails.
      holder = spawn('restic', ['--repo', sandbox.path('repo'), '--no-cache', 'backup', '--stdin'], {
        env: { ...process.env, RESTIC_PASSWORD: PASSWORD },
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      const locked = holder;
      await expect
        .poll(() => restic(sandbox.path('repo'), ['list', 'locks', '--no-lock']).stdout.trim())
        .not.toBe('');
      sandbox.write({ 'data/index.html': '<p>day 5</p>\n' });
      const result = await quietBackup(sandbox, how, at(5));
      locked.kill('SIGKILL');
      expect(result.code, result.stderr + result.stdout).toBe(1);
      // The last step, the forget, after the check that the repository is there and the snapshot.
      expect(result.stderr).toMatch(/polyarchiv: backup:vault\/site: failed with exit code 1: step 7 of 7/);
      expect(result.stdout).toMatch(/^snapshot [0-9a-f]+ saved$/m);
      expect(result.stdout).toMatch(/^successfully removed locks$/m);
    });
  },
);
