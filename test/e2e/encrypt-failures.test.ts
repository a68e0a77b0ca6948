import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { daemonsLeft } from '../helpers/daemons-left.js';
import { startRun, waitFor } from '../helpers/run-control.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { TREE_SITE } from '../helpers/tree-site.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'gpg', 'gpgconf', 'find', 'touch', 'grep');
const PASSPHRASE = 'Tr0ub4dor&3 correct horse';
const SECRET = 'POLYARCHIV_SECRET_SITE_SECRET_PASSWORD';
/** In every file of the data: what must be found nowhere once a restore has failed. */
const CLEAR = 'clear text that was encrypted';

const DATA = Object.fromEntries(
  Array.from({ length: 12 }, (_, i) => [`data/file ${i}.txt`, `${CLEAR}, file ${i}\n`]),
);

const COLLECT = [
  TREE_SITE,
  '[filter "secret"]',
  'engine = encrypt',
  `password = ${PASSPHRASE}`,
  'gpg_executable = {root}/gpg',
  '',
].join('\n');

/**
 * gpg itself; from the third file it decrypts (or encrypts, with PAUSE_ON=--symmetric), it first
 * says so in `gpg.working`, then waits `PAUSE` seconds (0: none): a run can be interrupted while
 * gpg runs, with files already written. It fails on a file whose name holds `FAIL_ON`, if set.
 */
const GPG = `#!/bin/sh
if [ -n "\${FAIL_ON:-}" ]; then
  case " $* " in *"\${FAIL_ON}"*) echo "gpg: write error: No space left on device" >&2; exit 2 ;; esac
fi
case " $* " in
  *" \${PAUSE_ON:---decrypt} "*)
    n=$(($(cat "$0.count" 2> /dev/null || echo 0) + 1))
    echo "$n" > "$0.count"
    if [ "$n" -ge 3 ] && [ "$PAUSE" != 0 ]; then : > "$0.working"; sleep "$PAUSE"; fi ;;
esac
exec gpg "$@"
`;

describe.runIf(canRun).each(['apply', 'script'] as const)(
  'a run through the encrypt filter that fails, through %s',
  (backend) => {
    let box: Sandbox;
    let args: string[];
    let env: Record<string, string>;
    beforeEach(() => {
      box = makeSandbox('polyarchiv-encrypt-failed-');
      box.write({
        'config/site.collect': COLLECT,
        'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
        gpg: GPG,
        ...DATA,
      });
      chmodSync(box.path('gpg'), 0o755);
      mkdirSync(box.path('gnupg'), { mode: 0o700 });
      // The runs' work directories in the sandbox, where the agents of their gpg homes are found.
      mkdirSync(box.path('tmp'));
      env = { GNUPGHOME: box.path('gnupg'), PAUSE: '0', TMPDIR: box.path('tmp') };
      args = ['-C', box.path('config'), '--set', `root=${box.root}`];
      const backup = runCli(['backup', ...args], env);
      expect(backup.code, backup.stderr).toBe(0);
      // A rebuilt machine: the data and the collect point's copies are gone.
      rmSync(box.path('data'), { recursive: true });
      rmSync(box.path('collect/site/backups'), { recursive: true });
      rmSync(box.path('collect/site/metadata/filter-secret'), { recursive: true });
    });
    afterEach(() => {
      spawnSync('gpgconf', ['--kill', 'gpg-agent'], { env: { ...process.env, ...env } });
      box.remove();
    });

    /** The restore's command: apply, or bash running the script that `plan --restore` wrote. */
    function restoreCommand(): [string, string[], Record<string, string>] {
      if (backend === 'apply') return [process.execPath, [CLI, 'restore', '--yes', ...args], env];
      const script = planned('restore.sh', ['plan', '--restore', ...args]);
      return ['bash', [script, '--yes'], { ...env, [SECRET]: PASSPHRASE }];
    }

    /** The script that `polyarchiv PLAN_ARGS` writes, saved as `name`. */
    function planned(name: string, planArgs: string[]): string {
      const plan = runCli(planArgs);
      expect(plan.code, plan.stderr).toBe(0);
      writeFileSync(box.path(name), plan.stdout);
      return box.path(name);
    }

    /** The files below `collect` that hold clear text of the data. */
    const clearTextLeft = (): string =>
      spawnSync('grep', ['-rl', '--', CLEAR, box.path('collect')], { encoding: 'utf8' }).stdout;

    it('leaves no decrypted file behind when one encrypted file is damaged', () => {
      // The copy fetched back and decrypted: one of its files is no longer what gpg wrote.
      writeFileSync(box.path('mirror/site/tree/file 7.txt'), 'damaged on the way\n');
      const [command, argv, runEnv] = restoreCommand();
      const run = spawnSync(command, argv, { encoding: 'utf8', env: { ...process.env, ...runEnv } });
      expect(run.status, run.stdout + run.stderr).toBe(1);
      expect(run.stderr).toMatch(/gpg: .*(no valid OpenPGP data found|decrypt)/);
      expect(run.stdout + run.stderr).not.toContain(PASSPHRASE);
      // gpg decrypted every other file before or after the damaged one: none of them stays.
      expect(Number(spawnSync('cat', [box.path('gpg.count')], { encoding: 'utf8' }).stdout)).toBeGreaterThan(
        1,
      );
      expect(clearTextLeft()).toBe('');
      expect(existsSync(box.path('collect/site/metadata/work/filters/collect/secret/decrypted'))).toBe(false);
      expect(existsSync(box.path('data'))).toBe(false);
      // The gpg-agent that gpg started is stopped with the failed unit.
      expect(daemonsLeft(box.path('tmp'))).toEqual([]);
    });

    it('keeps the previous encrypted copy of a file gpg fails to encrypt again, with its words and status', () => {
      box.write(DATA);
      const first = runCli(['backup', ...args], env);
      expect(first.code, first.stderr).toBe(0);
      const encrypted = box.path('collect/site/metadata/filter-secret/tree/file 5.txt');
      const before = readFileSync(encrypted);
      // Every file changed: gpg runs on each, and fails on one among the others.
      box.write(Object.fromEntries(Object.keys(DATA).map((name) => [name, `changed ${name}\n`])));
      const failEnv = { ...env, FAIL_ON: 'file 5.txt' };
      const run =
        backend === 'apply'
          ? runCli(['backup', ...args], failEnv)
          : (() => {
              const ran = spawnSync('bash', [planned('backup.sh', ['plan', ...args])], {
                encoding: 'utf8',
                env: { ...process.env, ...failEnv, [SECRET]: PASSPHRASE },
              });
              return { code: ran.status ?? -1, stdout: ran.stdout, stderr: ran.stderr };
            })();
      const output = run.stdout + run.stderr;
      expect(run.code, output).toBe(1);
      expect(output).toContain('gpg: write error: No space left on device');
      expect(output).toMatch(/gpg failed on .*\/file 5\.txt/);
      expect(output).toMatch(
        /failed with exit code 2: step \d+ of \d+ at site\.collect:\d+ \[filter "secret"\]/,
      );
      expect(readFileSync(encrypted)).toEqual(before);
      expect(existsSync(box.path('collect/site/metadata/filter-secret/.~polyarchiv~'))).toBe(false);
    });

    it('leaves no decrypted file behind when SIGTERM interrupts gpg', async () => {
      const [command, argv, runEnv] = restoreCommand();
      const run = startRun(command, argv, { ...runEnv, PAUSE: '30' });
      await waitFor(() => existsSync(box.path('gpg.working')), 'gpg to decrypt its third file');
      // Clear text is there while gpg runs.
      expect(clearTextLeft()).not.toBe('');
      run.child.kill('SIGTERM');
      const exit = await run.exited;
      expect(exit.code, exit.stderr).not.toBe(0);
      expect(exit.stderr).toContain('interrupted');
      expect(clearTextLeft()).toBe('');
      expect(existsSync(box.path('collect/site/metadata/work/filters/collect/secret/decrypted'))).toBe(false);
      expect(daemonsLeft(box.path('tmp'))).toEqual([]);
    });

    it('leaves no partly encrypted file nor listing behind when SIGTERM interrupts a backup', async () => {
      box.write(DATA);
      rmSync(box.path('gpg.count'), { force: true });
      const command: [string, string[], Record<string, string>] =
        backend === 'apply'
          ? [process.execPath, [CLI, 'backup', ...args], env]
          : ['bash', [planned('backup.sh', ['plan', ...args])], { ...env, [SECRET]: PASSPHRASE }];
      // Every file is encrypted anew: the collect point's encrypted copy was removed.
      const run = startRun(command[0], command[1], { ...command[2], PAUSE: '30', PAUSE_ON: '--symmetric' });
      await waitFor(() => existsSync(box.path('gpg.working')), 'gpg to encrypt its third file');
      const holding = box.path('collect/site/metadata/filter-secret/.~polyarchiv~');
      expect(existsSync(holding)).toBe(true);
      run.child.kill('SIGTERM');
      const exit = await run.exited;
      expect(exit.code, exit.stderr).not.toBe(0);
      expect(exit.stderr).toContain('interrupted');
      expect(existsSync(holding)).toBe(false);
      expect(daemonsLeft(box.path('tmp'))).toEqual([]);
    });
  },
);
