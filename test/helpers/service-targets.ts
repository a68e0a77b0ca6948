import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import { runCli } from './cli.js';
import { sleep } from './run-control.js';
import type { Sandbox } from './sandbox.js';
import { maskTimestamps, snapshotTree } from './tree.js';

/**
 * A server the suite started for backup points reached through rclone (WebDAV, FTP, S3), as the
 * tests of every transport see it: the URL of a path, the lines a backup point adds, and the
 * server's storage read directly.
 */
export interface ServiceUnderTest {
  /** The URL of `path` below the directory the tests use (with `{name}` and dates left to polyarchiv). */
  url(path: string): string;
  /** Options after remote_url (credentials, endpoint). */
  readonly lines: readonly string[];
  /** The local directory where the server keeps `path`, for servers that store files as files. */
  stored(path?: string): string;
  /** The secret a run must never show (a password, a secret key). */
  readonly secret: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** The remote directory has a hostile name: spaces, quotes, $, unicode, a leading dash. */
export const REMOTE_DIR = `-it's a "$HOME" dir ünï`;

/** The partial uploads among the names of a directory. */
export const partials = (names: readonly string[]): string[] =>
  names.filter((name) => name.endsWith('.polyarchiv-partial'));

/** `backup` or `restore`, through apply or through the rendered script (secrets embedded). */
export function runAs(
  box: Sandbox,
  how: 'apply' | 'script',
  command: 'backup' | 'restore',
  args: readonly string[],
) {
  const yes = command === 'restore' ? ['--yes'] : [];
  if (how === 'apply') return runCli([command, ...yes, ...args]);
  const script = box.path(`${command}.sh`);
  writeScript(script, command, args);
  const result = spawnSync('bash', [script, ...yes], { encoding: 'utf8' });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** The script of a run, with its secrets embedded (`plan --include-secrets --out`). */
export function writeScript(script: string, command: 'backup' | 'restore', args: readonly string[]): void {
  const plan = runCli([
    'plan',
    ...(command === 'restore' ? ['--restore'] : []),
    '--include-secrets',
    '--out',
    script,
    ...args,
  ]);
  expect(plan.code, plan.stderr).toBe(0);
}

/** One collect point of the odd-name tree in the sandbox, and `offsite`, a backup point with `lines`. */
export function configureOffsite(box: Sandbox, lines: readonly string[]): string[] {
  box.write({
    'config/site.collect':
      '[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "tree"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = tree\n',
    'config/offsite.backup': ['[point]', ...lines, ''].join('\n'),
  });
  return ['-C', box.path('config'), '--set', `root=${box.root}`];
}

/** site.collect: one collect point `site` whose remote_files source `web` has `lines` (its URL...). */
export const remoteFilesSite = (lines: readonly string[]): string =>
  [
    '[point]',
    'engine = files',
    'local_path = {root}/collect/{name}',
    '',
    '[source "web"]',
    'engine = remote_files',
    ...lines,
    'destination_path = web',
    '',
  ].join('\n');

/**
 * State files with the sandbox's path and the times masked (twins record their own); the listings
 * of sent archives without their files' dates, as snapshotTree compares them (each twin wrote its
 * own tree).
 */
export function comparableStates(box: Sandbox): Record<string, string> {
  const tree = snapshotTree(box.path('collect'));
  for (const key of Object.keys(tree).filter((k) => k.endsWith('.json'))) {
    tree[key] = maskTimestamps(readFileSync(box.path('collect', key), 'utf8').replaceAll(box.root, '<root>'));
  }
  return tree;
}

/**
 * Three daily backups through `backup` (its arguments after `args`), pinned to 2026-03-01, 02
 * and 03 at 03:00+01:00, `data/day.txt` holding the day. `spaced`: each written in a second of its
 * own (servers keep whole seconds), and the time of a moment between the second and the third
 * returned.
 */
export async function backupThreeDays(
  box: Sandbox,
  backup: (args: readonly string[]) => { code: number; stderr: string },
  extra: readonly string[] = [],
  spaced = false,
): Promise<string> {
  let between = '';
  for (const day of ['01', '02', '03']) {
    writeFileSync(box.path('data/day.txt'), `${day}\n`);
    const ran = backup(['--now', `2026-03-${day}T03:00:00+01:00`, ...extra]);
    expect(ran.code, ran.stderr).toBe(0);
    if (!spaced) continue;
    await sleep(1100);
    if (day === '02') {
      between = new Date().toISOString();
      await sleep(1100);
    }
  }
  return between;
}
