import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { treeMetadata as metadata, tool } from '../helpers/tree-metadata.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum', 'setfattr', 'getfattr', 'setfacl', 'getfacl');
const canRunRestic = canRun && haveTools('restic', 'jq');
const RESTIC_PASSWORD = 'metadata pass';

/**
 * The backup points whose copies hold extended attributes and ACLs, each restored through its own
 * path: a mirror copied back, an archive unpacked aside, a snapshot restored aside by restic.
 */
const KEEPERS = {
  mirror: '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
  archive: '[point]\nengine = archive\nremote_url = {root}/archives/{name}.tar.gz\n',
  vault: `[point]\nengine = restic\nremote_url = {root}/restic\npassword = ${RESTIC_PASSWORD}\n`,
} as const;
type Keeper = keyof typeof KEEPERS;
const keepers = (Object.keys(KEEPERS) as Keeper[]).filter((name) => name !== 'vault' || canRunRestic);

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
      'config/mirror.backup': KEEPERS.mirror,
    });
    tool(['setfattr', '-n', 'user.note', '-v', 'kept', box.path('data/a.txt')]);
    tool(['setfattr', '-n', 'user.dir', '-v', 'also', box.path('data/sub')]);
    tool(['setfacl', '-m', 'u:nobody:r', box.path('data/a.txt')]);
    tool(['setfacl', '-d', '-m', 'u:nobody:rx', box.path('data/sub')]);
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
  });
  afterEach(() => box.remove());

  // The collect point, which records the last good backup point, is lost too: name it.
  const from = (command: string, keeper: Keeper) => (command === 'restore' ? ['--from', keeper] : []);
  // The restore replaces the live directory without asking: there is no terminal.
  const yes = (command: string) => (command === 'restore' ? ['--yes'] : []);

  function run(command: 'backup' | 'restore', keeper: Keeper = 'mirror'): void {
    if (how === 'apply') {
      const result = runCli([command, ...yes(command), ...from(command, keeper), ...args]);
      expect(result.code, result.stderr).toBe(0);
      return;
    }
    const plan = runCli([
      'plan',
      ...(command === 'restore' ? ['--restore'] : []),
      ...from(command, keeper),
      ...args,
    ]);
    writeFileSync(box.path('run.sh'), plan.stdout);
    const result = spawnSync('bash', [box.path('run.sh'), ...yes(command)], {
      encoding: 'utf8',
      env: { ...process.env, POLYARCHIV_SECRET_VAULT_SITE_PASSWORD: RESTIC_PASSWORD },
    });
    expect(result.status, result.stderr).toBe(0);
  }

  it.each(keepers)('keeps them on backup, and on restore from backup point "%s"', (keeper) => {
    box.write({ [`config/${keeper}.backup`]: KEEPERS[keeper] });
    const expected = metadata(box.path('data'));
    expect(expected.xattrs).toContain('user.note="kept"');
    expect(expected.acls).toContain('default:user:nobody:r-x');
    run('backup');
    expect(metadata(box.path('collect/site/backups/tree'))).toEqual(expected);
    if (keeper === 'mirror') expect(metadata(box.path('mirror/site/tree'))).toEqual(expected);
    rmSync(box.path('data'), { recursive: true });
    rmSync(box.path('collect'), { recursive: true });
    mkdirSync(box.path('data'));
    run('restore', keeper);
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
