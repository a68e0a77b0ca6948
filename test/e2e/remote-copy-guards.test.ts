import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, runThrough } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { serverPerSuite } from '../helpers/server-per-suite.js';
import { REMOTE_DIR, remoteFilesSite } from '../helpers/service-targets.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';
import { haveSshd, startSshd } from '../servers/sshd.js';

const canRun = haveSshd() && haveTools('rsync', 'flock', 'bash', 'sha256sum');

const run = (box: Sandbox, how: 'apply' | 'script', command: 'backup' | 'restore', args: string[]) =>
  runThrough(how, command, args, box.root);

/** Every entry under `path`, directories too. */
const entries = (path: string): string[] => (readdirSync(path, { recursive: true }) as string[]).sort();

/**
 * The copy guards of copies whose far side is on a host reached through ssh, whose figures that
 * host's rsync counts (only they cross the network): a remote_files source pulled, a synchronize
 * mirror pushed, and the remote directory a restore pushes the copy back into. The remote paths
 * hold what the remote shell would read as syntax (quotes, `$`, a leading dash, unicode).
 */
describe.runIf(canRun).each(['apply', 'script'] as const)('guards on copies over ssh, through %s', (how) => {
  const sshd = serverPerSuite(startSshd);
  let box: Sandbox;
  let args: string[];
  const origin = (path = '') => box.path('origin', REMOTE_DIR, path);
  const mirror = () => box.path('mirrors', REMOTE_DIR, 'site/web');
  const copy = () => box.path('collect/site/backups/web');

  beforeEach(() => {
    box = makeSandbox('polyarchiv-remote-guards-');
    const files: Record<string, string> = {};
    for (let i = 0; i < 10; i++) files[`origin/${REMOTE_DIR}/f${i}.txt`] = `file ${i}\n`.repeat(100);
    const ssh = (path: string, under = '') =>
      `ssh://root@127.0.0.1:${sshd().port}{root}/${encodeURI(path)}${under}`;
    const login = [`private_key = ${sshd().clientKey}`, `ssh_options = ${sshd().sshOptions}`];
    box.write({
      ...files,
      'config/site.collect': remoteFilesSite([
        `source_url = ${ssh(`origin/${REMOTE_DIR}`)}`,
        ...login,
        'max_shrink_percent = 70',
      ]),
      'config/mirror.backup': [
        '[point]',
        'engine = synchronize',
        `remote_url = ${ssh(`mirrors/${REMOTE_DIR}`, '/{name}')}`,
        ...login,
        '',
      ].join('\n'),
    });
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
    const first = runCli(['backup', ...args]);
    expect(first.code, first.stderr).toBe(0);
  });
  afterEach(() => box.remove());

  /** Takes the figures out of a state, as a new machine or the original leaves it: the target is measured. */
  const forgetFigures = (state: string) => {
    const file = box.path('collect/site/metadata', state);
    const { copies: _recorded, ...kept } = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify(kept));
  };

  it('refuses a pull from a remote directory emptied by accident', () => {
    const good = fileContents(copy());
    const copyEntries = entries(copy());
    for (let i = 0; i < 10; i++) rmSync(origin(`f${i}.txt`));
    const refused = run(box, how, 'backup', args);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'the copy of source "web" would become empty: files: 10 now, 0 incoming; bytes: 7000 now, 0 incoming',
    );
    expect(refused.stderr).toContain('refused: nothing was changed');
    expect(fileContents(copy())).toEqual(good);
    expect(entries(copy())).toEqual(copyEntries);
    expect(fileContents(mirror())).toEqual(good);
  });

  it('judges a pull by what the host counts when the state recorded nothing', () => {
    forgetFigures('collect_point/site.json');
    for (let i = 0; i < 8; i++) rmSync(origin(`f${i}.txt`));
    const refused = run(box, how, 'backup', args);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'the copy of source "web" would shrink by more than 70% (max_shrink_percent): files: 10 now, 2 incoming; bytes: 7000 now, 1400 incoming',
    );
  });

  it('refuses a push that would shrink the mirror, measured on its host when the state recorded nothing', () => {
    for (let i = 0; i < 6; i++) rmSync(origin(`f${i}.txt`));
    forgetFigures('remote-mirror/remote/mirror.json');
    const mirrorEntries = entries(mirror());
    const refused = run(box, how, 'backup', args);
    expect(refused.code).toBe(1);
    // The collect copy allows 70%, the mirror its default 50%.
    expect(Object.keys(fileContents(copy()))).toHaveLength(4);
    expect(refused.stderr).toContain(
      'the mirror of "site" would shrink by more than 50% (max_shrink_percent): files: 10 now, 4 incoming; bytes: 7000 now, 2800 incoming',
    );
    expect(entries(mirror())).toEqual(mirrorEntries);
    const allowed = run(box, how, 'backup', [...args, '--allow-shrink']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(fileContents(mirror())).toEqual(fileContents(copy()));
  });

  it('never pushes a restore over a remote directory that holds far more than the copy', () => {
    for (let i = 10; i < 40; i++) writeFileSync(origin(`g${i}.txt`), 'grown\n');
    const live = fileContents(origin());
    const refused = run(box, how, 'restore', args);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /\(source "web"\) would shrink by more than \d+% \(max_shrink_percent\): files: 40 now, 10 incoming/,
    );
    expect(fileContents(origin())).toEqual(live);
    const allowed = run(box, how, 'restore', [...args, '--allow-shrink']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(Object.keys(fileContents(origin()))).toHaveLength(10);
  });

  it('refuses a restore onto a remote file of the reserved name, whatever --allow-shrink', () => {
    writeFileSync(origin('.~polyarchiv~'), 'a user file\n');
    const live = fileContents(origin());
    const refused = run(box, how, 'restore', [...args, '--allow-shrink']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'holds file .~polyarchiv~, which the restore would replace with a directory',
    );
    expect(fileContents(origin())).toEqual(live);
  });
});
