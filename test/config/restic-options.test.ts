import { describe, expect, it } from 'vitest';
import type { Action } from '../../src/graph/action.js';
import { buildCommands } from '../../src/graph/build-commands.js';
import { diagnose, errorsOf } from '../helpers/diagnose.js';
import { SITE } from './malformed-cases.js';

const vault = (lines: string) => ({
  ...SITE,
  'vault.backup': `[point]\nengine=restic\npassword=p\n${lines}`,
});

describe('restic options', () => {
  it('requires each remote_* option only where its backend reads it', () => {
    expect(errorsOf(vault('remote_url=/srv/restic\n'))).toEqual([]);
    expect(errorsOf(vault('remote_url=s3:s3.example.org/bucket\n'))).toEqual([
      "error: missing required option 'remote_username' for a s3: repository (restic reads it as AWS_ACCESS_KEY_ID)\n  at vault.backup:1 [point]",
      "error: missing required option 'remote_secret' for a s3: repository (restic reads it as AWS_SECRET_ACCESS_KEY)\n  at vault.backup:1 [point]",
    ]);
    expect(
      errorsOf(
        vault('remote_url=swift:c:/p\nremote_username=u\nremote_secret=s\nremote_auth_url=https://k/v3\n'),
      ),
    ).toEqual([]);
  });

  it('warns about a remote_* option its backend does not read', () => {
    expect(diagnose(vault('remote_url=/srv/restic\nremote_username=u\n'))).toEqual([
      "warning: option 'remote_username' has no effect: restic's local backend does not read it\n  at vault.backup:5 [point]",
    ]);
  });

  it('refuses a location restic does not know, a relative path, and an sftp password, never showing it', () => {
    expect(errorsOf(vault('remote_url=ftp://h/p\n'))[0]).toMatch(/^error: bad value for option 'remote_url'/);
    expect(errorsOf(vault('remote_url=local:srv/restic\n'))[0]).toMatch(/expected local:\/absolute\/path/);
    const sftp = errorsOf(vault('remote_url=sftp://user:hunter2@h//r\n'));
    expect(sftp[0]).toMatch(/^error: bad value for option 'remote_url': 'sftp:\/\/user:\*\*\*@h\/\/r'/);
    expect(sftp.join('\n')).not.toContain('hunter2');
  });

  it('takes a REST password', () => {
    expect(errorsOf(vault('remote_url=rest:https://user:hunter2@h/r\n'))).toEqual([]);
  });

  it('refuses an ssh word that restic cannot split back, at its line', () => {
    expect(errorsOf(vault('remote_url=sftp:h:/r\nprivate_key=/k/it\'s "key"\n'))[0]).toMatch(
      /^error: bad value for option 'private_key': restic cannot pass[\s\S]*vault\.backup:5/,
    );
  });
});

describe('restic argv', () => {
  const origin = { file: 'vault.backup', line: 1, section: '[point]' };
  const repository = {
    url: 'sftp:h:/r',
    passwordSecret: 'POLYARCHIV_SECRET_V_S_PASSWORD',
    env: {},
    sftpCommand: ['ssh', '-i', '/k/a key', '-o', 'ProxyCommand=nc "h,1"', 'h', '-s', 'sftp'],
  };

  it('hands ssh words to restic as one CSV field it splits back', () => {
    const [command] = buildCommands({
      kind: 'restic-init',
      repository,
      origin,
      id: 'u/1',
      after: [],
      summary: '',
    } as Action);
    expect(command?.kind === 'restic-init' && command.probe.slice(3, 5)).toEqual([
      '--option',
      `"sftp.command=ssh -i ""/k/a key"" -o 'ProxyCommand=nc ""h,1""' h -s sftp"`,
    ]);
    expect(command?.kind === 'restic-init' && command.env).toEqual({
      RESTIC_PASSWORD: { secret: 'POLYARCHIV_SECRET_V_S_PASSWORD' },
    });
  });

  it('reads a location with a password from a private file, never from argv', () => {
    const secret = 'POLYARCHIV_SECRET_V_S_REMOTE_URL_PASSWORD';
    const commands = buildCommands({
      kind: 'restic-init',
      repository: {
        url: 'rest:https://user@h/r',
        passwordSecret: 'POLYARCHIV_SECRET_V_S_PASSWORD',
        env: {},
        secretLocation: ['rest:https://user:', { secret, escape: '' }, '@h/r'],
      },
      origin,
      id: 'u/1',
      after: [],
      summary: '',
    } as Action);
    const file = `restic-location-${secret}`;
    expect(commands[0]).toEqual({
      kind: 'private-file',
      workFile: file,
      parts: ['rest:https://user:', { secret, escape: '' }, '@h/r'],
    });
    expect(commands[1]?.kind === 'restic-init' && commands[1].probe).toEqual([
      'restic',
      '--repository-file',
      { prefix: '', workFile: file },
      'cat',
      'config',
    ]);
  });

  it('gives restic every period as a large count, never -1, and leaves rules at 0 out', () => {
    const keep = { last: 0, hourly: 0, daily: -1, weekly: 4, monthly: 0, yearly: 0 };
    const [command] = buildCommands({
      kind: 'restic-forget',
      repository: { url: '/srv/restic', passwordSecret: 'POLYARCHIV_SECRET_V_S_PASSWORD', env: {} },
      tag: 'site',
      keep,
      origin,
      id: 'u/1',
      after: [],
      summary: '',
    } as Action);
    expect(command?.kind === 'exec' && command.argv.slice(3)).toEqual([
      'forget',
      '--tag',
      'site',
      '--group-by',
      'tags',
      '--keep-daily',
      '2147483647',
      '--keep-weekly',
      '4',
      '--prune',
    ]);
  });
});
