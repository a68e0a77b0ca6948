import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { shellWord } from '../../src/backends/bash/shell-word.js';
import { releaseLock, takeLock } from '../../src/backends/execute/primitives.js';
import { helperCall } from '../../src/backends/helper-calls.js';
import { HELPERS as CONTRACTS } from '../../src/graph/helper-contracts.js';
import { partialFile, useWorkDir } from '../helpers/partials.js';
import { type Sandbox, sandboxesPerTest } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const HELPERS = partialFile('helpers.hbs', 'helpers-state.hbs');
const canRun = haveTools('bash', 'flock');
const { statuses } = CONTRACTS.lock;

// Registered first, so run last: the holders let go of the lock files before they are removed.
const newSandbox = sandboxesPerTest();
const holders: ChildProcess[] = [];
afterEach(() => {
  // The holder's group: flock and the command it holds the lock for.
  for (const holder of holders.splice(0)) if (holder.pid !== undefined) process.kill(-holder.pid, 'SIGKILL');
});

type Outcome = { status: keyof typeof statuses; said: string };

/** polyarchiv_lock as a unit runs it, then polyarchiv_unlock when it took the lock. */
function viaScript(box: Sandbox, lockFile: string): Outcome {
  const script = `
    source "$1"; ${useWorkDir('$2')}; polyarchiv_unit_file=$2/unit
    rc=0
    ${helperCall(CONTRACTS.lock, { lock_file: shellWord(lockFile) })} || rc=$?
    if ((rc == 0)); then polyarchiv_unlock ${shellWord(lockFile)}; fi
    echo "$rc"
    echo "\${polyarchiv_cause:-}"`;
  const run = spawnSync('bash', ['-c', script, 'bash', HELPERS, box.path('work')], { encoding: 'utf8' });
  const [code, cause] = run.stdout.split('\n');
  const status = (Object.keys(statuses) as (keyof typeof statuses)[]).find(
    (s) => String(statuses[s]) === code,
  );
  if (status === undefined) throw new Error(`polyarchiv_lock: ${run.stdout}${run.stderr}`);
  return { status, said: status === 'cannot' ? (cause ?? '') : '' };
}

async function viaExecutor(lockFile: string): Promise<Outcome> {
  try {
    const fd = await takeLock(lockFile);
    if (fd === 'busy') return { status: 'busy', said: '' };
    releaseLock(fd, lockFile);
    return { status: 'taken', said: '' };
  } catch (error) {
    return { status: 'cannot', said: (error as Error).message };
  }
}

/** Another run holding `lockFile` until the test ends. */
async function heldElsewhere(lockFile: string): Promise<void> {
  const holder = spawn('flock', ['--nonblock', lockFile, 'sh', '-c', 'echo held; exec sleep 60'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  holders.push(holder);
  await new Promise<void>((resolve, reject) => {
    holder.stdout?.once('data', () => resolve());
    holder.once('exit', (code) => reject(new Error(`the holder ended with ${code}`)));
  });
}

describe.runIf(canRun)('polyarchiv_lock and takeLock agree', () => {
  it('take a free lock in a directory they create, and leave no lock file once released', async () => {
    for (const backend of ['script', 'executor']) {
      const box = newSandbox('polyarchiv-twin-');
      box.write({ 'work/.keep': '' });
      const lockFile = box.path("metadata/it's a point/lock");
      const outcome = backend === 'script' ? viaScript(box, lockFile) : await viaExecutor(lockFile);
      expect([backend, outcome]).toEqual([backend, { status: 'taken', said: '' }]);
      expect([backend, existsSync(box.path("metadata/it's a point")), existsSync(lockFile)]).toEqual([
        backend,
        true,
        false,
      ]);
    }
  });

  it('find a lock that another run holds busy, and leave it to it', async () => {
    const box = newSandbox('polyarchiv-twin-');
    box.write({ 'work/.keep': '', 'metadata/lock': '' });
    const lockFile = box.path('metadata/lock');
    await heldElsewhere(lockFile);
    expect(viaScript(box, lockFile)).toEqual({ status: 'busy', said: '' });
    expect(await viaExecutor(lockFile)).toEqual({ status: 'busy', said: '' });
    expect(existsSync(lockFile)).toBe(true);
  });

  it('say alike why a lock cannot be taken where its directory cannot be made', async () => {
    const box = newSandbox('polyarchiv-twin-');
    box.write({ 'work/.keep': '' });
    writeFileSync(box.path('file'), 'not a directory\n');
    const lockFile = box.path('file/metadata/lock');
    const script = viaScript(box, lockFile);
    expect(script).toEqual({
      status: 'cannot',
      said: `cannot create ${box.path('file/metadata')}: Not a directory`,
    });
    expect(await viaExecutor(lockFile)).toEqual(script);
  });
});
