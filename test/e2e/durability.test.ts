import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { partialFile } from '../helpers/partials.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum', 'strace');
const HELPERS = partialFile('helpers.hbs', 'helpers-state.hbs');
const PRIMITIVES = fileURLToPath(new URL('../../dist/backends/execute/primitives.js', import.meta.url));
const RELOAD_HELPERS = partialFile('helpers-dir-reload.hbs');
const DIR_RELOAD = fileURLToPath(new URL('../../dist/backends/execute/dir-reload.js', import.meta.url));

/**
 * The fsync, syncfs and rename calls (and the removals, with `removals`) of a command and its
 * children, in the order they happened.
 */
function traced(box: Sandbox, argv: readonly string[], removals = false): string[] {
  const log = box.path('strace.log');
  const calls = `fsync,syncfs,rename,renameat,renameat2${removals ? ',rmdir,unlink,unlinkat' : ''}`;
  const run = spawnSync('strace', ['-f', '-y', '-qq', '-o', log, '-e', `trace=${calls}`, ...argv], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'Europe/Paris' },
  });
  expect(run.status, run.stderr).toBe(0);
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => / (fsync|syncfs|rename\w*|rmdir|unlink\w*)\(/.test(line) && !line.includes('= -1'));
}

const fsyncOf = (path: string) => (line: string) => line.includes('fsync(') && line.includes(`<${path}>`);
/** `sync -f DIR`: the filesystem holding DIR flushed through a descriptor of DIR. */
const syncfsOf = (path: string) => (line: string) => line.includes('syncfs(') && line.includes(`<${path}>`);
const renameOf = (from: string, to: string) => (line: string) =>
  /rename/.test(line) && line.includes(`"${from}"`) && line.includes(`"${to}"`);

/** `first` happened, and before `then`. */
function expectBefore(
  calls: string[],
  first: (l: string) => boolean,
  then: (l: string) => boolean,
  what: string,
) {
  const a = calls.findIndex(first);
  const b = calls.findIndex(then);
  expect(a, `${what}: first call missing in\n${calls.join('\n')}`).toBeGreaterThanOrEqual(0);
  expect(b, `${what}: second call missing in\n${calls.join('\n')}`).toBeGreaterThanOrEqual(0);
  expect(a, `${what}\n${calls.join('\n')}`).toBeLessThan(b);
}

describe.runIf(canRun).each(['apply', 'script'] as const)('durability through %s', (backend) => {
  let box: Sandbox | undefined;
  afterEach(() => box?.remove());

  it('flushes state files before the renames that publish them, then their directory', () => {
    box = makeSandbox('polyarchiv-durable-');
    box.write({
      'config/site.collect': `[point]\nengine = files\nlocal_path = {root}/collect\n\n[source "data"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = data\n`,
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
      'data/a.txt': 'a\n',
    });
    const args = ['-C', box.path('config'), '--set', `root=${box.root}`];
    const script = box.path('backup.sh');
    if (backend === 'script') writeFileSync(script, runCli(['plan', ...args]).stdout);
    const calls = traced(
      box,
      backend === 'apply' ? [process.execPath, CLI, 'backup', ...args] : ['bash', script],
    );

    const stateDir = box.path('collect/metadata/collect_point');
    const state = `${stateDir}/site.json`;
    expectBefore(
      calls,
      fsyncOf(`${state}.partial`),
      renameOf(`${state}.partial`, state),
      'state data, then rename',
    );
    expectBefore(
      calls,
      renameOf(`${state}.partial`, state),
      fsyncOf(stateDir),
      'state rename, then directory',
    );
  });

  it('flushes each copy in place after its last rename, before its unit records the success', () => {
    box = makeSandbox('polyarchiv-durable-');
    const files: Record<string, string> = {};
    for (let i = 0; i < 5; i++) files[`data/d${i}/f${i}.txt`] = `file ${i}\n`;
    box.write({
      'config/site.collect': `[point]\nengine = files\nlocal_path = {root}/collect\n\n[source "data"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = data\n`,
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
      ...files,
    });
    const args = ['-C', box.path('config'), '--set', `root=${box.root}`];
    const script = box.path('backup.sh');
    if (backend === 'script') writeFileSync(script, runCli(['plan', ...args]).stdout);
    const calls = traced(
      box,
      backend === 'apply' ? [process.execPath, CLI, 'backup', ...args] : ['bash', script],
    );
    // rsync renames what it received out of its holding directories, inside the copy: the flush
    // comes after the last of those renames and before the state file's rename records the success.
    const renameIn = (copy: string) => (l: string) =>
      /rename/.test(l) && l.includes(`<${copy}/`) && l.includes('.~polyarchiv~>');
    const trace = calls.join('\n');
    let after = -1;
    for (const [copy, state] of [
      [box.path('collect/backups/data'), box.path('collect/metadata/collect_point/site.json')],
      [box.path('mirror/site'), box.path('collect/metadata/remote-mirror/remote/mirror.json')],
    ] as const) {
      const flush = calls.findIndex((l, i) => i > after && syncfsOf(copy)(l));
      const record = calls.findIndex(renameOf(`${state}.partial`, state));
      expect(flush, `no flush of ${copy} in\n${trace}`).toBeGreaterThan(after);
      expect(record, `${state} recorded before ${copy} was flushed\n${trace}`).toBeGreaterThan(flush);
      expect(calls.slice(after + 1, flush).some(renameIn(copy)), `no rename into ${copy}\n${trace}`).toBe(
        true,
      );
      expect(calls.slice(flush, record).some(renameIn(copy)), `a rename after the flush\n${trace}`).toBe(
        false,
      );
      after = record;
    }
  });
});

describe.runIf(canRun)('publishing a finished file (dumps, state files)', () => {
  let box: Sandbox | undefined;
  afterEach(() => box?.remove());

  it.each(['polyarchiv_publish', 'publishFile'])(
    '%s flushes the file, renames it, flushes the directory',
    (how) => {
      box = makeSandbox('polyarchiv-durable-');
      box.write({ 'dump.sql.partial': 'new\n', 'dump.sql': 'old\n' });
      const [partial, file] = [box.path('dump.sql.partial'), box.path('dump.sql')];
      const argv =
        how === 'polyarchiv_publish'
          ? ['bash', '-c', 'source "$1"; polyarchiv_publish "$2" "$3"', 'bash', HELPERS, partial, file]
          : [
              process.execPath,
              '--input-type=module',
              '-e',
              `import { publishFile } from ${JSON.stringify(PRIMITIVES)}; publishFile(process.argv[1], process.argv[2]);`,
              partial,
              file,
            ];
      const calls = traced(box, argv);
      expectBefore(calls, fsyncOf(partial), renameOf(partial, file), 'data, then rename');
      expectBefore(calls, renameOf(partial, file), fsyncOf(box.root), 'rename, then directory');
      expect(readFileSync(file, 'utf8')).toBe('new\n');
    },
  );
});

describe.runIf(canRun)('swapping a staged copy in (dovecot)', () => {
  // The plan flushes the staged tree with `sync -f` in the step before (see build-commands.test.ts).
  let box: Sandbox | undefined;
  afterEach(() => box?.remove());

  it.each(['polyarchiv_dir_swap', 'dirSwap'])(
    '%s swaps the staged tree in, then flushes the directory',
    (how) => {
      box = makeSandbox('polyarchiv-durable-');
      box.write({ 'new/sub/a': 'new\n', 'current/a': 'old\n' });
      const [staging, target, previous] = [box.path('new'), box.path('current'), box.path('old')];
      const argv =
        how === 'polyarchiv_dir_swap'
          ? [
              'bash',
              '-c',
              'source "$1"; polyarchiv_dir_swap "$2" "$3" "$4"',
              'bash',
              HELPERS,
              staging,
              target,
              previous,
            ]
          : [
              process.execPath,
              '--input-type=module',
              '-e',
              `import { dirSwap } from ${JSON.stringify(PRIMITIVES)}; const [staging, target, previous] = process.argv.slice(1); dirSwap({ kind: 'dir-swap', staging, target, previous });`,
              staging,
              target,
              previous,
            ];
      const calls = traced(box, argv);
      const swap = renameOf(staging, target);
      expectBefore(calls, renameOf(target, previous), swap, 'previous aside, then the staged tree in');
      expectBefore(calls, swap, fsyncOf(box.root), 'rename, then directory');
      expect(readFileSync(`${target}/sub/a`, 'utf8')).toBe('new\n');
    },
  );
});

describe.runIf(canRun)('rebuilding a data directory (ldap)', () => {
  let box: Sandbox | undefined;
  afterEach(() => box?.remove());

  it.each(['polyarchiv_dir_reload', 'dirReload'])(
    '%s flushes the loaded database before it drops the previous one',
    (how) => {
      box = makeSandbox('polyarchiv-durable-');
      box.write({ 'data/old.mdb': 'old\n', 'export.ldif': 'dn: dc=example\n' });
      const [target, previous, input] = [
        box.path('data'),
        box.path('data/.polyarchiv-old'),
        box.path('export.ldif'),
      ];
      const load = ['sh', '-c', 'cat > "$1/new.mdb"', 'sh', target];
      const argv =
        how === 'polyarchiv_dir_reload'
          ? [
              'bash',
              '-c',
              'set -Eeuo pipefail; source "$1"; source "$2"; shift 2; polyarchiv_dir_reload "$@"',
              'bash',
              HELPERS,
              RELOAD_HELPERS,
              target,
              previous,
              input,
              // No stop command, so no line of it: then no start command either.
              '',
              '0',
              '0',
              ...load,
            ]
          : [
              process.execPath,
              '--input-type=module',
              '-e',
              `import { dirReload } from ${JSON.stringify(DIR_RELOAD)}; const [target, previous, input, ...load] = process.argv.slice(1); const rc = await dirReload({ kind: 'dir-reload', target, previous, input, load, stop: [], start: [] }, { workDir: '/nonexistent', secrets: new Map(), processes: new Set() }, console.error); process.exit(rc);`,
              target,
              previous,
              input,
              ...load,
            ];
      const calls = traced(box, argv, true);
      const dropped = (l: string) => /rmdir|AT_REMOVEDIR/.test(l) && l.includes('.polyarchiv-old');
      expectBefore(
        calls,
        renameOf(`${target}/old.mdb`, `${previous}/old.mdb`),
        syncfsOf(target),
        'moves, then flush',
      );
      expectBefore(calls, syncfsOf(target), dropped, 'flush, then the previous contents dropped');
      expect(readFileSync(`${target}/new.mdb`, 'utf8')).toBe('dn: dc=example\n');
    },
  );
});
