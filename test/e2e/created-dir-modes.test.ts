import { spawnSync } from 'node:child_process';
import { chmodSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { snapshotTree } from '../helpers/tree.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum');
const mode = (path: string) => (statSync(path).mode & 0o7777).toString(8);

describe.runIf(canRun)('directories polyarchiv creates', () => {
  let box: Sandbox;
  beforeEach(() => {
    box = makeSandbox('polyarchiv-modes-');
  });
  afterEach(() => box.remove());

  /** A collect point and a mirror under parents that do not exist yet, backing up srv/www. */
  function setUp(root: string): string[] {
    box.write({
      [`${root}/config/site.collect`]:
        '[point]\nengine = files\nlocal_path = {root}/var/new/collect/{name}\n\n[source "www"]\nengine = local_files\nsource_path = {root}/srv/www\ndestination_path = www\n',
      [`${root}/config/mirror.backup`]:
        '[point]\nengine = synchronize\nremote_url = file://{root}/mnt/new/mirror/{name}\n',
      [`${root}/srv/www/index.html`]: 'hello\n',
      [`${root}/srv/www/private/notes`]: 'notes\n',
    });
    chmodSync(box.path(root, 'srv/www'), 0o750);
    chmodSync(box.path(root, 'srv/www/index.html'), 0o644);
    chmodSync(box.path(root, 'srv/www/private'), 0o700);
    chmodSync(box.path(root, 'srv/www/private/notes'), 0o600);
    return ['-C', box.path(root, 'config'), '--set', `root=${box.path(root)}`];
  }

  const run = (backend: 'apply' | 'script', command: 'backup' | 'restore', args: string[]) => {
    if (backend === 'apply') {
      const applied = runCli([
        command,
        ...(command === 'restore' ? ['--yes', '--from', 'mirror'] : []),
        ...args,
      ]);
      return { code: applied.code, stderr: applied.stderr };
    }
    const plan = runCli([
      'plan',
      ...(command === 'restore' ? ['--restore', '--from', 'mirror'] : []),
      ...args,
    ]);
    expect(plan.code, plan.stderr).toBe(0);
    const file = box.path(`${command}.sh`);
    writeFileSync(file, plan.stdout);
    const script = spawnSync('bash', [file, '--yes'], { encoding: 'utf8' });
    return { code: script.status ?? -1, stderr: script.stderr };
  };

  it.each(['apply', 'script'] as const)(
    'are 0755 like mkdir -p under umask 022, while restored content keeps its modes (%s)',
    (backend) => {
      const root = backend;
      const args = setUp(root);
      const backup = run(backend, 'backup', args);
      expect(backup.code, backup.stderr).toBe(0);
      // Parents of the collect point, of its lock and state, and of the mirror.
      for (const dir of [
        'var',
        'var/new',
        'var/new/collect',
        'var/new/collect/site',
        'var/new/collect/site/metadata',
        'var/new/collect/site/metadata/collect_point',
        'mnt',
        'mnt/new',
        'mnt/new/mirror',
      ]) {
        expect([dir, mode(box.path(root, dir))]).toEqual([dir, '755']);
      }
      // A bare-metal restore: the whole of srv is gone.
      rmSync(box.path(root, 'srv'), { recursive: true });
      rmSync(box.path(root, 'var'), { recursive: true });
      const restore = run(backend, 'restore', args);
      expect(restore.code, restore.stderr).toBe(0);
      expect(mode(box.path(root, 'srv'))).toBe('755');
      expect(mode(box.path(root, 'srv/www'))).toBe('750');
      expect(mode(box.path(root, 'srv/www/index.html'))).toBe('644');
      expect(mode(box.path(root, 'srv/www/private'))).toBe('700');
      expect(mode(box.path(root, 'srv/www/private/notes'))).toBe('600');
    },
  );

  it('have the same modes through apply and through the script', () => {
    const viaApply = setUp('apply');
    const viaScript = setUp('script');
    expect(run('apply', 'backup', viaApply).code).toBe(0);
    expect(run('script', 'backup', viaScript).code).toBe(0);
    const directories = (root: string) =>
      Object.entries(snapshotTree(box.path(root))).filter(([, entry]) => entry.startsWith('dir '));
    expect(directories('script')).toContainEqual(['var/new/collect/site/metadata/collect_point', 'dir 755']);
    expect(directories('script')).toEqual(directories('apply'));
  });
});
