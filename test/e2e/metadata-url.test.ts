import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { ODD_FILES, writeTree } from '../helpers/odd-files.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { serverPerSuite } from '../helpers/server-per-suite.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';
import { haveSshd, startSshd } from '../servers/sshd.js';

const canRun = haveSshd() && haveTools('flock', 'bash', 'sha256sum', 'tar', 'gzip', 'rsync');

/** The mirrored states' directory has a hostile name: spaces, quotes, $, unicode, a leading dash. */
const META_DIR = `meta/-it's a "$HOME" dir ünï`;

const SITE =
  '[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "tree"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = tree\n';

/** `backup` or `restore`, through apply or through the rendered script. */
function run(box: Sandbox, how: 'apply' | 'script', command: 'backup' | 'restore', args: readonly string[]) {
  const yes = command === 'restore' ? ['--yes'] : [];
  if (how === 'apply') return runCli([command, ...yes, ...args]);
  const plan = runCli(['plan', ...(command === 'restore' ? ['--restore'] : []), ...args]);
  expect(plan.code, plan.stderr).toBe(0);
  writeFileSync(box.path(`${command}.sh`), plan.stdout);
  const result = spawnSync('bash', [box.path(`${command}.sh`), ...yes], { encoding: 'utf8' });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: `${plan.stderr}${result.stderr}` };
}

const stateOf = (box: Sandbox, bp: string) =>
  box.path(`collect/site/metadata/remote-${bp}/remote/${bp}.json`);

describe.runIf(canRun)('metadata_url: state files mirrored elsewhere, read back on a rebuilt machine', () => {
  const sshd = serverPerSuite(startSshd);
  let box: Sandbox;
  beforeEach(() => {
    box = makeSandbox('polyarchiv-metadata-url-');
    writeTree(box.path('data'), ODD_FILES);
  });
  afterEach(() => box.remove());

  /** The machine is rebuilt: its collect points and their state files are gone, and so is the data. */
  function rebuild(): void {
    rmSync(box.path('collect'), { recursive: true, force: true });
    rmSync(box.path('data'), { recursive: true, force: true });
  }

  for (const how of ['apply', 'script'] as const) {
    it(`a local metadata_url (file://) gives a rebuilt machine its dated archive back, byte for byte (${how})`, () => {
      box.write({
        'config/site.collect': SITE,
        'config/dated.backup':
          '[point]\nengine = rolling_archive\nremote_url = {root}/store/{name}-{Y}{m}{d}-{H}{M}.tar.gz\nmetadata_url = file://{root}/meta/{name}.json\n',
      });
      const args = ['-C', box.path('config'), '--set', `root=${box.root}`];
      for (const day of ['01', '02']) {
        const backup = run(box, how, 'backup', [...args, '--now', `2026-03-${day}T03:00:00+01:00`]);
        expect(backup.code, backup.stderr).toBe(0);
        // The mirrored copy is the state file, byte for byte, published whole.
        expect(readFileSync(box.path('meta/site.json'))).toEqual(readFileSync(stateOf(box, 'dated')));
        expect(readdirSync(box.path('meta'))).toEqual(['site.json']);
      }
      const expected = fileContents(box.path('data'));
      writeFileSync(box.path('data/plain.txt'), 'changed after the backups\n');
      rebuild();
      // Without its state, nothing here says which dated archive is the newest: the mirror does.
      const restore = run(box, how, 'restore', args);
      expect(restore.code, restore.stderr).toBe(0);
      expect(fileContents(box.path('data'))).toEqual(expected);
      expect(existsSync(stateOf(box, 'dated'))).toBe(false);
      // The next backup continues the mirrored state: counters and the archives it keeps.
      const next = run(box, how, 'backup', [...args, '--now', '2026-03-03T03:00:00+01:00']);
      expect(next.code, next.stderr).toBe(0);
      const state = JSON.parse(readFileSync(stateOf(box, 'dated'), 'utf8'));
      expect(state.success_count).toBe(3);
      expect(state.data).toHaveLength(3);
      expect(readFileSync(box.path('meta/site.json'))).toEqual(readFileSync(stateOf(box, 'dated')));
    }, 120_000);

    it(`an ssh metadata_url with its own key and options mirrors over ssh and restores a rebuilt machine (${how})`, () => {
      const metaUrl = `ssh://root@127.0.0.1:${sshd().port}{root}/${encodeURI(META_DIR)}/`;
      box.write({
        'config/site.collect': SITE,
        'config/offsite.backup': [
          '[point]',
          'engine = archive',
          `remote_url = root@127.0.0.1:{root}/store/{name}.tar.gz`,
          `private_key = ${sshd().clientKey}`,
          `ssh_options = ${sshd().sshOptions} -p ${sshd().port}`,
          `metadata_url = ${metaUrl}`,
          `metadata_private_key = ${sshd().clientKey}`,
          `metadata_ssh_options = ${sshd().sshOptions}`,
          '',
        ].join('\n'),
      });
      const args = ['-C', box.path('config'), '--set', `root=${box.root}`];
      const backup = run(box, how, 'backup', args);
      expect(backup.code, backup.stderr).toBe(0);
      expect(readdirSync(box.path(META_DIR))).toEqual(['site.json']);
      expect(readFileSync(box.path(META_DIR, 'site.json'))).toEqual(readFileSync(stateOf(box, 'offsite')));
      const expected = fileContents(box.path('data'));
      rebuild();
      const restore = run(box, how, 'restore', args);
      expect(restore.code, restore.stderr).toBe(0);
      expect(fileContents(box.path('data'))).toEqual(expected);
    }, 120_000);

    it(`a failed upload keeps the previous mirrored copy, fails the run, and the other points go on (${how})`, () => {
      box.write({
        'config/site.collect': SITE,
        'config/mirror.backup':
          '[point]\nengine = synchronize\nremote_url = {root}/store/mirror/{name}\nmetadata_url = {root}/meta/mirror/\n',
        'config/other.backup':
          '[point]\nengine = synchronize\nremote_url = {root}/store/other/{name}\nmetadata_url = {root}/meta/other/\n',
      });
      const args = ['-C', box.path('config'), '--set', `root=${box.root}`];
      expect(run(box, how, 'backup', args).code).toBe(0);
      const good = readFileSync(box.path('meta/mirror/site.json'));
      // The partial's name is taken by a directory that holds a file: the copy cannot write it.
      mkdirSync(box.path('meta/mirror/.site.json.polyarchiv-partial/held'), { recursive: true });
      writeFileSync(box.path('data/plain.txt'), 'changed\n');
      const failed = run(box, how, 'backup', args);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/metadata:mirror\/site/);
      expect(failed.stderr).toMatch(/mirror\.backup:4 \[point\]/);
      expect(readFileSync(box.path('meta/mirror/site.json'))).toEqual(good);
      // The backup itself succeeded and recorded it; the other point mirrored its new state.
      expect(JSON.parse(readFileSync(stateOf(box, 'mirror'), 'utf8')).success_count).toBe(2);
      expect(readFileSync(box.path('store/mirror/site/tree/plain.txt'), 'utf8')).toBe('changed\n');
      expect(readFileSync(box.path('meta/other/site.json'))).toEqual(readFileSync(stateOf(box, 'other')));
      expect(JSON.parse(readFileSync(box.path('meta/other/site.json'), 'utf8')).success_count).toBe(2);
    }, 120_000);
  }

  it('a mirrored copy that cannot be read is said, left as it is, and fails the run', () => {
    box.write({
      'config/site.collect': SITE,
      'config/mirror.backup':
        '[point]\nengine = synchronize\nremote_url = {root}/store/{name}\nmetadata_url = {root}/meta/{name}.json\n',
      'meta/site.json': '{"last_state_valid": tru',
    });
    const args = ['-C', box.path('config'), '--set', `root=${box.root}`];
    const backup = runCli(['backup', ...args]);
    expect(backup.code).toBe(1);
    expect(backup.stderr).toContain(
      `the state of backup point mirror for site mirrored at metadata_url cannot be used: state file ${box.path('meta/site.json')} is corrupt (not valid JSON)`,
    );
    expect(backup.stderr).toMatch(/mirror\.backup:4 \[point\]/);
    expect(readFileSync(box.path('meta/site.json'), 'utf8')).toBe('{"last_state_valid": tru');
    expect(readFileSync(box.path('store/site/tree/plain.txt'))).toEqual(
      readFileSync(box.path('data/plain.txt')),
    );
  }, 60_000);
});
