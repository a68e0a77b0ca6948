import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import { guardedCopy } from '../../src/backends/execute/guarded-copy.js';
import { incomingMeasure } from '../../src/graph/build-commands.js';
import type { CopyCommand, CopyFigures } from '../../src/graph/command.js';
import { HOLD_UPDATES } from '../../src/graph/rsync-commands.js';
import { partialFile, useWorkDir } from '../helpers/partials.js';
import { type Sandbox, sandboxesPerTest } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';

const partial = (name: string) => partialFile(`${name}.hbs`);
const canRun = haveTools('bash', 'rsync');

const newSandbox = sandboxesPerTest();

interface Case {
  readonly percent?: number;
  readonly allowShrink?: boolean;
  /** Figures the state recorded: the target is then not measured. */
  readonly recorded?: CopyFigures;
  /** How the incoming side is counted: rsync's dry run, or the argv builder's find listing. */
  readonly measure?: 'rsync' | 'find';
  /** Words of the copy before its paths (the first copy's too). */
  readonly copyWords?: readonly string[];
}

/** Where the copy's wrapper writes the words of each copy it runs, one line each. */
const RAN = 'ran';
/** The holding directory the copy is given to make (CopyCommand.makeDir). */
const HOLDING = 'target/.~polyarchiv~';

/**
 * incoming/ copied into target/, updates held back (HOLD_UPDATES), by rsync under a wrapper that
 * writes its words (as k5start runs a copy under a ticket): the first copy is derived from these
 * words, and what ran shows which copy it was.
 */
function command(root: string, options: Case): CopyCommand {
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
  const copy = [
    'sh',
    '-c',
    // Each copy also notes whether the holding directory was there when it started.
    `printf "%s\\n" "$*" >> "$0" && { [ ! -d "\${0%/*}/${HOLDING}" ] || echo held >> "$0.holding"; } && exec "$@"`,
    `${root}/${RAN}`,
    'rsync',
    '-a',
    ...HOLD_UPDATES,
    '--delete',
    '--stats',
    '--no-h',
    ...(options.copyWords ?? []),
    '--',
    `${root}/incoming/`,
    `${root}/target/`,
  ];
  const tree = { from: `${root}/incoming`, to: `${root}/target`, deleteExtraneous: true, hardLinks: false };
  const incoming =
    options.measure === 'find'
      ? incomingMeasure({ ...tree, inPlace: true, filters: [] })
      : { incoming: measure('incoming') };
  return {
    kind: 'copy',
    ...incoming,
    previous: options.recorded === undefined ? measure('target') : [],
    copy,
    ...(options.recorded === undefined ? {} : { recorded: options.recorded }),
    figuresKey: JSON.stringify(`${root}/target`).replace(root, '<root>'),
    maxShrinkPercent: options.percent ?? 50,
    allowShrink: options.allowShrink === true,
    what: 'the copy of source "it\'s"',
    makeDir: `${root}/${HOLDING}`,
  };
}

interface Outcome {
  code: number;
  said: string[];
  /** What else the unit's standard error received: the tools' messages, the sandbox's path masked. */
  errors: string;
  figures: string[];
  target: Record<string, string> | 'none';
  /** The words of each copy that ran, the sandbox's path masked. */
  ran: string[];
  /** Whether the holding directory was made before each copy that ran ('held' for each). */
  heldBefore: string[];
  /** Whether the holding directory is there once the helper ended. */
  holdingLeft: boolean;
}

interface Run extends Outcome {
  before: Outcome['target'];
  incoming: Outcome['target'];
}

const targetOf = (box: Sandbox): Outcome['target'] =>
  existsSync(box.path('target')) ? fileContents(box.path('target')) : 'none';

const linesOf = (box: Sandbox, file: string): string[] =>
  existsSync(box.path(file))
    ? readFileSync(box.path(file), 'utf8').replaceAll(box.root, '<root>').split('\n').filter(Boolean)
    : [];

/** What the copy's wrapper noted, and what the helper left of the holding directory. */
const ranIn = (box: Sandbox) => ({
  ran: linesOf(box, RAN),
  heldBefore: linesOf(box, `${RAN}.holding`),
  holdingLeft: existsSync(box.path(HOLDING)),
});

/** The helper, run as the script runs it. */
function viaScript(box: Sandbox, copy: CopyCommand): Outcome {
  const work = mkdtempSync(join(tmpdir(), 'polyarchiv-twin-work-'));
  // The unit's files are read after the script ended (and removed its work directory).
  const unit = box.path('unit');
  const run = spawnSync(
    'bash',
    [
      '-c',
      `set -Eeuo pipefail; source "$1"; source "$2"; source "$3"; ${useWorkDir('$4')}; polyarchiv_unit_file=$5; ${commandLine(copy)}`,
      'bash',
      partial('helpers'),
      partial('helpers-copy-stats'),
      partial('helpers-copy'),
      work,
      unit,
    ],
    { encoding: 'utf8' },
  );
  const kept = `${unit}.copies`;
  const figures = existsSync(kept) ? readFileSync(kept, 'utf8').split('\n').filter(Boolean) : [];
  rmSync(work, { recursive: true, force: true });
  const lines = run.stderr.split('\n');
  const said = lines.filter((l) => l.startsWith('polyarchiv: '));
  const errors = lines.filter((l) => !l.startsWith('polyarchiv: ')).join('\n');
  return {
    code: run.status ?? -1,
    said: said.map((l) => l.slice('polyarchiv: '.length)),
    errors: timeless(errors.replaceAll(box.root, '<root>')),
    figures,
    target: targetOf(box),
    ...ranIn(box),
  };
}

/** rsync's figures of time and speed, which differ from one run to the next. */
const timeless = (text: string) =>
  text.replace(/[\d.]+ seconds/g, '<time> seconds').replace(/[\d.]+ bytes\/sec/g, '<speed> bytes/sec');

async function viaExecutor(box: Sandbox, copy: CopyCommand): Promise<Outcome> {
  const said: string[] = [];
  const figures: string[] = [];
  const errors: Buffer[] = [];
  const workDir = mkdtempSync(join(tmpdir(), 'polyarchiv-twin-work-'));
  const code = await guardedCopy(
    copy,
    {
      workDir,
      secrets: new Map(),
      processes: new Set(),
      copyFigures: figures,
      output: (stream, chunk) => {
        if (stream === 'stderr') errors.push(chunk);
      },
    },
    (line) => said.push(line),
  );
  rmSync(workDir, { recursive: true, force: true });
  const text = timeless(Buffer.concat(errors).toString('utf8').replaceAll(box.root, '<root>'));
  return { code, said, errors: text, figures, target: targetOf(box), ...ranIn(box) };
}

const files = (dir: string, count: number, size = 10) =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`${dir}/d/f${i}`, 'x'.repeat(size)]));

/** The same layout in two sandboxes: one for each backend, which both change their target. */
async function both(layout: Record<string, string>, options: Case): Promise<[Run, Run]> {
  const outcomes: Run[] = [];
  for (const how of [viaScript, viaExecutor]) {
    const box = newSandbox('polyarchiv-twin-');
    box.write(Object.fromEntries(Object.entries(layout).filter(([k]) => !k.endsWith('/'))));
    for (const dir of Object.keys(layout).filter((k) => k.endsWith('/')))
      spawnSync('mkdir', ['-p', box.path(dir)]);
    const before = targetOf(box);
    const incoming = existsSync(box.path('incoming')) ? fileContents(box.path('incoming')) : 'none';
    outcomes.push({ ...(await how(box, command(box.root, options))), before, incoming });
  }
  return outcomes as [Run, Run];
}

const key = '"<root>/target"';
/** The words of the copy and of the first copy, as the wrapper writes them (copyWords apart). */
const HELD = `rsync -a ${HOLD_UPDATES.join(' ')} --delete --stats --no-h -- <root>/incoming/ <root>/target/`;
const FIRST = 'rsync -a --delete --stats --no-h -- <root>/incoming/ <root>/target/';

describe.runIf(canRun)('polyarchiv_copy and guardedCopy agree', () => {
  it('on a copy that grows: judged against the target, copied with updates held back', async () => {
    const layout = { ...files('target', 3), ...files('incoming', 4), 'incoming/a.held': 'h' };
    for (const measure of ['rsync', 'find'] as const) {
      const [script, executor] = await both(layout, { measure });
      expect(executor).toEqual(script);
      expect(script).toMatchObject({ code: 0, said: [], figures: [`${key}:{"files":5,"bytes":41}`] });
      expect(script.ran).toEqual([HELD]);
      expect(script.target).toEqual(script.incoming);
    }
  });

  it('on a first copy: the target holds nothing, so the copy runs without the words that hold updates back', async () => {
    const [script, executor] = await both(
      { ...files('incoming', 2), 'incoming/a.held': 'h', 'target/': '' },
      {},
    );
    expect(executor).toEqual(script);
    expect(script).toMatchObject({
      code: 0,
      figures: [`${key}:{"files":3,"bytes":21}`],
      ran: [FIRST],
      heldBefore: ['held'],
    });
    expect(script.target).toEqual(script.incoming);
  });

  it('on an empty first copy', async () => {
    const [script, executor] = await both({ 'incoming/': '', 'target/': '' }, {});
    expect(executor).toEqual(script);
    expect(script).toMatchObject({
      code: 0,
      figures: [`${key}:{"files":0,"bytes":0}`],
      target: {},
      ran: [FIRST],
    });
  });

  it('on a copy whose figures are recorded: the target is not measured, its updates held back', async () => {
    const layout = { ...files('incoming', 2), 'target/': '' };
    const [script, executor] = await both(layout, { recorded: { files: 2, bytes: 20 } });
    expect(executor).toEqual(script);
    expect(script).toMatchObject({ code: 0, ran: [HELD] });
  });

  const refusals: [string, Record<string, string>, Case, number, string | undefined][] = [
    [
      'a copy that would become empty',
      { ...files('target', 3), 'incoming/d/': '' },
      {},
      1,
      'would become empty: files: 3 now, 0 incoming; bytes: 30 now, 0 incoming',
    ],
    [
      'the same, allowed',
      { ...files('target', 3), 'incoming/d/': '' },
      { allowShrink: true },
      0,
      'would become empty',
    ],
    [
      'a copy that lost 60% of its files',
      { ...files('target', 10), ...files('incoming', 4) },
      {},
      1,
      'would shrink by more than 50% (max_shrink_percent): files: 10 now, 4 incoming; bytes: 100 now, 40 incoming',
    ],
    [
      'the same under a 70% threshold',
      { ...files('target', 10), ...files('incoming', 4) },
      { percent: 70 },
      0,
      undefined,
    ],
    [
      'a copy that lost 90% of its bytes',
      { ...files('target', 2, 1000), ...files('incoming', 2, 100) },
      {},
      1,
      'would shrink by more than 50%',
    ],
    [
      'recorded figures, the target not measured (it is empty)',
      { ...files('incoming', 4), 'target/': '' },
      { recorded: { files: 10, bytes: 100 } },
      1,
      'would shrink by more than 50% (max_shrink_percent): files: 10 now, 4 incoming; bytes: 100 now, 40 incoming',
    ],
    [
      'recorded figures of a copy that keeps its size',
      { ...files('incoming', 9), ...files('target', 1) },
      { recorded: { files: 10, bytes: 100 } },
      0,
      undefined,
    ],
    [
      'recorded figures of an empty copy',
      { ...files('incoming', 1), ...files('target', 1) },
      { recorded: { files: 0, bytes: 0 } },
      0,
      undefined,
    ],
  ];
  const measured = refusals.flatMap(([what, layout, options, expected, problem]) =>
    (['rsync', 'find'] as const).map(
      (measure) =>
        [`${what} (counted by ${measure})`, layout, { ...options, measure }, expected, problem] as const,
    ),
  );
  it.each(measured)('on %s', async (_, layout, options, expected, problem) => {
    const [script, executor] = await both(layout, options);
    expect(executor).toEqual(script);
    expect(script.code).toBe(expected);
    if (problem === undefined) expect(script.said).toEqual([]);
    else expect(script.said[0]).toContain(`the copy of source "it's" ${problem}`);
    expect(script.target).toEqual(expected === 0 ? script.incoming : script.before);
    // A refused copy makes nothing at its target, not even its holding directory; an accepted
    // one makes it before it runs.
    if (expected === 0) expect(script.heldBefore).toEqual(['held']);
    else expect(script).toMatchObject({ ran: [], heldBefore: [], holdingLeft: false });
  });

  it.each(['rsync', 'find'] as const)(
    'fails, like the script, when the incoming side cannot be measured (%s)',
    async (measure) => {
      const [script, executor] = await both(files('target', 2), { allowShrink: true, measure });
      expect(executor).toEqual(script);
      expect(script).toMatchObject({
        code: 1,
        said: [`  cannot measure what the copy of source "it's" would receive:`],
        figures: [],
        ran: [],
        holdingLeft: false,
      });
      expect(script.target).toEqual(script.before);
    },
  );

  it("fails with the copy's exit status, keeping no figures, when the copy fails", async () => {
    const [script, executor] = await both({ 'target/': '' }, {});
    expect(executor).toEqual(script);
    expect(script).toMatchObject({ code: 23, said: [], figures: [] });
  });

  it('names, as its warnings, what a copy of live data leaves out for its reserved name', async () => {
    // Copies of live data ask rsync to name each entry a rule hides (rsyncArgv): the rule that
    // reserves the holding directories' name, and the user's own excludes, which are not warned of.
    const copyWords = ['--debug=FILTER1', '--filter=H .~polyarchiv~', '--exclude=*.tmp', '--exclude=/skip/'];
    const layout = {
      ...files('target', 2),
      ...files('incoming', 2),
      'incoming/.~polyarchiv~': 'a file of that name',
      'incoming/a/.~polyarchiv~/kept': 'k',
      'incoming/skip/.~polyarchiv~/kept': 'excluded with its directory',
      'incoming/Number of files: 99 (reg: 99).tmp': 'excluded, named like a figure',
    };
    for (const copied of [{}, { recorded: { files: 2, bytes: 20 } }]) {
      const [script, executor] = await both(layout, { ...copied, copyWords });
      expect({ ...executor, said: [...executor.said].sort() }).toEqual({
        ...script,
        said: [...script.said].sort(),
      });
      expect([...script.said].sort()).toEqual([
        `  warning: the copy of source "it's" leaves out directory a/.~polyarchiv~: copies hold their updates in directories of that name; rename it to have it backed up, or delete it if an interrupted restore left it`,
        `  warning: the copy of source "it's" leaves out file .~polyarchiv~: copies hold their updates in directories of that name; rename it to have it backed up, or delete it if an interrupted restore left it`,
      ]);
      // The figures are rsync's, whatever the names its other lines quote.
      expect(script).toMatchObject({ code: 0, figures: [`${key}:{"files":2,"bytes":20}`] });
    }
  });
});
