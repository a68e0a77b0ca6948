import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type CliResult, runAsync, runCli, runCliAsync } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum');
const RUNS = 24;

/**
 * Runs of different configurations that start together in one TMPDIR (timers of several `--name`s,
 * cron lines of several teams): each sweeps the directories of dead runs there, and must never
 * take another run's new directory for a dead one, nor make that run fail to lock it.
 */
describe.runIf(canRun)('runs that start at the same moment in one TMPDIR', { timeout: 300_000 }, () => {
  let box: Sandbox | undefined;
  afterEach(() => box?.remove());

  it('all get their private work directory, through apply and through scripts side by side', async () => {
    box = makeSandbox('polyarchiv-concurrent-');
    const sandbox = box;
    sandbox.write({ 'data/a.txt': 'a\n', 'tmp/.keep': '' });
    for (let i = 0; i < RUNS; i++)
      sandbox.write({
        [`config${i}/p${i}.collect`]: `[point]\nengine = files\nlocal_path = {root}/collect${i}\n\n[source "data"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = data\n`,
      });
    const env = { TMPDIR: sandbox.path('tmp') };
    for (let round = 0; round < 3; round++) {
      const args = (i: number) => [
        '-C',
        sandbox.path(`config${i}`),
        '--set',
        `root=${sandbox.root}`,
        '-f',
        '-q',
      ];
      // The scripts are rendered first, so that every run starts at the same moment.
      for (let i = 1; i < RUNS; i += 2) {
        const plan = runCli(['plan', ...args(i)]);
        expect(plan.code, plan.stderr).toBe(0);
        writeFileSync(sandbox.path(`run${i}.sh`), plan.stdout);
      }
      const runs: Promise<CliResult>[] = [];
      for (let i = 0; i < RUNS; i++)
        runs.push(
          i % 2 === 0
            ? runCliAsync(['backup', ...args(i)], env)
            : runAsync('bash', [sandbox.path(`run${i}.sh`), '-q'], env),
        );
      for (const [i, result] of (await Promise.all(runs)).entries()) {
        expect(result.stderr, `round ${round}, run ${i}`).toBe('');
        expect(result.code, `round ${round}, run ${i}`).toBe(0);
      }
    }
  });
});
