import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { treeMetadata as metadata, tool } from '../helpers/tree-metadata.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum', 'setfattr', 'getfattr', 'setfacl', 'getfacl');

describe.runIf(canRun).each(['apply', 'script'] as const)('xattrs and ACLs, through %s', (how) => {
  let box: Sandbox;
  let args: string[];
  beforeEach(() => {
    box = makeSandbox('polyarchiv-meta-');
    box.write({
      'data/a.txt': 'a\n',
      'data/sub/b.txt': 'b\n',
      'config/site.collect':
        '[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "tree"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = tree\n',
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
    });
    tool(['setfattr', '-n', 'user.note', '-v', 'kept', box.path('data/a.txt')]);
    tool(['setfattr', '-n', 'user.dir', '-v', 'also', box.path('data/sub')]);
    tool(['setfacl', '-m', 'u:nobody:r', box.path('data/a.txt')]);
    tool(['setfacl', '-d', '-m', 'u:nobody:rx', box.path('data/sub')]);
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
  });
  afterEach(() => box.remove());

  // The collect point, which records the last good backup point, is lost too: name it.
  const from = (command: string) => (command === 'restore' ? ['--from', 'mirror'] : []);
  // The restore replaces the live directory without asking: there is no terminal.
  const yes = (command: string) => (command === 'restore' ? ['--yes'] : []);

  function run(command: 'backup' | 'restore'): void {
    if (how === 'apply') {
      const result = runCli([command, ...yes(command), ...from(command), ...args]);
      expect(result.code, result.stderr).toBe(0);
      return;
    }
    const plan = runCli(['plan', ...(command === 'restore' ? ['--restore'] : []), ...from(command), ...args]);
    writeFileSync(box.path('run.sh'), plan.stdout);
    const result = spawnSync('bash', [box.path('run.sh'), ...yes(command)], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
  }

  it('keeps them on backup, in the mirror, and on restore', () => {
    const expected = metadata(box.path('data'));
    expect(expected.xattrs).toContain('user.note="kept"');
    expect(expected.acls).toContain('default:user:nobody:r-x');
    run('backup');
    expect(metadata(box.path('collect/site/backups/tree'))).toEqual(expected);
    expect(metadata(box.path('mirror/site/tree'))).toEqual(expected);
    rmSync(box.path('data'), { recursive: true });
    rmSync(box.path('collect'), { recursive: true });
    mkdirSync(box.path('data'));
    run('restore');
    expect(metadata(box.path('data'))).toEqual(expected);
  });

  it('leaves them out where preserve_xattrs and preserve_acls are off', () => {
    const config = box.path('config/site.collect');
    writeFileSync(config, `${readFileSync(config, 'utf8')}preserve_xattrs = no\npreserve_acls = no\n`);
    run('backup');
    const copy = metadata(box.path('collect/site/backups/tree'));
    expect(copy.xattrs).toBe('');
    expect(copy.acls).not.toContain('nobody');
  });
});
