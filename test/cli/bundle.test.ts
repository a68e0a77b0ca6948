import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

// The installed command runs the bundle (package.json's bin), the other tests the compiled tree:
// both must say and do the same, and the bundle must find what it reads beside the package.
const BIN = fileURLToPath(new URL('../../dist/bin/main.js', import.meta.url));
const PACKAGE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
};

function run(cli: string, args: readonly string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'Europe/Paris' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe.runIf(haveTools('rsync', 'flock'))('the bundled command', () => {
  let box: Sandbox;
  let config: string[];

  beforeAll(() => {
    box = makeSandbox();
    box.write({
      'data/file': 'data\n',
      'config/site.collect': `[point]\nengine = files\nlocal_path = ${box.path('collect')}\nfrequency = daily\n\n[source "docs"]\nengine = local_files\nsource_path = ${box.path('data')}\ndestination_path = docs\n`,
      'config/mirror.backup': `[point]\nengine = synchronize\nremote_url = ${box.path('mirror')}/{name}\nfrequency = daily\n`,
    });
    config = ['-C', box.path('config'), '--now', '2026-03-01T12:00:00+01:00'];
  });
  afterAll(() => box.remove());

  it('is what package.json installs as polyarchiv', () => {
    expect(new URL(PACKAGE.bin.polyarchiv ?? '', new URL('../../', import.meta.url)).pathname).toBe(BIN);
  });

  it('reads its version from package.json', () => {
    const version = run(BIN, ['--version']);
    expect(version.stdout.trim()).toBe(PACKAGE.version);
  });

  it('renders the same script and text as the compiled tree (the templates found from the bundle)', () => {
    for (const format of [[], ['--format', 'text'], ['--format', 'json']]) {
      const bundled = run(BIN, ['plan', ...config, ...format]);
      const compiled = run(CLI, ['plan', ...config, ...format]);
      expect(bundled.stderr).toBe(compiled.stderr);
      expect(bundled.code).toBe(0);
      expect(bundled.stdout.length).toBeGreaterThan(0);
      expect(bundled.stdout).toBe(compiled.stdout);
    }
  });

  it('runs a backup, then finds nothing due', () => {
    const first = run(BIN, ['apply', ...config]);
    expect(first.stderr).toContain('ok       backup:mirror/site');
    expect(first.code).toBe(0);
    expect(readFileSync(box.path('mirror', 'site', 'docs', 'file'), 'utf8')).toBe('data\n');
    const again = run(BIN, ['apply', ...config]);
    expect(again.stderr).toContain('not run: collect point site: not due');
    expect(again.code).toBe(0);
  });

  it('schedules runs of itself', () => {
    const cron = run(BIN, ['schedule', '--cron', ...config.slice(0, 2)]);
    expect(cron.stderr).toBe('');
    expect(cron.stdout).toContain(`${process.execPath} ${BIN} backup -C`);
  });

  it('runs as an executable, with node as scheduled runs start it: without options', () => {
    expect(readFileSync(BIN, 'utf8').split('\n', 1)[0]).toBe('#!/usr/bin/env node');
    const direct = spawnSync(BIN, ['--version'], { encoding: 'utf8' });
    expect(direct.stderr).toBe('');
    expect(direct.stdout).toBe(`${PACKAGE.version}\n`);
  });

  it('reports a configuration mistake as the compiled tree does', () => {
    box.write({ 'bad/site.collect': '[point]\nengine = filez\n' });
    const bundled = run(BIN, ['plan', '-C', box.path('bad')]);
    expect(bundled.code).toBe(2);
    expect(bundled.stderr).toContain('filez');
    expect(bundled).toEqual(run(CLI, ['plan', '-C', box.path('bad')]));
  });
});
