import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { serverPerSuite } from '../helpers/server-per-suite.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';
import { haveSshd, startSshd } from '../servers/sshd.js';

/** A full disk is a small tmpfs, which needs root: CI runs as root, so there it must run. */
const isRoot = process.getuid?.() === 0;
if (!isRoot && process.env.CI === 'true') throw new Error('CI=true: the disk-full tests need root');
const canRun =
  isRoot && haveSshd() && haveTools('rsync', 'flock', 'bash', 'sha256sum', 'tar', 'gzip', 'mount', 'umount');

const SITE =
  '[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "tree"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = tree\n';

function sh(...argv: string[]): void {
  const run = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${argv.join(' ')}: ${run.stderr}`);
}

/**
 * The tmpfs goes once the processes that used it are gone: an ssh session's processes on the
 * server side may outlive the client by a moment. After a few tries it is detached lazily.
 */
function unmount(target: string): void {
  for (let tries = 0; tries < 20; tries++) {
    if (spawnSync('umount', [target]).status === 0) return;
    spawnSync('sleep', ['0.5']);
  }
  sh('umount', '--lazy', target);
}

/** `backup` through apply or through the rendered script. */
function backup(box: Sandbox, how: 'apply' | 'script', args: readonly string[]) {
  if (how === 'apply') return runCli(['backup', ...args]);
  const plan = runCli(['plan', ...args]);
  expect(plan.code, plan.stderr).toBe(0);
  writeFileSync(box.path('backup.sh'), plan.stdout);
  const run = spawnSync('bash', [box.path('backup.sh')], { encoding: 'utf8' });
  return { code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
}

/** Fills the tmpfs at `dir` with a file that takes all the room left. */
function fill(dir: string): void {
  try {
    writeFileSync(`${dir}/filler`, Buffer.alloc(4 * 1024 * 1024));
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
  }
}

/** Every regular file under `dir` but the filler, with its bytes. */
const heldBy = (dir: string): Record<string, string> =>
  Object.fromEntries(Object.entries(fileContents(dir)).filter(([name]) => name !== 'filler'));

interface Case {
  readonly name: string;
  /** The backup point's lines; `{target}` is the tmpfs. */
  readonly lines: (target: string) => readonly string[];
  /** The config line the failure names. */
  readonly line: RegExp;
  readonly unit: string;
  /** How the failure says why. */
  readonly cause: RegExp;
}

const NO_SPACE = /No space left on device/;

describe.runIf(canRun)('a full disk on the target', () => {
  const sshd = serverPerSuite(startSshd);

  const cases: readonly Case[] = [
    {
      name: 'a local archive',
      lines: () => ['engine = archive', 'remote_url = {root}/target/{name}.tar.gz'],
      line: /offsite\.backup:3 \[point\]/,
      unit: 'backup:offsite/site',
      cause: NO_SPACE,
    },
    {
      name: 'an archive sent over ssh',
      lines: () => [
        'engine = archive',
        `remote_url = ssh://root@127.0.0.1:${sshd().port}{root}/target/{name}.tar.gz`,
        `private_key = ${sshd().clientKey}`,
        `ssh_options = ${sshd().sshOptions}`,
      ],
      line: /offsite\.backup:3 \[point\]/,
      unit: 'backup:offsite/site',
      // rsync's message comes from the receiving side and is sometimes lost when apply keeps
      // a unit's output (--jobs 2 and more); its exit status, rsync's file I/O error, is not.
      cause: /No space left on device|failed with exit code 11:/,
    },
    {
      name: 'a local mirror',
      lines: () => ['engine = synchronize', 'remote_url = {root}/target/{name}'],
      line: /offsite\.backup:3 \[point\]/,
      unit: 'backup:offsite/site',
      cause: NO_SPACE,
    },
    {
      name: 'a mirrored state file (metadata_url)',
      lines: () => [
        'engine = synchronize',
        'remote_url = {root}/store/{name}',
        'metadata_url = {root}/target/',
      ],
      line: /offsite\.backup:4 \[point\]/,
      unit: 'metadata:offsite/site',
      cause: NO_SPACE,
    },
  ];

  for (const how of ['apply', 'script'] as const)
    for (const c of cases)
      it(`fails ${c.name}, naming the point and its line, and keeps the previous copy whole (${how})`, () => {
        const box = makeSandbox('polyarchiv-disk-full-');
        const target = box.path('target');
        mkdirSync(target);
        sh('mount', '-t', 'tmpfs', '-o', 'size=2m', 'polyarchiv-test', target);
        try {
          // Random bytes: gzip cannot make them smaller than the room left.
          box.write({
            'config/site.collect': SITE,
            'config/offsite.backup': ['[point]', ...c.lines(target), ''].join('\n'),
            'data/a.bin': randomBytes(200_000).toString('base64'),
            'data/b.txt': 'b\n',
          });
          const args = ['-C', box.path('config'), '--set', `root=${box.root}`];
          const first = backup(box, how, args);
          expect(first.code, first.stderr).toBe(0);
          const good = heldBy(target);
          expect(Object.keys(good).length).toBeGreaterThan(0);

          writeFileSync(box.path('data/a.bin'), randomBytes(200_000).toString('base64'));
          fill(target);
          const full = backup(box, how, args);
          expect(full.code).toBe(1);
          expect(full.stderr, full.stderr).toMatch(c.cause);
          expect(full.stderr).toContain(c.unit);
          expect(full.stderr).toMatch(c.line);
          // What the target held is there, byte for byte; at most a partial beside it.
          const after = heldBy(target);
          for (const [name, bytes] of Object.entries(good)) expect(after[name], name).toBe(bytes);
          const extra = Object.keys(after).filter((name) => !(name in good));
          for (const name of extra) expect(name).toMatch(/\.polyarchiv-partial$|\.~polyarchiv~\//);
          if (c.unit.startsWith('metadata:')) {
            // The backup point's own run succeeded and recorded it: only its mirror is behind.
            const state = JSON.parse(
              readFileSync(box.path('collect/site/metadata/remote-offsite/remote/offsite.json'), 'utf8'),
            );
            expect(state.success_count).toBe(2);
          }
        } finally {
          unmount(target);
          box.remove();
        }
      }, 120_000);
});
