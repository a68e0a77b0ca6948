import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { backupThrough } from '../helpers/cli.js';
import { type Sandbox, sandboxesPerTest } from '../helpers/sandbox.js';
import { scanCommandLines } from '../helpers/secret-scan.js';
import { haveTools } from '../helpers/tools.js';
import { freePort } from '../servers/server-process.js';
import { haveSmtp, type SmtpServer, startSmtp } from '../servers/smtp.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum', 'timeout', 'curl') && haveSmtp();

const USER = 'backup@example.org';
/** What a careless curl configuration, shell line or URL would break on. */
const PASSWORD = `sm7p "pw" \\ $(id) 'x':✓`;
const SECRET = 'POLYARCHIV_SECRET_MIRROR_A_HOOK_MAIL_PASSWORD';

const servers: SmtpServer[] = [];
const newSandbox = sandboxesPerTest();
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

/** Collect point a, mirrored; the mirror's hook "mail" sends with `mail` options. */
function scenario(mail: readonly string[]): { box: Sandbox; args: string[] } {
  const box = newSandbox('polyarchiv-hooks-email-');
  box.write({
    'data/f.txt': 'f\n',
    'config/a.collect':
      '[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "data"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = data\n',
    'config/mirror.backup': [
      '[point]',
      'engine = synchronize',
      'remote_url = file://{root}/mirror/{name}',
      '',
      '[hook "mail"]',
      'engine = email',
      'events = backup_success',
      'recipient = ops@example.org, Backup Desk <desk@example.org>',
      'sender = polyarchiv <backup@{fqdn}>',
      ...mail,
      '',
    ].join('\n'),
  });
  return {
    box,
    args: ['-C', box.path('config'), '--set', `root=${box.root}`, '--set', 'fqdn=web1.example.org'],
  };
}

const messages = (server: SmtpServer) => server.records().filter((r) => 'content' in r);
const auths = (server: SmtpServer) => server.records().filter((r) => 'auth' in r);

describe.runIf(canRun)('email hooks', { timeout: 120_000 }, () => {
  it.each([
    ['apply', 'LOGIN'],
    ['script', 'PLAIN'],
  ] as const)(
    'through %s: a backup point hook sends the default subject and content, AUTH %s',
    async (backend, mechanism) => {
      const server = await startSmtp({ user: USER, password: PASSWORD, mechanism, mode: 'plain' });
      servers.push(server);
      const { box, args } = scenario([
        'hostname = 127.0.0.1',
        `port = ${server.port}`,
        `username = ${USER}`,
        `password = ${PASSWORD}`,
      ]);
      const running = backupThrough(backend, box.path('backup.sh'), args, { [SECRET]: PASSWORD });
      const scan = await scanCommandLines((line) => line.includes(box.root), [PASSWORD], running);
      const result = await running;
      expect(result.code, result.stderr).toBe(0);
      expect(scan.scanned).toBeGreaterThan(0);
      expect(scan.leaks).toEqual([]);
      expect(auths(server)).toEqual([{ auth: mechanism, ok: true }]);
      const [message] = messages(server);
      expect(message).toMatchObject({
        from: 'backup@web1.example.org',
        to: ['ops@example.org', 'desk@example.org'],
        authenticated: true,
      });
      const content = message && 'content' in message ? message.content : '';
      expect(content).toContain('From: polyarchiv <backup@web1.example.org>\r\n');
      expect(content).toContain('To: ops@example.org, Backup Desk <desk@example.org>\r\n');
      expect(content).toMatch(
        /\r\nSubject: \[BACKUP\]\[web1\.example\.org\] \d{4}\/\d\d\/\d\d \d\d:\d\d \[OK\]\r\n/,
      );
      expect(content).toMatch(/\r\nDate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\r\n/);
      expect(content).toContain('\r\n\r\nOK: backup:mirror/a\r\n\r\npolyarchiv: backup:mirror/a\r\n');
      expect(content).toContain('update the mirror of "a"');
      expect(result.stdout + result.stderr).not.toContain(PASSWORD);
    },
  );

  it('through the script: STARTTLS required, the certificate checked against cafile', async () => {
    const server = await startSmtp({ user: USER, password: PASSWORD, mechanism: 'PLAIN', mode: 'starttls' });
    servers.push(server);
    const options = [
      'hostname = 127.0.0.1',
      `port = ${server.port}`,
      `username = ${USER}`,
      `password = ${PASSWORD}`,
      'encryption = starttls',
    ];
    const checked = scenario([...options, `cafile = ${server.certificate}`]);
    const ok = await backupThrough('script', checked.box.path('backup.sh'), checked.args, {
      [SECRET]: PASSWORD,
    });
    expect(ok.code, ok.stderr).toBe(0);
    expect(messages(server)).toHaveLength(1);
    // Without the CA, the self-signed certificate is refused: nothing is sent, the hook fails.
    const unchecked = scenario(options);
    const refused = await backupThrough('script', unchecked.box.path('backup.sh'), unchecked.args, {
      [SECRET]: PASSWORD,
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'hook "mail" at mirror.backup:5 failed on backup_success with exit code 60',
    );
    expect(messages(server)).toHaveLength(1);
  });

  it('through apply: implicit TLS (smtps) with the certificate checked', async () => {
    const server = await startSmtp({ user: USER, password: PASSWORD, mechanism: 'LOGIN', mode: 'tls' });
    servers.push(server);
    const { box, args } = scenario([
      'hostname = 127.0.0.1',
      `port = ${server.port}`,
      `username = ${USER}`,
      `password = ${PASSWORD}`,
      'encryption = tls',
      `cafile = ${server.certificate}`,
      'subject = {status} on {hostname}',
    ]);
    const result = await backupThrough('apply', box.path('backup.sh'), args);
    expect(result.code, result.stderr).toBe(0);
    const [message] = messages(server);
    expect(message && 'content' in message ? message.content : '').toContain('\r\nSubject: OK on web1\r\n');
  });

  it.each(['apply', 'script'] as const)(
    'through %s: a server that is down fails the hook, named with its line, and nothing else',
    async (backend) => {
      const port = await freePort();
      const { box, args } = scenario(['hostname = 127.0.0.1', `port = ${port}`, 'timeout = 20']);
      const result = await backupThrough(backend, box.path('backup.sh'), args, { [SECRET]: PASSWORD });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        'hook "mail" at mirror.backup:5 failed on backup_success with exit code 7',
      );
      expect(readFileSync(box.path('mirror/a/data/f.txt'), 'utf8')).toBe('f\n');
      expect(
        JSON.parse(readFileSync(box.path('collect/a/metadata/remote-mirror/remote/mirror.json'), 'utf8'))
          .success_count,
      ).toBe(1);
    },
  );
});
