import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import { checkCopy } from '../../src/backends/execute/check-copy.js';
import { copyStats, reservedEntriesHidden } from '../../src/backends/execute/copy-stats.js';
import { archiveListing, keptListing } from '../../src/graph/archive-commands.js';
import type { CopyCheckCommand, CopyFigures } from '../../src/graph/command.js';
import { copyCheck } from '../../src/graph/rsync-commands.js';
import { partialFile, useWorkDir } from '../helpers/partials.js';
import { sandboxesPerTest } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const partial = (name: string) => partialFile(`${name}.hbs`);
const canRun = haveTools('bash', 'rsync', 'rclone');

const newSandbox = sandboxesPerTest();

function command(root: string, percent: number, allowShrink: boolean): CopyCheckCommand {
  const measure = (dir: string) => [
    'rsync',
    '-a',
    '-n',
    '--stats',
    '--no-h',
    '--',
    `${root}/${dir}/`,
    { prefix: '', workFile: 'measure' },
  ];
  return {
    kind: 'check-copy',
    incoming: measure('incoming'),
    previous: measure('previous'),
    maxShrinkPercent: percent,
    allowShrink,
    what: 'the copy of source "it\'s"',
  };
}

/** The helper, run as the script runs it: its exit status and what it said. */
function viaScript(check: CopyCheckCommand): { code: number; said: string[] } {
  const work = mkdtempSync(join(tmpdir(), 'polyarchiv-twin-work-'));
  const run = spawnSync(
    'bash',
    [
      '-c',
      `set -Eeuo pipefail; source "$1"; source "$2"; source "$3"; ${useWorkDir('$4')}; ${commandLine(check)}`,
      'bash',
      partial('helpers'),
      partial('helpers-copy-stats'),
      partial('helpers-check-copy'),
      work,
    ],
    { encoding: 'utf8' },
  );
  rmSync(work, { recursive: true, force: true });
  const said = run.stderr.split('\n').filter((l) => l.startsWith('polyarchiv: '));
  return { code: run.status ?? -1, said: said.map((l) => l.slice('polyarchiv: '.length)) };
}

async function viaExecutor(check: CopyCheckCommand): Promise<{ code: number; said: string[] }> {
  const said: string[] = [];
  const workDir = mkdtempSync(join(tmpdir(), 'polyarchiv-twin-work-'));
  const code = await checkCopy(check, { workDir, secrets: new Map(), processes: new Set() }, (line) =>
    said.push(line),
  );
  rmSync(workDir, { recursive: true, force: true });
  return { code, said };
}

const files = (dir: string, count: number, size = 10) =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`${dir}/d/f${i}`, 'x'.repeat(size)]));

describe.runIf(canRun)('polyarchiv_check_copy and checkCopy agree', () => {
  const cases: [string, Record<string, string>, number, boolean, number][] = [
    ['a copy that grows', { ...files('previous', 3), ...files('incoming', 4) }, 50, false, 0],
    ['a first copy (no previous one)', files('incoming', 2), 50, false, 0],
    ['an empty first copy', { 'incoming/.keep/': '' }, 50, false, 0],
    ['a copy that would become empty', { ...files('previous', 3), 'incoming/d/': '' }, 50, false, 1],
    ['the same, allowed', { ...files('previous', 3), 'incoming/d/': '' }, 50, true, 0],
    [
      'a copy that lost 60% of its files',
      { ...files('previous', 10), ...files('incoming', 4) },
      50,
      false,
      1,
    ],
    ['the same under a 70% threshold', { ...files('previous', 10), ...files('incoming', 4) }, 70, false, 0],
    [
      'a copy that lost 90% of its bytes',
      { ...files('previous', 2, 1000), ...files('incoming', 2, 100) },
      50,
      false,
      1,
    ],
  ];
  it.each(cases)('on %s', async (_, layout, percent, allow, expected) => {
    const box = newSandbox('polyarchiv-twin-');
    box.write(Object.fromEntries(Object.entries(layout).filter(([k]) => !k.endsWith('/'))));
    for (const dir of Object.keys(layout).filter((k) => k.endsWith('/')))
      spawnSync('mkdir', ['-p', box.path(dir)]);
    const check = command(box.root, percent, allow);
    const script = viaScript(check);
    const executor = await viaExecutor(check);
    expect(executor).toEqual(script);
    expect(script.code).toBe(expected);
  });

  it('refuses, whatever --allow-shrink, a restore into live data that holds a file of the reserved name', async () => {
    const box = newSandbox('polyarchiv-twin-');
    box.write({
      ...files('incoming', 2),
      ...files('live', 2),
      'live/d/.~polyarchiv~': 'a file of that name',
      'live/kept/.~polyarchiv~/inside': 'a directory of that name is kept',
    });
    // The restore's own check, from the argv builder: it asks the live side what it hides.
    const [built] = copyCheck(
      {
        from: box.path('incoming'),
        to: box.path('live'),
        deleteExtraneous: true,
        hardLinks: false,
        filters: [],
        inPlace: true,
        liveTarget: true,
        guard: { maxShrinkPercent: 50, what: 'live (source "it\'s")' },
      },
      {},
      { allowShrink: true },
    );
    const check = built as CopyCheckCommand;
    const script = viaScript(check);
    expect(await viaExecutor(check)).toEqual(script);
    expect(script).toEqual({
      code: 1,
      said: [
        `  live (source "it's") holds file d/.~polyarchiv~, which the restore would replace with a directory of that name, where copies hold their updates: nothing was changed; rename it, then restore again`,
      ],
    });
    rmSync(box.path('live/d/.~polyarchiv~'));
    expect(viaScript(check)).toEqual({ code: 0, said: [] });
    expect(await viaExecutor(check)).toEqual({ code: 0, said: [] });
  });

  it.each([
    ['would become empty', 0, false, 1],
    ['lost 60% of its files', 4, false, 1],
    ['grew', 12, false, 0],
    ['became empty, allowed', 0, true, 0],
  ] as const)(
    'judges a collect point that %s against the listing of its previous archive',
    async (_, count, allow, expected) => {
      const box = newSandbox('polyarchiv-twin-');
      box.write({ ...files('previous', 10), ...files('incoming', count) });
      spawnSync('mkdir', ['-p', box.path('incoming/d')]);
      spawnSync('ln', [box.path('previous/d/f0'), box.path('previous/d/link')]);
      const archive = box.path('previous.tar.gz');
      expect(spawnSync('tar', ['-czf', archive, '-C', box.path('previous'), '.']).status).toBe(0);
      const check = { ...command(box.root, 50, allow), previous: archiveListing(archive, 'gzip', {}) };
      const script = viaScript(check);
      expect(await viaExecutor(check)).toEqual(script);
      expect(script.code).toBe(expected);
      // The hard link counts as a file, not twice its bytes.
      if (expected === 1) expect(script.said[0]).toMatch(/files: 11 now, \d+ incoming; bytes: 100 now,/);
    },
  );

  it.each([
    ['the kept listing when it is there', true, 'files: 3 now, 1 incoming; bytes: 30 now, 10 incoming'],
    [
      'the archive itself when the kept listing is missing',
      false,
      'files: 10 now, 1 incoming; bytes: 100 now, 10 incoming',
    ],
  ] as const)('judges a collect point against %s', async (_, kept, now) => {
    const box = newSandbox('polyarchiv-twin-');
    box.write({ ...files('previous', 10), ...files('incoming', 1) });
    const archive = box.path('previous.tar.gz');
    expect(spawnSync('tar', ['-czf', archive, '-C', box.path('previous'), '.']).status).toBe(0);
    const listing = box.path('archive.listing');
    if (kept) {
      // The listing of an archive of 3 of the files, as tar writes it while packing.
      const three = box.path('three');
      spawnSync('mkdir', ['-p', `${three}/d`]);
      for (let i = 0; i < 3; i++) spawnSync('cp', [box.path(`previous/d/f${i}`), `${three}/d/`]);
      const packed = spawnSync('tar', [
        '-c',
        '-f',
        '/dev/null',
        '-v',
        '-v',
        `--index-file=${listing}`,
        '-C',
        three,
        '.',
      ]);
      expect(packed.status).toBe(0);
    }
    const check = {
      ...command(box.root, 50, false),
      previous: keptListing(listing),
      otherwise: archiveListing(archive, 'gzip', {}),
    };
    const script = viaScript(check);
    expect(await viaExecutor(check)).toEqual(script);
    expect(script.code).toBe(1);
    expect(script.said[0]).toContain(now);
  });

  it("measures in its environment, reads a mirror's rclone size --json, and judges by nothing a measure that fails", async () => {
    const box = newSandbox('polyarchiv-twin-');
    box.write({ ...files('previous', 10, 10), ...files('incoming', 4, 10) });
    // Each measure finds its directory through the check's environment only, as rclone finds a
    // mirror's server through the transport's settings.
    const check = (server: string): CopyCheckCommand => ({
      kind: 'check-copy',
      incoming: [
        'sh',
        '-c',
        'exec rsync -a -n --stats --no-h -- "$MEASURED/incoming/" "$0"',
        { prefix: '', workFile: 'measure' },
      ],
      previous: ['sh', '-c', 'exec rclone size --json -- "$MEASURED/$0"', server],
      maxShrinkPercent: 50,
      allowShrink: false,
      what: 'the mirror of "it\'s"',
      env: { MEASURED: { literal: box.root }, RCLONE_CONFIG: { literal: '/dev/null' } },
    });
    const refused = viaScript(check('previous'));
    expect(await viaExecutor(check('previous'))).toEqual(refused);
    expect(refused.code).toBe(1);
    expect(refused.said[0]).toContain('files: 10 now, 4 incoming; bytes: 100 now, 40 incoming');
    // A server directory not made yet (a first upload): rclone fails, and nothing is there to lose.
    const first = viaScript(check('missing'));
    expect(await viaExecutor(check('missing'))).toEqual(first);
    expect(first).toEqual({ code: 0, said: [] });
  });

  it('fails, like the script, when the incoming side cannot be measured', async () => {
    const box = newSandbox('polyarchiv-twin-');
    const check = command(box.root, 50, true);
    const script = viaScript(check);
    expect(await viaExecutor(check)).toEqual(script);
    expect(script).toEqual({
      code: 1,
      said: [`  cannot measure what the copy of source "it's" would receive:`],
    });
  });
});

/** What `tar -cvv --index-file` writes (two spaces after the mode) and `tar -tv` lists. */
const TAR_LISTING =
  '-rw-r--r--  root/root 12 2026-01-01 00:00 ./a\nhrw-r--r-- root/root 0 2026-01-01 00:00 ./b link to ./a\ndrwxr-xr-x root/root 0 2026-01-01 00:00 ./d/\n-rw-r--r-- root/root 30 2026-01-01 00:00 ./d/two words\n';

/** A listing as the guard reads it once kept: through the awk program of keptListing. */
function keptSum(listing: string): string {
  const box = newSandbox('polyarchiv-twin-');
  box.write({ 'archive.listing': listing });
  const [awk, ...args] = keptListing(box.path('archive.listing'));
  const run = spawnSync(awk as string, args, { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout;
}

describe.runIf(canRun)('polyarchiv_copy_stats and copyStats agree', () => {
  /** The bash helper's figures for one output, as FILES BYTES ENTRIES. */
  function viaScript(output: string): CopyFigures & { entries: number } {
    const shown = spawnSync(
      'bash',
      [
        '-c',
        'set -Eeuo pipefail; source "$1"; polyarchiv_copy_stats "$2"; echo "${polyarchiv_stats[@]}"',
        'bash',
        partial('helpers-copy-stats'),
        output,
      ],
      { encoding: 'utf8' },
    );
    expect(shown.status, shown.stderr).toBe(0);
    const [files, bytes, entries] = shown.stdout.trim().split(' ').map(Number);
    return { files: files as number, bytes: bytes as number, entries: entries as number };
  }

  const rsyncRun = (tree: Record<string, string>, dirs: string[] = [], words: string[] = []): string => {
    const box = newSandbox('polyarchiv-twin-');
    box.write(tree);
    for (const dir of dirs) spawnSync('mkdir', ['-p', box.path(dir)]);
    spawnSync('ln', ['-s', 'd/f0', box.path('tree/link')]);
    const run = spawnSync(
      'rsync',
      ['-a', '-n', '--stats', '--no-h', ...words, '--', `${box.path('tree')}/`, box.path('none')],
      {
        encoding: 'utf8',
      },
    );
    expect(run.status, run.stderr).toBe(0);
    return run.stdout;
  };

  /** What `rclone size --json` says of a tree (the figures of a mirror on a WebDAV, FTP or S3 server). */
  const rcloneSize = (tree: Record<string, string>): string => {
    const box = newSandbox('polyarchiv-twin-');
    box.write(tree);
    const run = spawnSync('rclone', ['size', '--json', '--config', '/dev/null', '--', box.path('tree')], {
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    return run.stdout;
  };

  it.each([
    ['a tree with files, a directory and a symbolic link', () => rsyncRun(files('tree', 3, 7)), 3],
    [
      "an rsync run that quotes excluded files' names looking like figures (--debug=FILTER1)",
      () =>
        rsyncRun(
          {
            ...files('tree', 3, 7),
            'tree/Number of files: 99 (reg: 99).tmp': 'x',
            'tree/Total file size: 99 bytes.tmp': 'x',
            'tree/{"count":99,"bytes":99}.tmp': 'x',
          },
          [],
          ['--debug=FILTER1', '--exclude=*.tmp'],
        ),
      3,
    ],
    ['an rclone size --json', () => rcloneSize(files('tree', 4, 9)), 4],
    ['an empty tree', () => rsyncRun({}, ['tree']), 0],
    ['a tar -tv listing', () => TAR_LISTING, 3],
    ['a tar -tv listing summed by awk, as the guard reads a kept one', () => keptSum(TAR_LISTING), 3],
    ['no output at all (nothing there yet)', () => '', 0],
  ] as [string, () => string, number][])('on %s', (_, output, regular) => {
    const text = output();
    const script = viaScript(text);
    expect(copyStats(text)).toEqual(script);
    expect(script.files).toBe(regular);
  });

  it('polyarchiv_reserved_hidden and reservedEntriesHidden read the same entries of the reserved name', () => {
    const output = rsyncRun(
      {
        ...files('tree', 2, 7),
        'tree/.~polyarchiv~': 'a file',
        'tree/a b/.~polyarchiv~/x': 'a directory',
        'tree/line\nbreak/.~polyarchiv~/x': 'a directory, its parent escaped by rsync',
        'tree/skip.tmp': 'hidden by another rule: not read',
      },
      [],
      ['--debug=FILTER1', '--filter=H .~polyarchiv~', '--exclude=*.tmp'],
    );
    const shown = spawnSync(
      'bash',
      [
        '-c',
        'set -Eeuo pipefail; source "$1"; polyarchiv_reserved_hidden "$2"; printf "%s\\n" "${polyarchiv_reserved[@]}"',
        'bash',
        partial('helpers-copy-stats'),
        output,
      ],
      { encoding: 'utf8' },
    );
    expect(shown.status, shown.stderr).toBe(0);
    const script = shown.stdout.split('\n').filter(Boolean);
    expect(reservedEntriesHidden(output)).toEqual(script);
    expect([...script].sort()).toEqual([
      'directory a b/.~polyarchiv~',
      'directory line\\#012break/.~polyarchiv~',
      'file .~polyarchiv~',
    ]);
  });

  it('reads the same files and bytes from a kept listing summed by awk as from the listing itself', () => {
    const { files: listed, bytes } = copyStats(TAR_LISTING);
    expect(copyStats(keptSum(TAR_LISTING))).toMatchObject({ files: listed, bytes });
    expect(bytes).toBe(42);
  });
});
