import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type CliResult, runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum');

/** A collect point whose copy tool exits with `status`, as doveadm's EX_TEMPFAIL or a wrapper may. */
function setUp(status: number): { box: Sandbox; args: string[] } {
  const box = makeSandbox('polyarchiv-tool-status-');
  const tool = box.path('exits');
  // The copy guards' dry runs (-n) go to the real rsync: the step under test is the copy itself.
  writeFileSync(tool, `#!/bin/sh\ncase " $* " in *" -n "*) exec rsync "$@" ;; esac\nexit ${status}\n`);
  chmodSync(tool, 0o755);
  box.write({
    'config/site.collect': `[point]\nengine = files\nlocal_path = {root}/collect\n\n[source "data"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = data\n`,
    'config/tools.global': `[global]\nrsync_executable = ${tool}\n`,
    'data/a.txt': 'a\n',
  });
  return { box, args: ['-C', box.path('config'), '--set', `root=${box.root}`] };
}

function run(backend: 'apply' | 'script', box: Sandbox, args: string[]): CliResult {
  if (backend === 'apply') return runCli(['backup', ...args]);
  writeFileSync(box.path('backup.sh'), runCli(['plan', ...args]).stdout);
  const script = spawnSync('bash', [box.path('backup.sh')], { encoding: 'utf8' });
  return { code: script.status ?? -1, stdout: script.stdout, stderr: script.stderr };
}

describe.runIf(canRun).each(['apply', 'script'] as const)('a tool exit status through %s', (backend) => {
  let box: Sandbox | undefined;
  afterEach(() => box?.remove());

  it.each([75, 65, 3])(
    '%i fails the unit, exit 1: only the lock and the stale guard mean busy or stale',
    (status) => {
      const t = setUp(status);
      box = t.box;
      const result = run(backend, t.box, t.args);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/summary:\npolyarchiv: +failed +collect:site/);
      expect(result.stderr).not.toContain('locked by another run');
      const state = JSON.parse(readFileSync(t.box.path('collect/metadata/collect_point/site.json'), 'utf8'));
      expect(state.fail_count).toBe(1);
      expect(state.last_message).toMatch(
        new RegExp(`^failed with exit code ${status}: step \\d of \\d at site\\.collect:`),
      );
    },
  );
});
