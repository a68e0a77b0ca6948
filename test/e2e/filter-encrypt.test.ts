import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { daemonsLeft } from '../helpers/daemons-left.js';
import { ODD_FILES, writeTree } from '../helpers/odd-files.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { scanCommandLines } from '../helpers/secret-scan.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'gpg', 'gpgconf', 'find', 'touch');
const PASSPHRASE = 'Tr0ub4dor&3 correct horse';
const SECRET = 'POLYARCHIV_SECRET_SITE_SECRET_PASSWORD';

const collect = (passphrase: string) =>
  [
    '[point]',
    'engine = files',
    'local_path = {root}/collect/{name}',
    '',
    '[source "tree"]',
    'engine = local_files',
    'source_path = {root}/data',
    'destination_path = tree',
    '',
    '[filter "secret"]',
    'engine = encrypt',
    `password = ${passphrase}`,
    '',
  ].join('\n');

const MIRROR = '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n';

describe.runIf(canRun)('the encrypt filter, end to end', { timeout: 300_000 }, () => {
  let box: Sandbox;
  let args: string[];
  let env: Record<string, string>;
  beforeEach(() => {
    box = makeSandbox('polyarchiv-encrypt-');
    box.write({ 'config/site.collect': collect(PASSPHRASE), 'config/mirror.backup': MIRROR });
    writeTree(box.path('data'), ODD_FILES);
    mkdirSync(box.path('gnupg'), { mode: 0o700 });
    // The runs' work directories in the sandbox, where the agents of their gpg homes are found.
    mkdirSync(box.path('tmp'));
    env = { GNUPGHOME: box.path('gnupg'), TMPDIR: box.path('tmp') };
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
  });
  afterEach(() => {
    spawnSync('gpgconf', ['--kill', 'gpg-agent'], { env: { ...process.env, ...env } });
    box.remove();
  });

  /** The clear text of a file of the mirror, as gpg itself decrypts it. */
  function decrypt(path: string): string {
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
      { input: PASSPHRASE, env: { ...process.env, ...env }, encoding: 'latin1' },
    );
    expect(gpg.status, gpg.stderr).toBe(0);
    return gpg.stdout;
  }

  it('ships every file encrypted under its own name, re-encrypts only what changed, and restores byte for byte through the script', () => {
    const plan = runCli(['plan', ...args]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).not.toContain(PASSPHRASE);
    writeFileSync(box.path('backup.sh'), plan.stdout);
    const run = spawnSync('bash', [box.path('backup.sh')], {
      encoding: 'utf8',
      env: { ...process.env, ...env, [SECRET]: PASSPHRASE },
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(PASSPHRASE);
    const mirrored = box.path('mirror/site/tree');
    expect(readdirSync(mirrored).sort()).toEqual(readdirSync(box.path('data')).sort());
    expect(readFileSync(`${mirrored}/plain.txt`, 'latin1')).not.toContain('plain');
    expect(decrypt(`${mirrored}/plain.txt`)).toBe('plain\n');
    expect(decrypt(`${mirrored}/new\nline`)).toBe('newline\n');

    // Only the changed file is encrypted again (gpg would give every file new bytes).
    const before = fileContents(mirrored);
    writeFileSync(box.path('data/plain.txt'), 'changed\n');
    const again = runCli(['backup', ...args], env);
    expect(again.code, again.stderr).toBe(0);
    const after = fileContents(mirrored);
    const changed = Object.keys(after).filter((name) => after[name] !== before[name]);
    expect(changed).toEqual(['plain.txt']);

    const expected = fileContents(box.path('data'));
    rmSync(box.path('data'), { recursive: true });
    rmSync(box.path('collect/site/backups'), { recursive: true });
    rmSync(box.path('collect/site/metadata/filter-secret'), { recursive: true });
    const restore = runCli(['plan', '--restore', ...args]);
    writeFileSync(box.path('restore.sh'), restore.stdout);
    const restored = spawnSync('bash', [box.path('restore.sh'), '--yes'], {
      encoding: 'utf8',
      env: { ...process.env, ...env, [SECRET]: PASSPHRASE },
    });
    expect(restored.status, restored.stderr).toBe(0);
    expect(fileContents(box.path('data'))).toEqual(expected);
  });

  it.each(['apply', 'script'] as const)(
    'carries named pipes, sockets, devices and symbolic links through the encrypted tree and back, through %s',
    (how) => {
      const data = box.path('data');
      expect(spawnSync('mkfifo', [`${data}/pipe`]).status).toBe(0);
      const bound = spawnSync('python3', [
        '-c',
        'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])',
        `${data}/sock`,
      ]);
      expect(bound.status, bound.stderr?.toString()).toBe(0);
      const root = process.geteuid?.() === 0;
      if (root) expect(spawnSync('mknod', [`${data}/null`, 'c', '1', '3']).status).toBe(0);
      symlinkSync('plain.txt', `${data}/relative link`);
      symlinkSync('/nowhere/at all', `${data}/dangling`);
      const specials = () => {
        const kinds: Record<string, string> = {};
        for (const name of readdirSync(data)) {
          const stat = lstatSync(`${data}/${name}`);
          if (stat.isFIFO()) kinds[name] = 'fifo';
          else if (stat.isSocket()) kinds[name] = 'socket';
          else if (stat.isCharacterDevice()) kinds[name] = `char ${stat.rdev}`;
          else if (stat.isSymbolicLink()) kinds[name] = `-> ${readlinkSync(`${data}/${name}`)}`;
        }
        return kinds;
      };
      const expected = specials();
      expect(Object.keys(expected)).toHaveLength(root ? 5 : 4);
      const secretEnv = { ...env, [SECRET]: PASSPHRASE };
      const run = (command: 'backup' | 'restore') => {
        const yes = command === 'restore' ? ['--yes'] : [];
        if (how === 'apply') return runCli([command, ...yes, ...args], env);
        const plan = runCli(['plan', ...(command === 'restore' ? ['--restore'] : []), ...args]);
        expect(plan.code, plan.stderr).toBe(0);
        writeFileSync(box.path(`${command}.sh`), plan.stdout);
        const ran = spawnSync('bash', [box.path(`${command}.sh`), ...yes], {
          encoding: 'utf8',
          env: { ...process.env, ...secretEnv },
        });
        return { code: ran.status ?? -1, stdout: ran.stdout, stderr: ran.stderr };
      };
      const backup = run('backup');
      expect(backup.code, backup.stderr).toBe(0);
      expect(lstatSync(box.path('mirror/site/tree/pipe')).isFIFO()).toBe(true);
      expect(lstatSync(box.path('mirror/site/tree/sock')).isSocket()).toBe(true);
      // A second run leaves them as they are.
      const again = run('backup');
      expect(again.code, again.stderr).toBe(0);

      // A restore over the live directory deletes none of them...
      const restore = run('restore');
      expect(restore.code, restore.stderr).toBe(0);
      expect(specials()).toEqual(expected);
      // ...and brings them back from the encrypted copy alone.
      rmSync(data, { recursive: true });
      rmSync(box.path('collect/site/backups'), { recursive: true });
      rmSync(box.path('collect/site/metadata/filter-secret'), { recursive: true });
      const fromMirror = run('restore');
      expect(fromMirror.code, fromMirror.stderr).toBe(0);
      expect(specials()).toEqual(expected);
      expect(readFileSync(`${data}/relative link`, 'utf8')).toBe('plain\n');
    },
  );

  it.each(['apply', 'script'] as const)(
    'carries names that are not UTF-8 (files, directories, links and their targets) through the encrypted tree and back, through %s',
    (how) => {
      const data = Buffer.from(box.path('data'));
      const below = (name: string) => Buffer.concat([data, Buffer.from('/'), Buffer.from(name, 'latin1')]);
      mkdirSync(below('caf\xe9 dir'));
      writeFileSync(below('caf\xe9 dir/\xe9t\xe9.txt'), 'latin1 name\n');
      writeFileSync(below('\xff\xfe'), 'not utf-8 at all\n');
      symlinkSync(Buffer.from('caf\xe9 dir/\xe9t\xe9.txt', 'latin1'), below('link \xff'));
      const fifo = spawnSync('bash', [
        '-c',
        `mkfifo -- "$1/caf"$'\\xe9'" dir/pipe "$'\\xff'`,
        '-',
        box.path('data'),
      ]);
      expect(fifo.status, fifo.stderr?.toString()).toBe(0);
      const tree = () => listTree(box.path('data'));
      const expected = tree();
      expect(expected).toContain('\xe9t\xe9.txt');
      expect(expected).toContain('p 644 ./caf\xe9 dir/pipe \xff -> ');
      const run = (command: 'backup' | 'restore') => {
        const yes = command === 'restore' ? ['--yes'] : [];
        if (how === 'apply') return runCli([command, ...yes, ...args], env);
        const plan = runCli(['plan', ...(command === 'restore' ? ['--restore'] : []), ...args]);
        expect(plan.code, plan.stderr).toBe(0);
        writeFileSync(box.path(`${command}.sh`), plan.stdout);
        const ran = spawnSync('bash', [box.path(`${command}.sh`), ...yes], {
          encoding: 'utf8',
          env: { ...process.env, ...env, [SECRET]: PASSPHRASE },
        });
        return { code: ran.status ?? -1, stdout: ran.stdout, stderr: ran.stderr };
      };
      const backup = run('backup');
      expect(backup.code, backup.stdout + backup.stderr).toBe(0);
      const shipped = listTree(box.path('mirror/site/tree'));
      expect(shipped).toContain('./\xff\xfe -> ');
      expect(shipped).toContain('./link \xff -> caf\xe9 dir/\xe9t\xe9.txt');
      expect(shipped).not.toContain('\ufffd');
      const again = run('backup');
      expect(again.code, again.stdout + again.stderr).toBe(0);

      rmSync(box.path('data'), { recursive: true });
      rmSync(box.path('collect/site/backups'), { recursive: true });
      rmSync(box.path('collect/site/metadata/filter-secret'), { recursive: true });
      const restore = run('restore');
      expect(restore.code, restore.stdout + restore.stderr).toBe(0);
      expect(tree()).toEqual(expected);
    },
  );

  /** A backup or a restore through apply, or through the script `plan` writes. */
  function runVia(how: 'apply' | 'script', command: 'backup' | 'restore', runEnv = env) {
    const yes = command === 'restore' ? ['--yes'] : [];
    if (how === 'apply') return runCli([command, ...yes, ...args], runEnv);
    const plan = runCli(['plan', ...(command === 'restore' ? ['--restore'] : []), ...args]);
    expect(plan.code, plan.stderr).toBe(0);
    writeFileSync(box.path(`${command}.sh`), plan.stdout);
    const ran = spawnSync('bash', [box.path(`${command}.sh`), ...yes], {
      encoding: 'utf8',
      env: { ...process.env, ...runEnv, [SECRET]: PASSPHRASE },
    });
    return { code: ran.status ?? -1, stdout: ran.stdout, stderr: ran.stderr };
  }

  it.each([
    ['apply', 'pipe'],
    ['script', 'pipe'],
    // A name that is not UTF-8 reaches cp another way in apply (node's argv is UTF-8).
    ['apply', "pipe$'\\xff'"],
    ['script', "pipe$'\\xff'"],
  ] as const)(
    "fails with cp's own status and words when a named pipe cannot be copied, through %s (%s)",
    (how, name) => {
      const made = spawnSync('bash', ['-c', `mkfifo -- "$1"/${name}`, '-', box.path('data')]);
      expect(made.status, made.stderr?.toString()).toBe(0);
      // cp itself, which cannot copy the pipe into the encrypted tree (a full disk).
      const real = spawnSync('which', ['cp'], { encoding: 'utf8' }).stdout.trim();
      box.write({
        'bin/cp': `#!/bin/sh\ncase " $* " in *" --no-dereference "*) echo "cp: cannot create fifo: No space left on device" >&2; exit 1 ;; esac\nexec ${real} "$@"\n`,
      });
      chmodSync(box.path('bin/cp'), 0o755);
      const backup = runVia(how, 'backup', { ...env, PATH: `${box.path('bin')}:${process.env.PATH}` });
      expect(backup.code, backup.stdout + backup.stderr).toBe(1);
      const output = backup.stdout + backup.stderr;
      expect(output).toContain('cp: cannot create fifo: No space left on device');
      expect(output).toMatch(
        /failed with exit code 1: step \d+ of \d+ at site\.collect:10 \[filter "secret"\]/,
      );
    },
  );

  it.each(['apply', 'script'] as const)(
    'restores files that plain gpg --symmetric encrypted, one by one, through %s',
    (how) => {
      expect(runVia(how, 'backup').code).toBe(0);
      // The mirror's files replaced by gpg's own, as an earlier version or a user by hand made them.
      const mirrored = box.path('mirror/site/tree');
      const expected: Record<string, string> = {};
      box.write({ passphrase: PASSPHRASE });
      for (const name of ['plain.txt', 'new\nline']) {
        expected[name] = `${name} encrypted by hand\n`;
        writeFileSync(box.path('clear'), expected[name]);
        const gpg = spawnSync(
          'gpg',
          [
            '--batch',
            '--yes',
            '--no-symkey-cache',
            '--pinentry-mode',
            'loopback',
            '--passphrase-file',
            box.path('passphrase'),
            '--symmetric',
            '--output',
            `${mirrored}/${name}`,
            box.path('clear'),
          ],
          { env: { ...process.env, ...env } },
        );
        expect(gpg.status, gpg.stderr?.toString()).toBe(0);
      }
      rmSync(box.path('data'), { recursive: true });
      rmSync(box.path('collect/site/backups'), { recursive: true });
      rmSync(box.path('collect/site/metadata/filter-secret'), { recursive: true });
      const restore = runVia(how, 'restore');
      expect(restore.code, restore.stdout + restore.stderr).toBe(0);
      for (const [name, text] of Object.entries(expected))
        expect(readFileSync(box.path(`data/${name}`), 'utf8')).toBe(text);
    },
  );

  it("stops the gpg-agent its gpg started as the unit ends, and leaves the user's gpg home alone", () => {
    const plan = runCli(['plan', ...args]);
    expect(plan.code, plan.stderr).toBe(0);
    writeFileSync(box.path('backup.sh'), plan.stdout);
    const script = spawnSync('bash', [box.path('backup.sh')], {
      encoding: 'utf8',
      env: { ...process.env, ...env, [SECRET]: PASSPHRASE },
    });
    expect(script.status, script.stderr).toBe(0);
    expect(daemonsLeft(box.path('tmp'))).toEqual([]);
    box.write({ 'data/plain.txt': 'changed\n' });
    const apply = runCli(['backup', ...args], env);
    expect(apply.code, apply.stderr).toBe(0);
    expect(daemonsLeft(box.path('tmp'))).toEqual([]);
    expect(readdirSync(box.path('gnupg'))).toEqual([]);
    // Nor does any gpg home stay in the runs' work directories.
    expect(readdirSync(box.path('tmp'))).toEqual([]);
  });

  it('refuses a restore with a wrong passphrase, naming the filter and its line, and restores nothing', () => {
    expect(runCli(['backup', ...args], env).code).toBe(0);
    const collected = fileContents(box.path('collect/site/backups'));
    rmSync(box.path('data'), { recursive: true });
    box.write({ 'config/site.collect': collect('not the passphrase') });
    const restore = runCli(['restore', '--yes', ...args], env);
    expect(restore.code).toBe(1);
    const output = restore.stdout + restore.stderr;
    expect(output).toContain('gpg: decryption failed');
    expect(output).toMatch(
      /failed with exit code 2: step \d+ of \d+ at site\.collect:10 \[filter "secret"\]/,
    );
    expect(output).toContain('decrypt');
    expect(() => readdirSync(box.path('data'))).toThrow();
    expect(fileContents(box.path('collect/site/backups'))).toEqual(collected);
  });

  it('never shows the passphrase in any process argv, output, script or state while gpg runs', async () => {
    // Enough files that gpg runs for a while, watched from outside.
    writeTree(
      box.path('data'),
      Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`bulk/${i}.txt`, `file ${i}\n`])),
    );
    const child = spawn(process.execPath, [CLI, 'backup', ...args], { env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    const done = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    const scan = await scanCommandLines(
      (line) => line.includes('gpg\0'),
      ['correct horse', 'Tr0ub4dor'],
      done,
    );
    expect(await done, output).toBe(0);
    expect(scan.scanned).toBeGreaterThan(0);
    expect(scan.leaks).toEqual([]);
    expect(output).not.toContain(PASSPHRASE);
    const states = spawnSync('grep', ['-rl', 'Tr0ub4dor', box.path('collect'), box.path('mirror')], {
      encoding: 'utf8',
    });
    expect(states.stdout).toBe('');
    for (const format of ['text', 'json', 'bash']) {
      const plan = runCli(['plan', '--format', format, ...args]);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).not.toContain('Tr0ub4dor');
    }
  });
});

/** Every entry of a tree, byte for byte (names as latin1): kind, mode, name, link target, content's sha256. */
function listTree(root: string): string {
  const listed = spawnSync(
    'bash',
    [
      '-c',
      'cd -- "$1" && find . -printf "%y %m %p -> %l\\0" | sort -z && find . -type f -print0 | sort -z | xargs -0 sha256sum --',
      '-',
      root,
    ],
    { encoding: 'latin1' },
  );
  expect(listed.status, listed.stderr).toBe(0);
  return listed.stdout;
}
