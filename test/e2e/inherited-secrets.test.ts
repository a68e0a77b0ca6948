import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runAsync, runCli, runCliAsync } from '../helpers/cli.js';
import { sandboxesPerTest } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('restic', 'rsync', 'flock', 'bash');
const newSandbox = sandboxesPerTest();

const SECRET = 'Inherited-Restic-Pass-42';
// Exported by the caller, as cron or a secrets manager would for the run.
const ENV = { POLYARCHIV_SECRET_VAULT_SITE_PASSWORD: SECRET, POLYARCHIV_SECRET_UNUSED: 'Other-Secret-7' };

describe.runIf(canRun).each(['apply', 'script'] as const)(
  'secrets exported to a run through %s',
  (backend) => {
    it('reach the tool that needs them, and no other tool or hook', async () => {
      const box = newSandbox('polyarchiv-inherited-secrets-');
      box.write({
        'data/a.txt': 'a\n',
        'c/site.collect': [
          '[point]',
          'engine = files',
          'local_path = {root}/collect/{name}',
          '',
          '[source "data"]',
          'engine = local_files',
          'source_path = {root}/data',
          'destination_path = data',
          '',
          '[hook "environment"]',
          'engine = command',
          'events = after_backup',
          'command = sh -c \'env > "$1"\' hook {root}/hook-env',
          '',
        ].join('\n'),
        'c/vault.backup':
          '[point]\nengine = restic\nremote_url = {root}/restic\npassword = from-the-configuration\n',
      });
      const args = ['-C', box.path('c'), '--set', `root=${box.root}`];
      let run: { code: number; stderr: string };
      if (backend === 'apply') run = await runCliAsync(['backup', ...args], ENV);
      else {
        const plan = runCli(['plan', ...args]);
        expect(plan.code, plan.stderr).toBe(0);
        box.write({ 'backup.sh': plan.stdout });
        run = await runAsync('bash', [box.path('backup.sh')], ENV);
      }
      expect(run.code, run.stderr).toBe(0);
      // The repository was made with the exported password, which wins over the configuration's.
      const snapshots = spawnSync('restic', ['--repo', box.path('restic'), 'snapshots', '--json'], {
        encoding: 'utf8',
        env: { ...process.env, RESTIC_PASSWORD: SECRET },
      });
      expect(snapshots.status, snapshots.stderr).toBe(0);
      expect(JSON.parse(snapshots.stdout)).toHaveLength(1);
      // The hook's environment holds neither the secret this run used nor one it did not.
      const hookEnv = readFileSync(box.path('hook-env'), 'utf8');
      expect(hookEnv).toContain('POLYARCHIV_HOOK_EVENT=after_backup');
      expect(hookEnv).not.toContain('POLYARCHIV_SECRET_');
      expect(hookEnv).not.toContain(SECRET);
    }, 60_000);
  },
);
