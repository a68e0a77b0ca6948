import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliAsync } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';

/** Passwords written inside URLs: each must stay out of every output of every command. */
const PASSWORDS = ['webdav-pw-1', 'ftp-pw-2', 'metadata-pw-3', 'ssh-pw-4'];
const SITE = `[point]\nengine = files\nlocal_path = {root}/collect\n\n[source "far"]\nengine = remote_files\nsource_url = ssh://alice:${PASSWORDS[3]}@host.example/srv/data\ndestination_path = far\n`;

describe('a password inside a URL', () => {
  let box: Sandbox;
  beforeEach(() => {
    box = makeSandbox('polyarchiv-urlpw-');
    box.write({
      'data/a.txt': 'a\n',
      'config/site.collect': SITE,
      'config/dav.backup': `[point]\nengine = synchronize\nremote_url = http://alice:${PASSWORDS[0]}@host.example/dav/{name}\n`,
      'config/ftp.backup': `[point]\nengine = archive\nremote_url = ftp://bob:${PASSWORDS[1]}@host.example/x/{name}.tar.gz\nmetadata_url = ssh://carol:${PASSWORDS[2]}@host.example/meta/\n`,
    });
  });
  afterEach(() => box.remove());

  it('is hidden by every command: diagnostics, config --show, plans, check', async () => {
    const args = ['-C', box.path('config'), '--set', `root=${box.root}`];
    const commands = [
      ['validate'],
      ['config', '--show'],
      ['config'],
      ['plan'],
      ['plan', '--format', 'text'],
      ['plan', '--format', 'json'],
      ['plan', '--restore'],
      ['backup', '--dry'],
      ['restore', '--dry', '--yes'],
      ['check', '-n'],
    ];
    const runs = await Promise.all(commands.map((command) => runCliAsync([...command, ...args])));
    runs.forEach((run, i) => {
      const output = `${run.stdout}${run.stderr}`;
      for (const password of PASSWORDS) {
        expect(output, `${commands[i]?.join(' ')} prints a password`).not.toContain(password);
      }
    });
    // The URLs are still named, with the password replaced: the user can tell which one is wrong.
    const show = runs[1];
    expect(show?.stdout).toContain('remote_url = http://alice:***@host.example/dav/{name}');
    expect(show?.stdout).toContain('remote_url = ftp://bob:***@host.example/x/{name}.tar.gz');
    expect(show?.stdout).toContain('metadata_url = ssh://carol:***@host.example/meta/');
  });

  it('is hidden by config --show, which prints a valid configuration', async () => {
    box.write({
      'valid/site.collect': SITE,
      'valid/mirror.backup': '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
    });
    const show = await runCliAsync([
      'config',
      '--show',
      '-C',
      box.path('valid'),
      '--set',
      `root=${box.root}`,
    ]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain('source_url = ssh://alice:***@host.example/srv/data');
    expect(`${show.stdout}${show.stderr}`).not.toContain(PASSWORDS[3]);
  });
});
