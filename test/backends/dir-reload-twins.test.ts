import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dirReload } from '../../src/backends/execute/dir-reload.js';
import type { RunContext } from '../../src/backends/execute/run-exec.js';
import type { DirReloadCommand } from '../../src/graph/command.js';
import { partialFile } from '../helpers/partials.js';
import { sandboxesPerTest } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { snapshotTree } from '../helpers/tree.js';

const partial = partialFile;
const HELPERS = [partial('helpers.hbs'), partial('helpers-dir-reload.hbs')];
const canRun = haveTools('bash', 'chown', 'mv', 'rmdir', 'setsid');

type Layout = Record<string, string>;
interface Outcome {
  readonly rc: number;
  readonly tree: Layout;
  readonly said: string;
}

const newSandbox = sandboxesPerTest();

/**
 * A data directory `data`, an export `export.ldif`, a loader, and stop and start commands that
 * leave a mark (the stop runs `stopper` first).
 */
function command(root: string, loader: string, stopper = ':'): DirReloadCommand {
  return {
    kind: 'dir-reload',
    target: `${root}/data`,
    previous: `${root}/data/.polyarchiv-old`,
    input: `${root}/export.ldif`,
    load: ['sh', '-c', loader, 'sh', `${root}/data`],
    stop: ['sh', '-c', `${stopper}; echo stopped >> "$1"`, 'sh', `${root}/stopped`],
    stopOrigin: 'site.collect:7 [source "directory"]',
    start: ['sh', '-c', 'echo started >> "$1"', 'sh', `${root}/started`],
  };
}

/** The same reload through polyarchiv_dir_reload (as a unit step runs it) and through dirReload. */
async function both(
  layout: Layout,
  loader: string,
  prepare = (_root: string) => {},
  stopper = ':',
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const backend of ['script', 'executor']) {
    const box = newSandbox('polyarchiv-reload-twin-');
    mkdirSync(box.path('data'));
    box.write(layout);
    prepare(box.root);
    const reload = command(box.root, loader, stopper);
    let rc: number;
    let said: string;
    if (backend === 'script') {
      const line = `polyarchiv_dir_reload "$@"`;
      // As a unit runs its steps: in a process group of its own, which a signal reaches whole, the
      // steps in a subshell that the signal ends.
      const run = spawnSync(
        'setsid',
        [
          'bash',
          '-c',
          `set -Eeuo pipefail; shopt -s inherit_errexit; source "$1"; source "$2"; shift 2; trap : TERM; set +e; (polyarchiv_exit_on_signal; set -e; ${line}); echo "rc=$?"`,
          'bash',
          ...HELPERS,
          reload.target,
          reload.previous,
          reload.input,
          reload.stopOrigin,
          String(reload.stop.length),
          ...(reload.stop as string[]),
          String(reload.start.length),
          ...(reload.start as string[]),
          ...(reload.load as string[]),
        ],
        { encoding: 'utf8' },
      );
      rc = Number(/rc=(\d+)/.exec(run.stdout)?.[1] ?? -1);
      said = run.stderr
        .split('\n')
        .filter((l) => l.startsWith('polyarchiv:   '))
        .map((l) => l.replace('polyarchiv: ', ''))
        .join('\n');
    } else {
      const lines: string[] = [];
      // A loader that "signals the run" leaves this file: apply then knows it was interrupted.
      const interrupted = () => (existsSync(box.path('interrupted')) ? 'SIGTERM' : undefined);
      const ctx: RunContext = { workDir: box.root, secrets: new Map(), processes: new Set(), interrupted };
      rc = await dirReload(reload, ctx, (l) => lines.push(l));
      said = lines.join('\n');
    }
    const shown = said.replaceAll(box.root, 'ROOT').replace(/process \d+ /, 'process PID ');
    outcomes.push({ rc, tree: snapshotTree(box.root), said: shown });
  }
  return outcomes;
}

const OLD: Layout = {
  'data/data.mdb': 'old',
  'data/.hidden': 'h',
  'data/sub/x': 'x',
  'export.ldif': 'dn: new\n',
};
const LOAD = 'cat > "$1/data.mdb"';

describe.runIf(canRun)('polyarchiv_dir_reload and dirReload behave alike', () => {
  it('replace the contents of the directory and start the service', async () => {
    const [script, executor] = await both(OLD, LOAD);
    expect(executor).toEqual(script);
    expect(script?.rc).toBe(0);
    expect(Object.keys(script?.tree ?? {}).filter((k) => k.startsWith('data'))).toEqual([
      'data',
      'data/data.mdb',
    ]);
    expect(script?.tree.started).toBeDefined();
  });

  it.each([
    ['when the load fails', 'cat > "$1/half"; exit 3', 3],
    // The signal reaches the loader's process group: the unit's in the script, its own in apply.
    [
      'when a signal stops the load',
      'cat > "$1/half"; touch "$1/../interrupted"; kill -TERM 0; sleep 5',
      143,
    ],
  ])('put the previous contents back %s, and start the service', async (_, loader, rc) => {
    const [script, executor] = await both(OLD, loader);
    expect(executor).toEqual(script);
    expect(script?.rc).toBe(rc);
    expect(script?.said).toContain(
      `the load failed with exit code ${rc}: the previous contents of ROOT/data are put back`,
    );
    expect(Object.keys(script?.tree ?? {}).filter((k) => k.startsWith('data'))).toEqual([
      'data',
      'data/.hidden',
      'data/data.mdb',
      'data/sub',
      'data/sub/x',
    ]);
    expect(script?.tree.started).toBeDefined();
  });

  it('touch nothing when the stop fails, and leave the service that was not stopped alone', async () => {
    const [script, executor] = await both(OLD, LOAD, undefined, 'exit 5');
    expect(executor).toEqual(script);
    expect(script?.rc).toBe(5);
    expect(script?.said).toBe(
      '  the stop command (stop_command at site.collect:7 [source "directory"]) failed with exit code 5, its output above: the service was not stopped; ROOT/data is left as it is and the start command is not run',
    );
    expect(script?.tree['data/data.mdb']).toBe(snapshotOf('old'));
    expect(script?.tree.stopped).toBeUndefined();
    expect(script?.tree.started).toBeUndefined();
  });

  it('touch nothing and start the service when a signal stops the stop command', async () => {
    const stopper = 'touch "${1%/*}/interrupted"; kill -TERM 0; sleep 5';
    const [script, executor] = await both(OLD, LOAD, undefined, stopper);
    expect(executor).toEqual(script);
    expect(script?.rc).toBe(143);
    expect(script?.tree['data/data.mdb']).toBe(snapshotOf('old'));
    expect(script?.tree.started).toBeDefined();
  });

  it('put back what a killed run left aside before loading again', async () => {
    const killed: Layout = {
      'data/half': 'half-loaded',
      'data/.polyarchiv-old/data.mdb': 'old',
      'export.ldif': 'dn: new\n',
    };
    for (const [loader, rc, kept] of [
      [LOAD, 0, ['data', 'data/data.mdb']],
      ['exit 4', 4, ['data', 'data/data.mdb']],
    ] as const) {
      const [script, executor] = await both(killed, loader);
      expect(executor).toEqual(script);
      expect(script?.rc).toBe(rc);
      expect(Object.keys(script?.tree ?? {}).filter((k) => k.startsWith('data'))).toEqual(kept);
    }
  });

  it('start the service even when moving the old contents aside fails', async () => {
    // A file where the helper makes its directory: mkdir fails before anything moved.
    const [script, executor] = await both({ ...OLD, 'data/.polyarchiv-old': 'in the way' }, LOAD);
    expect(executor).toEqual(script);
    expect(script?.rc).not.toBe(0);
    expect(script?.tree['data/data.mdb']).toBe(snapshotOf('old'));
    expect(script?.tree.started).toBeDefined();
  });

  it('touch nothing while a process holds a file of the directory open, and start nothing', async () => {
    const holders: ChildProcess[] = [];
    try {
      const [script, executor] = await both(OLD, LOAD, (root) => {
        const holder = spawn('sh', ['-c', 'exec 3< "$1"; exec sleep 30', 'sh', `${root}/data/sub/x`], {
          stdio: 'ignore',
        });
        holders.push(holder);
        // Until its descriptor is open.
        for (let i = 0; i < 100 && !holdsOpen(holder.pid, `${root}/data/sub/x`); i++) sleepMs(20);
      });
      expect(executor).toEqual(script);
      expect(script?.rc).toBe(1);
      expect(script?.said).toBe(
        '  process PID (sleep) has files in ROOT/data open: the service still runs (its stop command is empty, did not stop it, or returned before it ended), and would go on with its files moved away from under it; stop it first: nothing was changed, and the start command is not run',
      );
      expect(script?.tree['data/data.mdb']).toBe(snapshotOf('old'));
      expect(script?.tree['data/.polyarchiv-old']).toBeUndefined();
      expect(script?.tree.started).toBeUndefined();
    } finally {
      for (const holder of holders) holder.kill('SIGKILL');
    }
  });

  it('start the service and touch nothing when the export is missing or empty', async () => {
    for (const input of [{}, { 'export.ldif': '' }]) {
      const layout = { 'data/data.mdb': 'old', ...input };
      const [script, executor] = await both(layout, LOAD);
      expect(executor).toEqual(script);
      expect(script?.rc).toBe(1);
      expect(script?.said).toContain('ROOT/export.ldif is missing or empty: ROOT/data is left as it is');
      expect(script?.tree['data/data.mdb']).toBe(snapshotOf('old'));
      expect(script?.tree.started).toBeDefined();
    }
  });
});

/** The snapshotTree entry of a 0644 file holding `text`. */
function snapshotOf(text: string): string {
  const box = newSandbox('polyarchiv-reload-twin-');
  writeFileSync(box.path('f'), text, { mode: 0o644 });
  return snapshotTree(box.root).f as string;
}

function holdsOpen(pid: number | undefined, path: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`) === path);
  } catch {
    return false;
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
