import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLI, withoutLogStamps } from '../helpers/cli.js';
import { type Sandbox, sandboxesPerTest } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const newSandbox = sandboxesPerTest();

interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/**
 * Runs a command whose reader goes away after its first bytes, as `| head -c 1` does: standard
 * output (and standard error too, with `both`) is a pipe closed as soon as anything comes out of
 * it. Standard error is kept otherwise.
 */
function readByAQuitter(command: string, args: readonly string[], both = false): Promise<Ended> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const quit = (stream: NodeJS.ReadableStream & { destroy(): void }) =>
      stream.once('data', () => stream.destroy());
    quit(child.stdout);
    if (both) quit(child.stderr);
    else child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

/** Many collect points: a plan longer than what a pipe holds (64 KiB). */
function largeConfig(box: Sandbox): string {
  const files: Record<string, string> = {};
  for (let i = 0; i < 80; i++)
    files[`config/cp${i}.collect`] =
      `[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "data"]\nengine = local_files\nsource_path = {root}/data/${i}\ndestination_path = data\n`;
  files['config/mirror.backup'] = '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n';
  box.write(files);
  return box.path('config');
}

describe('a command whose output can no longer be written', () => {
  for (const format of ['bash', 'text', 'json']) {
    it(`plan --format ${format} read by \`head\` stops quietly with 141, as a tool stopped by the closed pipe`, async () => {
      const box = newSandbox('polyarchiv-closed-');
      const config = largeConfig(box);
      const args = [CLI, 'plan', '-C', config, '--set', `root=${box.root}`, '--format', format];
      const ended = await readByAQuitter(process.execPath, args);
      expect(ended).toEqual({ code: 141, signal: null, stderr: '' });
    });
  }

  it('plan onto a full disk says so in one line and exits 1', () => {
    const box = newSandbox('polyarchiv-closed-');
    const config = largeConfig(box);
    const full = spawnSync(
      'sh',
      [
        '-c',
        'exec "$@" > /dev/full',
        'sh',
        process.execPath,
        CLI,
        'plan',
        '-C',
        config,
        '--set',
        `root=${box.root}`,
      ],
      { encoding: 'utf8' },
    );
    expect(full.status).toBe(1);
    expect(full.stderr).toBe('polyarchiv: cannot write the standard output: no space left on the device\n');
  });
});

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum');

describe.runIf(canRun || process.env.CI === 'true')('a run whose reader goes away', () => {
  /** A collect point whose hook prints far more than a pipe holds, and its mirror. */
  function scenario(): Sandbox {
    const box = newSandbox('polyarchiv-closed-run-');
    box.write({
      'data/f.txt': 'f\n',
      'config/site.collect': [
        '[point]',
        'engine = files',
        'local_path = {root}/collect/{name}',
        '',
        '[source "data"]',
        'engine = local_files',
        'source_path = {root}/data',
        'destination_path = data',
        '',
        '[hook "talk"]',
        'engine = command',
        'events = before_backup',
        `command = sh -c 'head -c 300000 /dev/zero | tr "\\\\0" x'`,
        '',
      ].join('\n'),
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
    });
    return box;
  }

  for (const backend of ['apply', 'script'] as const) {
    it(`${backend}: carries on to the end, every unit done and recorded, the log file complete`, async () => {
      const box = scenario();
      const config = ['-C', box.path('config'), '--set', `root=${box.root}`];
      const log = box.path('run.log');
      let ended: Ended;
      if (backend === 'apply') {
        ended = await readByAQuitter(process.execPath, [CLI, 'backup', ...config, '--log-file', log], true);
      } else {
        const script = box.path('backup.sh');
        const planned = spawnSync(process.execPath, [CLI, 'plan', ...config, '--out', script], {
          encoding: 'utf8',
        });
        expect(planned.stderr).toBe('');
        ended = await readByAQuitter('bash', [script, '--log-file', log], true);
      }
      expect(ended.signal).toBeNull();
      expect(ended.code).toBe(0);
      expect(readFileSync(box.path('mirror/site/data/f.txt'), 'utf8')).toBe('f\n');
      for (const state of ['collect_point/site.json', 'remote-mirror/remote/mirror.json']) {
        const file = box.path('collect/site/metadata', state);
        expect(existsSync(file), file).toBe(true);
        expect(JSON.parse(readFileSync(file, 'utf8')).last_message).toBe('ok');
      }
      const summary = withoutLogStamps(readFileSync(log, 'utf8')).split('\n').slice(-4);
      expect(summary.slice(0, 3).map((line) => line.replace(/ \(\d+\.\d s\)$/, ''))).toEqual([
        'polyarchiv: summary:',
        'polyarchiv:   ok       collect:site',
        'polyarchiv:   ok       backup:mirror/site',
      ]);
    });
  }
});
