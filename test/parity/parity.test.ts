import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderBash } from '../../src/backends/bash/render.js';
import { executePlan } from '../../src/backends/execute/execute.js';
import type { Plan } from '../../src/planner/plan.js';
import { fixtureSpec, listFixtures, planFixture } from '../helpers/fixtures.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { snapshotTree } from '../helpers/tree.js';
import { ParityServices } from './services.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum', 'gpg', 'gpgconf');
const sandboxes: Sandbox[] = [];
afterAll(() => {
  for (const s of sandboxes) s.remove();
});

const runnable = listFixtures().filter((name) => fixtureSpec(name).runnable);

const services = new ParityServices();
beforeAll(async () => {
  if (canRun) await services.start(runnable);
});
afterAll(async () => {
  await services.stop();
});

/**
 * A sandbox with a PATH shim that logs every rsync argv, so that the two backends can be
 * compared on what they ran, not only on what they left behind.
 */
async function sandboxFor(name: string) {
  const box = makeSandbox(`polyarchiv-parity-${name}-`);
  sandboxes.push(box);
  const spec = fixtureSpec(name);
  box.write(
    Object.fromEntries(Object.entries(spec.data ?? {}).map(([path, text]) => [`root/data/${path}`, text])),
  );
  for (const remote of spec.gitRemotes ?? [])
    spawnSync('git', ['init', '-q', '--bare', box.path('root', remote)], { stdio: 'ignore' });
  for (const repository of spec.svnRepositories ?? []) {
    mkdirSync(box.path('root', repository, '..'), { recursive: true });
    spawnSync('svnadmin', ['create', box.path('root', repository)], { stdio: 'ignore' });
  }
  const served = await services.prepare(name, box);
  const log = box.path('argv.log');
  const shim = box.path('shim/rsync');
  box.write({
    'shim/rsync': `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec /usr/bin/rsync "$@"\n`,
  });
  chmodSync(shim, 0o755);
  // Git objects are compressed with their commit's time, so their sizes (which the state records)
  // differ between two runs a second apart: both backends commit at one fixed time.
  const env: Record<string, string> = {
    ...spec.secrets,
    PATH: `${box.path('shim')}:${process.env.PATH}`,
    GIT_AUTHOR_DATE: '2026-03-10T04:05:06+01:00',
    GIT_COMMITTER_DATE: '2026-03-10T04:05:06+01:00',
    ...served.env,
    ...spec.secrets,
  };
  if (spec.secrets !== undefined) {
    env.GNUPGHOME = box.path('gnupg');
    mkdirSync(env.GNUPGHOME, { mode: 0o700 });
    gnupgHomes.push(env.GNUPGHOME);
  }
  return { box, env, log, served };
}

/** gpg's agents, started by the encrypt filter in each sandbox's GNUPGHOME, stop with the tests. */
const gnupgHomes: string[] = [];
afterAll(() => {
  for (const home of gnupgHomes)
    spawnSync('gpgconf', ['--kill', 'gpg-agent'], { env: { ...process.env, GNUPGHOME: home } });
});

/**
 * The clear text of a file gpg encrypted symmetrically with one of the fixture's passphrases, as
 * the test's own gpg reads it (two encryptions of one file differ); undefined for other files.
 */
function decrypter(name: string, home: string): ((path: string) => Buffer | undefined) | undefined {
  const passphrases = Object.values(fixtureSpec(name).secrets ?? {});
  if (passphrases.length === 0) return undefined;
  return (path) => {
    const head = readFileSync(path).subarray(0, 2);
    if (head[0] !== 0x8c || head[1] !== 0x0d) return undefined;
    for (const passphrase of passphrases) {
      const gpg = spawnSync(
        'gpg',
        [
          '--batch',
          '--quiet',
          '--no-symkey-cache',
          '--pinentry-mode',
          'loopback',
          '--passphrase-fd',
          '0',
          '--decrypt',
          path,
        ],
        { input: passphrase, env: { ...process.env, GNUPGHOME: home } },
      );
      if (gpg.status === 0) return gpg.stdout;
    }
    // Not gpg's after all (restic's repository files are random bytes too).
    return undefined;
  };
}

async function applyInProcess(plan: Plan, env: Record<string, string>, jobs = 1) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return await executePlan(plan, {
      dry: false,
      showCommands: false,
      quiet: true,
      say: () => {},
      clock: () => new Date(),
      jobs,
      confirmation: { yes: true, ask: async () => false },
    });
  } finally {
    for (const name of Object.keys(env)) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  }
}

function runScript(plan: Plan, box: Sandbox, env: Record<string, string>, jobs: number) {
  const script = box.path('plan.sh');
  writeFileSync(script, renderBash(plan));
  // Quiet like the in-process run: log hooks receive what each backend printed.
  return spawnSync('bash', [script, '-q', '--jobs', String(jobs), '--yes'], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
}

function planOrFail(name: string, root: string, variables: Record<string, string>): Plan {
  const result = planFixture(name, root, {}, undefined, variables);
  if (result.plan === undefined)
    throw new Error(`fixture ${name} does not plan: ${JSON.stringify(result.diagnostics.errors)}`);
  return result.plan;
}

describe.runIf(canRun).each(runnable)('parity of apply and the script on fixture %s', (name) => {
  // Units run one at a time, then two at a time: in parallel the commands are the same, in an order
  // that may differ between runs.
  it.each([1, 2])(
    'leaves the same files and state, having run the same commands, with --jobs %i',
    async (jobs) => {
      const a = await sandboxFor(name);
      const b = await sandboxFor(name);
      const rootA = a.box.path('root');
      const rootB = b.box.path('root');
      if (fixtureSpec(name).mode === 'restore') {
        // A restore needs something to restore from: back up first, then lose the data.
        for (const { root, env, served } of [
          { root: rootA, ...a },
          { root: rootB, ...b },
        ]) {
          const only = { force: true, onlyBackupPoints: [] };
          const backup = planFixture(name, root, only, 'backup', served.variables).plan as Plan;
          expect((await applyInProcess(backup, env)).exitCode).toBe(0);
          rmSync(`${root}/data`, { recursive: true, force: true });
          if (fixtureSpec(name).rebuilt === true) rmSync(`${root}/collect`, { recursive: true, force: true });
        }
        rmSync(a.log, { force: true });
        rmSync(b.log, { force: true });
      }
      const report = await applyInProcess(planOrFail(name, rootA, a.served.variables), a.env, jobs);
      const script = runScript(planOrFail(name, rootB, b.served.variables), b.box, b.env, jobs);

      // Both backends did what the fixture does, not merely failed alike.
      expect(report.exitCode, script.stderr).toBe(0);
      expect(script.status, script.stderr).toBe(report.exitCode);
      const secrets = Object.values(fixtureSpec(name).secrets ?? {});
      expect(snapshotTree(rootB, rootB, secrets, decrypter(name, b.box.path('gnupg')))).toEqual(
        snapshotTree(rootA, rootA, secrets, decrypter(name, a.box.path('gnupg'))),
      );
      const argv = (log: string, root: string) => {
        const lines = existsSync(log)
          ? readFileSync(log, 'utf8')
              .replaceAll(root, '<root>')
              // Each backend has its own private work directory (the copy guards' dry runs name it).
              .replace(/\S*\/(?:tmp|polyarchiv)\.\w+\/measure/g, '<work>/measure')
              .split('\n')
          : [];
        return jobs === 1 ? lines : lines.sort();
      };
      expect(argv(b.log, rootB)).toEqual(argv(a.log, rootA));
      expect(b.served.effects()).toEqual(a.served.effects());
    },
    // gpg derives a key for each file it encrypts: slow on a loaded machine.
    180_000,
  );
});
