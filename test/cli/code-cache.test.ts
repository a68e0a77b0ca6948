import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODE_CACHE_DIR } from '../../src/cli/code-cache.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';

// The build keeps V8's code of the bundle's chunks (src/cli/code-cache.ts). Node accepts it only
// with the options it was made with: none, as the command runs (src/cli/large-plan-heap.ts).
const BUNDLE = fileURLToPath(new URL('../../dist/bin', import.meta.url));
const CODE_CACHE = fileURLToPath(new URL('../../dist/cli/code-cache.js', import.meta.url));

/** For each chunk of `bundle` that has a cache: whether node, with `options`, refuses it. */
function refusals(bundle: string, options: readonly string[]): Record<string, boolean> {
  const probe = `
    import { readdirSync, readFileSync } from 'node:fs';
    import { join } from 'node:path';
    import { codeCacheFile, compileChunk } from ${JSON.stringify(CODE_CACHE)};
    const bundle = ${JSON.stringify(bundle)};
    const refused = {};
    for (const name of readdirSync(join(bundle, ${JSON.stringify(CODE_CACHE_DIR)}))) {
      const chunk = join(bundle, name.replace(/\\.bin$/, ''));
      const script = compileChunk(readFileSync(chunk, 'utf8'), chunk, readFileSync(codeCacheFile(chunk)));
      refused[name.replace(/-[\\w-]{8}\\.js\\.bin$/, '')] = script.cachedDataRejected;
    }
    process.stdout.write(JSON.stringify(refused));`;
  const run = spawnSync(process.execPath, [...options, '--input-type=module', '-e', probe], {
    encoding: 'utf8',
  });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as Record<string, boolean>;
}

/**
 * What a preload sees of the command's compilations: each chunk compiled with a cache, and whether
 * node refused it.
 */
const WATCH_COMPILATIONS = `data:text/javascript,${encodeURIComponent(`
  import vm from 'node:vm';
  const seen = {};
  const Script = vm.Script;
  vm.Script = class extends Script {
    constructor(source, options) {
      super(source, options);
      if (options?.cachedData !== undefined) seen[options.filename.replace(/^.*\\//, '')] = this.cachedDataRejected;
    }
  };
  process.on('exit', () => process.stderr.write('compiled: ' + JSON.stringify(seen) + '\\n'));
`)}`;

describe('the code cache of the bundled command', () => {
  let box: Sandbox;
  let bundle: string;
  let config: string;

  beforeAll(() => {
    box = makeSandbox();
    // A copy, so that its cache can be spoiled, beside the bundle: it finds the package's modules.
    bundle = mkdtempSync(`${BUNDLE}-test-`);
    cpSync(BUNDLE, bundle, { recursive: true });
    box.write({
      'data/file': 'data\n',
      'config/site.collect': `[point]\nengine = files\nlocal_path = ${box.path('collect')}\n\n[source "docs"]\nengine = local_files\nsource_path = ${box.path('data')}\ndestination_path = docs\n`,
      'config/mirror.backup': `[point]\nengine = synchronize\nremote_url = ${box.path('mirror')}/{name}\n`,
    });
    config = box.path('config');
  });
  afterAll(() => {
    box.remove();
    rmSync(bundle, { recursive: true, force: true });
  });

  const command = (args: readonly string[], options: readonly string[] = [], input = '') => {
    const run = spawnSync(process.execPath, [...options, join(bundle, 'main.js'), ...args], {
      encoding: 'utf8',
      input,
    });
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
  };
  const plans = () =>
    [[], ['--format', 'text'], ['--format', 'json']].map((format) =>
      command(['plan', '-C', config, '--now', '2030-01-01T00:00:00Z', ...format]),
    );

  it('holds the chunks that plans and runs load, which node accepts as the command runs it', () => {
    const refused = refusals(BUNDLE, []);
    for (const chunk of [
      'main',
      'output',
      'registry',
      'plan-commands',
      'render',
      'apply-command',
      'run-unit',
    ])
      expect([chunk, refused[chunk]]).toEqual([chunk, false]);
    expect(Object.values(refused).every((value) => value === false)).toBe(true);
    // The entry itself is compiled before any cache can be used, and has none.
    expect(refused['main.js']).toBeUndefined();
    expect(readdirSync(join(BUNDLE, CODE_CACHE_DIR))).not.toContain('main.js.bin');
  });

  it('is what a plan and a run compile their chunks with', () => {
    for (const args of [
      ['plan', '-C', config],
      ['backup', '-C', config],
    ]) {
      const run = command(args, ['--import', WATCH_COMPILATIONS]);
      expect(run.code).toBe(0);
      const seen = JSON.parse(/^compiled: (.*)$/m.exec(run.stderr)?.[1] ?? '{}') as Record<string, boolean>;
      const chunks = Object.keys(seen).map((name) => name.replace(/-[\w-]{8}\.js$/, ''));
      expect(chunks).toEqual(expect.arrayContaining(['main', 'output', 'registry']));
      expect(chunks).toContain(args[0] === 'plan' ? 'render' : 'run-unit');
      expect(Object.values(seen).every((refused) => refused === false)).toBe(true);
    }
  });

  it('runs chunks that load what they need with require, never with import()', () => {
    // Node has no loader for the import() of code compiled from a cache: a restore's question
    // failed so once, when readline was imported. The one import() left is in commander's comments.
    for (const name of readdirSync(BUNDLE).filter((file) => file.endsWith('.js'))) {
      const code = readFileSync(join(BUNDLE, name), 'utf8');
      expect([name, code.match(/(?<![\w$.])import\(\s*["'`](?!\.\.?\/)[^)]*\)/g)]).toEqual([name, null]);
    }
    const answers = 'y\n'.repeat(40);
    const confirmed = command(['apply', '-C', config, '--confirm-commands'], [], answers);
    expect(confirmed.stderr).toContain('ok       backup:mirror/site');
    expect(confirmed.code).toBe(0);
    expect(readFileSync(box.path('mirror', 'site', 'docs', 'file'), 'utf8')).toBe('data\n');
  });

  it('is refused by a node with other options, which compiles the chunks as without it', () => {
    const refused = refusals(BUNDLE, ['--max-semi-space-size=4']);
    expect(Object.keys(refused).length).toBeGreaterThan(5);
    expect(Object.values(refused).every((value) => value === true)).toBe(true);
  });

  it('makes no difference to what the command does when it is wrong or missing', () => {
    const expected = plans();
    for (const { code, stdout, stderr } of expected)
      expect([code, stderr, stdout.length > 0]).toEqual([0, '', true]);
    const cache = join(bundle, CODE_CACHE_DIR);
    const files = readdirSync(cache);
    const main = files.find((name) => name.startsWith('main-')) as string;
    const output = files.find((name) => name.startsWith('output-')) as string;
    // Each chunk given the other's cache: V8 refuses a cache made for a source of another length.
    const mainCache = readFileSync(join(cache, main));
    renameSync(join(cache, output), join(cache, main));
    writeFileSync(join(cache, output), mainCache);
    expect(refusals(bundle, [])).toMatchObject({ main: true, output: true });
    expect(plans()).toEqual(expected);
    // A cache cut short.
    writeFileSync(join(cache, main), mainCache.subarray(0, 100));
    expect(plans()).toEqual(expected);
    rmSync(cache, { recursive: true });
    expect(plans()).toEqual(expected);
    expect(command(['--version']).code).toBe(0);
  });
});
