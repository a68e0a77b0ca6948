import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupThrough } from '../helpers/cli.js';
import { type Sandbox, sandboxesPerTest } from '../helpers/sandbox.js';
import { filesHolding, scanCommandLines } from '../helpers/secret-scan.js';
import { haveTools } from '../helpers/tools.js';
import { type HttpReceiver, startHttpReceiver } from '../servers/http-receiver.js';
import { freePort } from '../servers/server-process.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum', 'timeout', 'curl');
const BACKENDS = ['apply', 'script'] as const;

/** What a careless URL, shell line or curl configuration would break on. */
const PASSWORD = `h00k:pw "q" \\ $(id) 'x' ✓`;
const SECRET = 'POLYARCHIV_SECRET_A_HOOK_NOTIFY_PASSWORD';

describe.runIf(canRun)('http hooks', () => {
  let receiver: HttpReceiver;
  let closedPort: number;
  const newSandbox = sandboxesPerTest();
  beforeAll(async () => {
    receiver = await startHttpReceiver();
    closedPort = await freePort();
  });
  afterAll(async () => {
    await receiver?.stop();
  });
  function scenario(): { box: Sandbox; args: string[] } {
    const box = newSandbox('polyarchiv-hooks-http-');
    const base = `http://127.0.0.1:${receiver.port}`;
    box.write({
      'data/f.txt': 'f\n',
      'config/a.collect': [
        '[point]',
        'engine = files',
        'local_path = {root}/collect/{name}',
        '',
        '[source "data"]',
        'engine = local_files',
        'source_path = {root}/data',
        'destination_path = data',
        '',
        '[hook "notify"]',
        'engine = http',
        'events = backup_success',
        `url = ${base}/slow/{name}?status={status}&run={root}`,
        'method = POST',
        'headers = Content-Type=text/plain "X-Title=backup of {name}: {status}"',
        'body = {detailed_status}',
        '  {complete_log}',
        'username = backup',
        `password = ${PASSWORD}`,
        '',
        '[hook "refused"]',
        'engine = http',
        'events = after_backup',
        `url = ${base}/status/500`,
        '',
        '[hook "nobody"]',
        'engine = http',
        'events = after_backup',
        `url = http://127.0.0.1:${closedPort}/`,
        '',
      ].join('\n'),
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = file://{root}/mirror/{name}\n',
    });
    return { box, args: ['-C', box.path('config'), '--set', `root=${box.root}`] };
  }

  it.each(BACKENDS)(
    'through %s: send the request with its variables, fail on 500 and on no answer, never show the password',
    async (backend) => {
      const { box, args } = scenario();
      const running = backupThrough(backend, box.path('backup.sh'), args, { [SECRET]: PASSWORD });
      const scan = await scanCommandLines((line) => line.includes(box.root), [PASSWORD], running);
      const result = await running;
      expect(result.code, result.stderr).toBe(1);
      expect(scan.scanned).toBeGreaterThan(0);
      expect(scan.leaks).toEqual([]);
      const received = receiver.requests().filter((r) => r.url.includes(box.root));
      expect(received).toHaveLength(1);
      const [request] = received;
      expect(request?.method).toBe('POST');
      expect(request?.url).toBe(`/slow/a?status=OK&run=${box.root}`);
      expect(request?.headers['content-type']).toBe('text/plain');
      expect(request?.headers['x-title']).toBe('backup of a: OK');
      expect(request?.headers.authorization).toBe(
        `Basic ${Buffer.from(`backup:${PASSWORD}`).toString('base64')}`,
      );
      expect(request?.body.startsWith('OK: collect:a\npolyarchiv: collect:a\n')).toBe(true);
      expect(request?.body).toContain('update the copy of source "data"');
      // A 500 and a refused connection fail their hooks, named with their lines; the rest ran.
      expect(result.stderr).toContain(
        'hook "refused" at a.collect:21 failed on after_backup with exit code 22',
      );
      expect(result.stderr).toContain(
        'hook "nobody" at a.collect:26 failed on after_backup with exit code 7',
      );
      expect(readFileSync(box.path('mirror/a/data/f.txt'), 'utf8')).toBe('f\n');
      expect(result.stdout + result.stderr).not.toContain(PASSWORD);
      // Only the configuration holds it: not the script, the states, the copies.
      expect(filesHolding(box.root, PASSWORD)).toEqual([box.path('config/a.collect')]);
    },
    60_000,
  );
});
