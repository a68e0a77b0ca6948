import { spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { copyStats } from '../../src/backends/execute/copy-stats.js';
import { type RunContext, runExec } from '../../src/backends/execute/run-exec.js';
import { sumTreeListing, TreeListingSum } from '../../src/backends/execute/tree-listing.js';
import type { RsyncSpec } from '../../src/graph/action.js';
import { buildCommands, incomingMeasure } from '../../src/graph/build-commands.js';
import type { Word } from '../../src/graph/command.js';
import { partialFile } from '../helpers/partials.js';
import { type Sandbox, sandboxesPerTest } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('bash', 'rsync', 'find', 'awk', 'mkfifo');
/** The awks a script may meet: Debian's default (mawk) and GNU awk. */
const AWKS = ['gawk', 'mawk'].filter((awk) => haveTools(awk));
const helpers = partialFile('helpers-copy.hbs');

/**
 * The script's sum of a listing: polyarchiv_sum_listing, the copy's helper's, reading standard
 * input with `awk` (this one, by a function of that name in its place).
 */
const summedByHelper = (awk = 'awk'): Word[] => [
  'bash',
  '-c',
  'source "$1"; chosen=$2; awk() { command "${chosen}" "$@"; }; polyarchiv_sum_listing',
  'bash',
  helpers,
  awk,
];

const newSandbox = sandboxesPerTest();

/** Every kind of entry a copy meets, holding directories at several depths, awkward names. */
function awkwardTree(box: Sandbox): string {
  const root = box.path('source');
  for (const dir of ['d/e', 'empty', '.~polyarchiv~/inner', 'd/.~polyarchiv~', 'line\nbreak'])
    mkdirSync(`${root}/${dir}`, { recursive: true });
  writeFileSync(`${root}/a`, 'hello\n');
  writeFileSync(`${root}/d/e/zero`, '');
  writeFileSync(`${root}/line\nbreak/f`, 'x'.repeat(4097));
  writeFileSync(`${root}/.~polyarchiv~/held`, 'not counted');
  writeFileSync(`${root}/.~polyarchiv~/inner/held`, 'not counted');
  writeFileSync(`${root}/d/.~polyarchiv~/held`, 'not counted');
  // A file of the reserved name would stand where rsync makes a holding directory: left out too.
  writeFileSync(`${root}/d/e/.~polyarchiv~`, 'not counted');
  writeFileSync(`${root}/sparse`, '');
  truncateSync(`${root}/sparse`, 1 << 20);
  linkSync(`${root}/a`, `${root}/d/hard`);
  symlinkSync('/a/long/target/that/does/not/exist', `${root}/dangling`);
  symlinkSync('d', `${root}/to-dir`);
  spawnSync('mkfifo', [`${root}/d/fifo`]);
  return root;
}

function spec(from: string, filters: RsyncSpec['filters'] = []): RsyncSpec {
  return { from, to: `${from}-copy`, deleteExtraneous: true, hardLinks: false, inPlace: true, filters };
}

/** The figures `argv` counts, read from its output, or from `sum`'s reading it. */
async function figures(argv: readonly Word[], sum: readonly Word[], box: Sandbox) {
  const chunks: Buffer[] = [];
  const ctx: RunContext = {
    workDir: box.path('work'),
    secrets: new Map(),
    processes: new Set(),
    output: (_, chunk) => chunks.push(chunk),
  };
  mkdirSync(ctx.workDir, { recursive: true });
  const status = await runExec({ kind: 'exec', argv, ...(sum.length > 0 ? { pipeline: [sum] } : {}) }, ctx);
  return { status, ...copyStats(Buffer.concat(chunks).toString('utf8')) };
}

describe.runIf(canRun)("a guarded copy's incoming side", () => {
  it("counted by find and the helper's awk gives the figures of the rsync dry run it replaces", async () => {
    const box = newSandbox('polyarchiv-measure-');
    const root = awkwardTree(box);
    const counted = incomingMeasure(spec(root));
    expect(counted.incoming[0]).toBe('find');
    expect(counted.incomingListing).toBe(true);
    const byFind = await figures(counted.incoming, summedByHelper(), box);
    // A filter that leaves nothing out makes the argv builder keep rsync's dry run.
    const [dryRun] = buildCommands({
      kind: 'rsync',
      ...spec(root, [{ rule: 'exclude', pattern: '/no-such-name/' }]),
      guard: { maxShrinkPercent: 50, what: 'it' },
      id: 'u/1',
      origin: { file: 'site.collect', line: 1 },
      after: [],
      summary: 'copy',
    });
    if (dryRun?.kind !== 'copy') throw new Error('a guarded rsync builds a copy command');
    expect(dryRun.incomingListing).toBeUndefined();
    expect(dryRun.incoming[0]).toBe('rsync');
    const byRsync = await figures(dryRun.incoming, [], box);
    // a, zero, line\nbreak/f, sparse, hard: 5 files; the links' targets count as bytes.
    expect(byRsync).toMatchObject({ status: 0, files: 5 });
    expect(byFind).toEqual(byRsync);
  });

  it.each(AWKS)("'s find listing is summed by apply as the helper sums it with %s", async (awk) => {
    const box = newSandbox('polyarchiv-measure-');
    const root = awkwardTree(box);
    for (const inPlace of [true, false]) {
      const counted = incomingMeasure({ ...spec(root), inPlace });
      expect(counted.incomingListing).toBe(true);
      const byAwk = await figures(counted.incoming, summedByHelper(awk), box);
      const listing = spawnSync(counted.incoming[0] as string, counted.incoming.slice(1) as string[], {
        encoding: 'utf8',
      });
      expect(listing.status).toBe(0);
      expect({ status: 0, ...sumTreeListing(listing.stdout) }).toEqual(byAwk);
    }
    // Listings of no entry, of one without its newline, of sizes past 2^31 and 2^32 together.
    for (const listing of ['', 'f 6', 'd 4096\nf 3000000000\nl 9\nf 5000000000000\n']) {
      const summed = spawnSync(summedByHelper(awk)[0] as string, summedByHelper(awk).slice(1) as string[], {
        input: listing,
        encoding: 'utf8',
      });
      expect({ status: summed.status, ...copyStats(summed.stdout) }, listing).toEqual({
        status: 0,
        ...sumTreeListing(listing),
      });
    }
    expect(sumTreeListing('')).toEqual({ files: 0, bytes: 0, entries: 1 });
  });

  it("'s listing sums alike in whatever pieces find's output comes", () => {
    const listing = Buffer.from('d 4096\nf 6\nf 0\nl 33\np 0\nf 1048576\nl 1');
    const whole = { files: 3, bytes: 1048616, entries: 8 };
    expect(sumTreeListing(listing.toString())).toEqual(whole);
    for (let cut = 0; cut <= listing.length; cut++) {
      const sum = new TreeListingSum();
      sum.add(listing.subarray(0, cut));
      sum.add(listing.subarray(cut));
      expect(sum.figures(), `cut at ${cut}`).toEqual(whole);
    }
    const byteByByte = new TreeListingSum();
    for (const byte of listing) byteByByte.add(Buffer.of(byte));
    expect(byteByByte.figures()).toEqual(whole);
  });

  it("is counted by rsync when filtered, and by the host's rsync when the source is on another host", () => {
    const filtered = incomingMeasure(spec('/srv/www', [{ rule: 'exclude', pattern: '*.tmp' }]));
    expect(filtered.incoming[0]).toBe('rsync');
    expect(filtered.incoming).toContain('--exclude=*.tmp');
    const remote = incomingMeasure({
      ...spec('/srv/www'),
      remote: { side: 'from', host: 'backup@example.org', sshArgs: [] },
    });
    // Only the figures cross the network: the host walks its side itself.
    expect(remote.incoming.slice(0, 3)).toEqual(['ssh', '--', 'backup@example.org']);
    expect(remote.incoming[3]).toMatch(
      /^rsync -a -n --stats --no-h .* -- \/srv\/www\/ \/nonexistent-polyarchiv-measure$/,
    );
    expect(remote.incomingListing).toBeUndefined();
  });

  it('fails when the source cannot be walked, as the dry run does', async () => {
    const box = newSandbox('polyarchiv-measure-');
    const counted = incomingMeasure(spec(box.path('missing')));
    expect((await figures(counted.incoming, summedByHelper(), box)).status).not.toBe(0);
  });
});
