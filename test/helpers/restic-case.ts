import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { expect, onTestFinished } from 'vitest';
import { type CliResult, runAsync, runCliAsync } from './cli.js';
import type { Sandbox } from './sandbox.js';

/**
 * A restic backup point "vault" of a collect point "site" in a sandbox, run at pinned times
 * through apply or the script, with the password watched for in every process's command line.
 */
export const PASSWORD = 'restic pass: $HOME `id` "quoted"';
export const SECRET = 'POLYARCHIV_SECRET_VAULT_SITE_PASSWORD';
export const STATE = 'collect/site/metadata/remote-vault/remote/vault.json';

/** An odd tree: spaces, quotes, a newline, a leading dash, glob characters, an empty file. */
export const TREE: Record<string, string> = {
  'data/index.html': '<p>site</p>\n',
  'data/with space/it\'s "quoted".txt': 'quoted\n',
  'data/-dash/[glob]*?.txt': 'glob\n',
  'data/new\nline.txt': 'newline\n',
  'data/empty': '',
};

export function configure(box: Sandbox, repository = '{root}/repo', extra = ''): void {
  box.write({
    'config/site.collect':
      '[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "www"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = www\n',
    'config/vault.backup': `[point]\nengine = restic\nremote_url = ${repository}\npassword = ${PASSWORD}\nhourly_count = 0\ndaily_count = 3\nweekly_count = 2\nmonthly_count = 0\nyearly_count = 0\n${extra}`,
    ...TREE,
  });
}

/**
 * Every process command line that shows one of `needles`, and the environments of the restic
 * processes of the run in `root` (another file's restic may run beside it): those that name it or
 * run in it.
 */
export function watchProcesses(
  needles: readonly string[],
  root: string,
): {
  stop: () => { leaks: string[]; resticEnvs: string[] };
} {
  const leaks = new Set<string>();
  const resticEnvs: string[] = [];
  const timer = setInterval(() => {
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (needles.some((needle) => line.includes(needle))) leaks.add(line.replaceAll('\0', ' '));
        const ours = () => line.includes(root) || readlinkSync(`/proc/${pid}/cwd`).startsWith(`${root}/`);
        if (line.startsWith('restic\0') && ours())
          resticEnvs.push(readFileSync(`/proc/${pid}/environ`, 'utf8'));
      } catch {
        // The process ended between the listing and the read.
      }
    }
  }, 10);
  // A test that fails before it stops watching must not leave the watch to judge the next one.
  onTestFinished(() => clearInterval(timer));
  return {
    stop: () => {
      clearInterval(timer);
      return { leaks: [...leaks], resticEnvs: resticEnvs.filter((env) => env !== '') };
    },
  };
}

/**
 * Secrets beside the repository's password, by variable (a REST server's password, as its URL
 * writes it): the script finds them in its environment, and they are watched for as the password is.
 */
export type OtherSecrets = Readonly<Record<string, string>>;

/** Each secret as written, and %-decoded. */
export const secretForms = (secrets: OtherSecrets): string[] =>
  Object.values(secrets).flatMap((value) => [value, decodeURIComponent(value)]);

/** One run at a pinned time, through apply or through the script `plan` renders. */
export async function run(
  box: Sandbox,
  how: 'apply' | 'script',
  command: 'backup' | 'restore',
  now: string,
  extra: string[] = [],
  secrets: OtherSecrets = {},
): Promise<CliResult> {
  const args = ['-C', box.path('config'), '--set', `root=${box.root}`, '--now', now, ...extra];
  const yes = command === 'restore' ? ['--yes'] : [];
  if (how === 'apply') return runCliAsync([command, ...yes, ...args]);
  const plan = await runCliAsync(['plan', ...(command === 'restore' ? ['--restore'] : []), ...args]);
  if (plan.code !== 0) return plan;
  writeFileSync(box.path('run.sh'), plan.stdout);
  return runAsync('bash', [box.path('run.sh'), ...yes], { [SECRET]: PASSWORD, ...secrets });
}

export function restic(repository: string, args: readonly string[], password = PASSWORD) {
  return spawnSync('restic', ['--repo', repository, '--no-cache', ...args], {
    encoding: 'utf8',
    env: { ...process.env, RESTIC_PASSWORD: password },
  });
}

/**
 * A backup run that must succeed without the password in any process's command line, restic
 * running with its environment added to the inherited one (PATH and HOME kept).
 */
export async function watchedBackup(
  box: Sandbox,
  how: 'apply' | 'script',
  now: string,
  secrets: OtherSecrets = {},
): Promise<CliResult> {
  const watch = watchProcesses([PASSWORD, ...secretForms(secrets)], box.root);
  const result = await run(box, how, 'backup', now, [], secrets);
  const { leaks, resticEnvs } = watch.stop();
  expect(result.code, result.stderr).toBe(0);
  expect(leaks).toEqual([]);
  expect(resticEnvs.length).toBeGreaterThan(0);
  for (const env of resticEnvs) {
    expect(env).toMatch(/(^|\0)PATH=/);
    expect(env).toMatch(/(^|\0)HOME=/);
  }
  return result;
}

/**
 * Overwrites a snapshot file of `repository` (the directory `dir` that holds it; `snapshot`'s,
 * by its id, else the first file) with garbage, which restic 0.14 lists as no snapshot at all with
 * status 0, and removes it from restic's cache, which still holds it whole: as on a machine that
 * never read the repository. Its name.
 */
export function damageSnapshot(repository: string, dir: string, snapshot?: string): string {
  const file = snapshot ?? readdirSync(join(dir, 'snapshots'))[0] ?? '';
  writeFileSync(join(dir, 'snapshots', file), 'garbage, not an encrypted snapshot\n');
  const { id } = JSON.parse(restic(repository, ['cat', 'config']).stdout) as { id: string };
  const cache = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  rmSync(join(cache, 'restic', id, 'snapshots', file.slice(0, 2), file), { force: true });
  return file;
}
