import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, type CliResult, runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

/**
 * Faults outside the steps need root (mounts, chattr): under CI, which runs as root, they must
 * run; elsewhere they may be skipped.
 */
const isRoot = process.getuid?.() === 0;
if (!isRoot && process.env.CI === 'true') throw new Error('CI=true: the fault tests need root');
const canRun =
  isRoot && haveTools('rsync', 'flock', 'bash', 'sha256sum', 'mount', 'umount', 'chattr', 'setpriv');

interface Scenario {
  readonly box: Sandbox;
  readonly args: string[];
  /** The state directory of collect point a, where the faults are. */
  readonly stateDir: string;
  state(point: 'a' | 'b'): { success_count: number; fail_count: number; last_message: string } | undefined;
}

/** Two collect points that share nothing: a fault in the first must not stop the second. */
function scenario(): Scenario {
  const box = makeSandbox('polyarchiv-fault-');
  const point = (name: string) =>
    `[point]\nengine = files\nlocal_path = {root}/${name}\nfrequency = always\n\n[source "data"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = data\n`;
  box.write({ 'config/a.collect': point('a'), 'config/b.collect': point('b'), 'data/f.txt': 'f\n' });
  const args = ['-C', box.path('config'), '--set', `root=${box.root}`];
  const first = runCli(['backup', ...args]);
  expect(first.code, first.stderr).toBe(0);
  return {
    box,
    args,
    stateDir: box.path('a/metadata/collect_point'),
    state: (name) => {
      const file = box.path(`${name}/metadata/collect_point/${name}.json`);
      try {
        return JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        return undefined;
      }
    },
  };
}

function sh(...argv: string[]): void {
  const run = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${argv.join(' ')}: ${run.stderr}`);
}

/** Runs the plan made before the fault: a saved JSON plan through apply, or the rendered script. */
function runPlanned(
  backend: 'apply' | 'script',
  s: Scenario,
  inject: () => () => void,
  env: Record<string, string> = {},
): CliResult {
  const saved = s.box.path(backend === 'apply' ? 'plan.json' : 'backup.sh');
  const made = runCli(['plan', ...s.args, ...(backend === 'apply' ? ['--format', 'json'] : [])]);
  expect(made.code, made.stderr).toBe(0);
  writeFileSync(saved, made.stdout);
  const undo = inject();
  try {
    if (backend === 'apply') return runCli(['apply', saved], env);
    const run = spawnSync('bash', [saved], { encoding: 'utf8', env: { ...process.env, ...env } });
    return { code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
  } finally {
    undo();
  }
}

/** Fills a small tmpfs mounted over the state directory, keeping the files it held. */
function fullDisk(dir: string): () => void {
  const kept = readdirSync(dir).map((name) => [name, readFileSync(`${dir}/${name}`)] as const);
  sh('mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir);
  for (const [name, bytes] of kept) writeFileSync(`${dir}/${name}`, bytes);
  try {
    writeFileSync(`${dir}/filler`, Buffer.alloc(2 * 1024 * 1024));
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
  }
  return () => sh('umount', dir);
}

function readOnly(dir: string): () => void {
  rmSync(`${dir}/lock`, { force: true });
  sh('mount', '--bind', dir, dir);
  sh('mount', '-o', 'remount,ro,bind', dir);
  return () => sh('umount', dir);
}

/** The lock file is there (a run whose end could not remove it), so the lock is taken. */
function immutable(dir: string): () => void {
  writeFileSync(`${dir}/lock`, '');
  sh('chattr', '+i', dir);
  return () => sh('chattr', '-i', dir);
}

/** A PATH with every tool of /usr/bin but flock. */
function pathWithoutFlock(box: Sandbox): string {
  const bin = box.path('bin-without-flock');
  mkdirSync(bin);
  for (const name of readdirSync('/usr/bin'))
    if (name !== 'flock') symlinkSync(`/usr/bin/${name}`, `${bin}/${name}`);
  return bin;
}

const expectOthersRan = (s: Scenario, run: CliResult) => {
  expect(run.stderr).toMatch(/summary:\n(.*\n)*polyarchiv: +ok +collect:b/);
  expect(s.state('b')?.success_count).toBe(2);
};

describe.runIf(canRun).each(['apply', 'script'] as const)(
  'a fault outside the steps through %s',
  (backend) => {
    let s: Scenario | undefined;
    afterEach(() => {
      s?.box.remove();
      s = undefined;
    });

    it('fails the unit whose lock is on a read-only mount (EROFS), and only it', () => {
      s = scenario();
      const dir = s.stateDir;
      const run = runPlanned(backend, s, () => readOnly(dir));
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toContain(
        `polyarchiv:   collect:a: cannot open the lock file ${dir}/lock: Read-only file system`,
      );
      expect(run.stderr).toMatch(/polyarchiv: +failed +collect:a/);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expectOthersRan(s, run);
    });

    it('fails the unit whose state directory is immutable (EPERM)', () => {
      s = scenario();
      const dir = s.stateDir;
      const run = runPlanned(backend, s, () => immutable(dir));
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toContain(
        `polyarchiv:   collect:a: cannot record the state in ${dir}/a.json: Operation not permitted`,
      );
      expect(readdirSync(dir).sort()).toEqual(['a.json', 'lock']);
      expectOthersRan(s, run);
    });

    it('fails the unit whose state cannot be written on a full disk (ENOSPC), leaving no .partial', () => {
      s = scenario();
      const dir = s.stateDir;
      let left: string[] = [];
      const run = runPlanned(backend, s, () => {
        const undo = fullDisk(dir);
        return () => {
          left = readdirSync(dir);
          undo();
        };
      });
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toContain(
        `polyarchiv:   collect:a: cannot record the state in ${dir}/a.json: No space left on device`,
      );
      expect(left.sort()).toEqual(['a.json', 'filler']);
      expectOthersRan(s, run);
    });

    it('fails the unit whose state file became a directory (EISDIR), and records nothing in its place', () => {
      s = scenario();
      const file = `${s.stateDir}/a.json`;
      const run = runPlanned(backend, s, () => {
        rmSync(file);
        mkdirSync(file);
        return () => {};
      });
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toContain(
        `polyarchiv:   collect:a: cannot read the state file ${file}: Is a directory`,
      );
      expect(readdirSync(file)).toEqual([]);
      expectOthersRan(s, run);
    });

    it('fails the unit whose state file cannot be read (EACCES), and only it', () => {
      s = scenario();
      const file = `${s.stateDir}/a.json`;
      const saved = s.box.path(backend === 'apply' ? 'plan.json' : 'backup.sh');
      const made = runCli(['plan', ...s.args, ...(backend === 'apply' ? ['--format', 'json'] : [])]);
      expect(made.code, made.stderr).toBe(0);
      writeFileSync(saved, made.stdout);
      chmodSync(file, 0o000);
      // Root reads any file: the run goes without the capabilities that bypass file modes.
      const withoutOverride = [
        '--inh-caps=-dac_override,-dac_read_search',
        '--bounding-set=-dac_override,-dac_read_search',
      ];
      const program = backend === 'apply' ? [process.execPath, CLI, 'apply', saved] : ['bash', saved];
      const run = spawnSync('setpriv', [...withoutOverride, ...program], { encoding: 'utf8' });
      chmodSync(file, 0o600);
      expect(run.status, run.stderr).toBe(1);
      expect(run.stderr).toContain(
        `polyarchiv:   collect:a: cannot read the state file ${file}: Permission denied`,
      );
      expect(s.state('a')?.success_count).toBe(1);
      expect(run.stderr).toMatch(/summary:\n(.*\n)*polyarchiv: +ok +collect:b/);
      expect(s.state('b')?.success_count).toBe(2);
    });

    it('fails every unit, recording it, when flock is missing, instead of reporting a lock', () => {
      s = scenario();
      const path = pathWithoutFlock(s.box);
      const tmp = s.box.path('tmp');
      mkdirSync(tmp);
      const run = runPlanned(backend, s, () => () => {}, { PATH: path, TMPDIR: tmp });
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).not.toContain('locked by another run');
      // The run's work directory is locked first (a run that is gone is told by its free lock).
      const cause = `cannot create a private work directory in ${tmp}: flock: command not found`;
      for (const name of ['a', 'b'] as const) {
        expect(run.stderr).toContain(`polyarchiv:   collect:${name}: ${cause}`);
        expect(s.state(name)).toMatchObject({ fail_count: 1, last_message: cause });
      }
      expect(readdirSync(tmp)).toEqual([]);
    });

    it('fails every unit, recording it, when TMPDIR points nowhere', () => {
      s = scenario();
      const run = runPlanned(backend, s, () => () => {}, { TMPDIR: s.box.path('nowhere') });
      expect(run.code, run.stderr).toBe(1);
      for (const name of ['a', 'b'] as const) {
        expect(run.stderr).toMatch(
          new RegExp(
            `polyarchiv:   collect:${name}: cannot create a private work directory in ${s.box.path('nowhere')}`,
          ),
        );
        expect(s.state(name)?.fail_count).toBe(1);
      }
      expect(existsSync(s.box.path('nowhere'))).toBe(false);
    });
  },
);

describe.runIf(canRun)('a dry run', () => {
  it('needs no private work directory', () => {
    const s = scenario();
    try {
      const run = runCli(['backup', '--dry', ...s.args], { TMPDIR: s.box.path('nowhere') });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/dry +collect:a/);
    } finally {
      s.box.remove();
    }
  });
});
