import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CliResult, runCli } from '../helpers/cli.js';
import { sandboxesPerTest } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum');
const MARK = 'collect/site/metadata/collect_point/restore-unfinished';
/** Making a directory there fails once the restore has begun: /proc takes no new directory. */
const UNREACHABLE = '/proc/polyarchiv-unreachable/data';

/**
 * A restore that fails after it began changing live data leaves them holding part of the backup;
 * the next backup must not take that for the truth and replace the good copies with it.
 */
const configArgs = (box: { path(p: string): string; root: string }, live: string) => [
  '-C',
  box.path('config'),
  '--set',
  `root=${box.root}`,
  '--set',
  `live=${live}`,
];

describe.runIf(canRun).each(['apply', 'script'] as const)('a restore left unfinished, through %s', (how) => {
  const sandbox = sandboxesPerTest();

  function setUp() {
    const box = sandbox('polyarchiv-unfinished-');
    box.write({
      'data/a.txt': 'good\n',
      'config/site.collect':
        '[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "tree"]\nengine = local_files\nsource_path = {live}\ndestination_path = tree\n',
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
    });
    const run = (command: 'backup' | 'restore', live: string): CliResult => {
      const args = ['-C', box.path('config'), '--set', `root=${box.root}`, '--set', `live=${live}`];
      if (how === 'apply')
        return runCli([command, ...(command === 'restore' ? ['--yes'] : []), '-f', ...args]);
      const plan = runCli(['plan', '-f', ...(command === 'restore' ? ['--restore'] : []), ...args]);
      expect(plan.code, plan.stderr).toBe(0);
      writeFileSync(box.path('run.sh'), plan.stdout);
      const ran = spawnSync('bash', [box.path('run.sh'), ...(command === 'restore' ? ['--yes'] : [])], {
        encoding: 'utf8',
      });
      return { code: ran.status ?? -1, stdout: ran.stdout, stderr: ran.stderr };
    };
    return { box, run };
  }

  it('refuses backups until a restore ends, and keeps the good copies', () => {
    const { box, run } = setUp();
    const data = box.path('data');
    expect(run('backup', data).code).toBe(0);
    expect(runCli(['check', '--nrpe', ...configArgs(box, data)]).code).toBe(0);
    const failed = run('restore', UNREACHABLE);
    expect(failed.code, failed.stderr).toBe(1);
    expect(readFileSync(box.path(MARK), 'utf8')).toContain('did not end');
    // Monitoring is told at once, before any backup fails: where the mark is and what to do.
    const problem = new RegExp(
      `a restore of collect point "site" did not end \\(${box.path(MARK)}\\): .*restore again, or remove ${box.path(MARK)} once the live data is as it must be`,
    );
    const check = () => runCli(['check', '--nrpe', ...configArgs(box, data)]);
    const told = check();
    expect(told.code, told.stdout + told.stderr).toBe(2);
    expect(told.stdout).toMatch(new RegExp(`^CRITICAL - ${problem.source}`));
    const listed = runCli(['config', ...configArgs(box, data)]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(problem);
    // The live data now holds what a half restore left: the backup refuses it, naming the mark.
    writeFileSync(box.path('data/a.txt'), 'half\n');
    const refused = run('backup', data);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`a restore of collect point "site" did not end (${box.path(MARK)})`);
    expect(refused.stderr).toMatch(/step 1 of \d+ at site\.collect:1 \[point\]/);
    // The mark stays what monitoring names first, not the failed backup it caused.
    expect(check().stdout).toMatch(new RegExp(`^CRITICAL - ${problem.source}`));
    expect(readFileSync(box.path('collect/site/backups/tree/a.txt'), 'utf8')).toBe('good\n');
    expect(readFileSync(box.path('mirror/site/tree/a.txt'), 'utf8')).toBe('good\n');
    // A restore that ends removes the mark; backups run again.
    const restored = run('restore', data);
    expect(restored.code, restored.stderr).toBe(0);
    expect(readFileSync(box.path('data/a.txt'), 'utf8')).toBe('good\n');
    expect(existsSync(box.path(MARK))).toBe(false);
    expect(run('backup', data).code).toBe(0);
  });

  it('leaves no mark when the restore is refused before it changes anything', () => {
    const { box, run } = setUp();
    expect(run('backup', box.path('data')).code).toBe(0);
    // A file where the restore puts the source's directory: refused by its checks, first.
    box.write({ 'not-a-dir': 'x' });
    const refused = run('restore', box.path('not-a-dir'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is not a directory');
    expect(existsSync(box.path(MARK))).toBe(false);
    expect(run('backup', box.path('data')).code).toBe(0);
  });
});
