import { existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, utimesSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import { newestFile } from '../../src/backends/execute/newest-file.js';
import { datedSearch } from '../../src/engines/backup/dated-search.js';
import type { BoundBackupPoint } from '../../src/engines/engine.js';
import type { NewestFileCommand } from '../../src/graph/command.js';
import { newestFileCommands } from '../../src/graph/newest-file-commands.js';
import { runHelper } from '../helpers/partials.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('bash', 'find', 'ln');

let box: Sandbox;

beforeAll(() => {
  if (!canRun) return;
  box = makeSandbox('polyarchiv-newest-twin-');
  box.write({
    // The series of `{name}/{Y}/{name}-{d}.{m}_{H}{M}-{a}.tar.gz`: day before month, a year per directory.
    'archives/site/2025/site-31.12_2359-Wed.tar.gz': 'last of 2025\n',
    'archives/site/2026/site-02.01_0800-Fri.tar.gz': 'january\n',
    'archives/site/2026/site-28.02_0300-Sat.tar.gz': 'february\n',
    // Two names of one time (the weekday is not a time that orders): the greater name is taken.
    'archives/site/2026/site-10.03_0300-Mon.tar.gz': 'tie mon\n',
    'archives/site/2026/site-10.03_0300-Tue.tar.gz': 'tie tue\n',
    // Not of the series: a partial, another point's, one level too deep, a time that is no time.
    'archives/site/2026/.site-11.03_0300-Wed.tar.gz.polyarchiv-partial': 'partial\n',
    'archives/site/2026/other-12.03_0300-Thu.tar.gz': 'other\n',
    'archives/site/2026/old/site-13.03_0300-Fri.tar.gz': 'too deep\n',
    'archives/site/2026/site-14.3_0300-Sat.tar.gz': 'one digit\n',
    'archives/site/2026/site-15.03_0300-Sun.tar.gz.bak': 'suffix\n',
    'archives/site/2026/site-16.03_0300-Dim.tar.gz': 'no weekday\n',
    // The mirrors of `{Y}-{m}-{d}/{name}`: directories; a file of that name, another point's
    // mirror and a day without one are not of the series.
    'mirrors/2026-03-01/site/www/f': 'first\n',
    'mirrors/2026-03-02/site/www/f': 'second\n',
    'mirrors/2026-03-03/other/www/f': 'other\n',
    'mirrors/2026-03-04/site': 'a file\n',
    'mirrors/2026-03-05/nothing': '\n',
    // A weekly rotation, `{name}-{A}.tar.gz`: its names order nothing, their times do (below).
    'rotation/site-Sunday.tar.gz': 'sunday\n',
    'rotation/site-Monday.tar.gz': 'monday\n',
    'rotation/site-Tuesday.tar.gz': 'tuesday\n',
  });
  const written = {
    Sunday: '2026-03-08T23:30:00Z',
    Monday: '2026-03-02T10:00:00Z',
    Tuesday: '2026-03-03T10:00:00Z',
  };
  for (const [day, at] of Object.entries(written))
    utimesSync(box.path(`rotation/site-${day}.tar.gz`), new Date(at), new Date(at));
  mkdirSync(box.path('restore'));
});

afterAll(() => box?.remove());

/** A pair whose remote_url is `template`, as the engine reads it. */
function pair(template: string): BoundBackupPoint {
  return {
    options: { template: (name: string) => (name === 'remote_url' ? template : undefined) },
    variables: { name: 'site' },
  } as unknown as BoundBackupPoint;
}

const LINK = () => box.path('restore/fetched.tar.gz');
const MIRROR_LINK = () => box.path('restore/mirror');

function command(at: Date | undefined, dir = 'archives'): NewestFileCommand {
  const search = datedSearch(pair(`file://${box.path(dir)}/{name}/{Y}/{name}-{d}.{m}_{H}{M}-{a}.tar.gz`), at);
  if (typeof search === 'string') throw new Error(search);
  const [built] = newestFileCommands({ search, file: LINK() }, {});
  if (built?.kind !== 'newest-file') throw new Error('not a newest file');
  return built;
}

type Outcome = { code: number; said: string[]; taken: string | undefined };

function taken(link = LINK()): string | undefined {
  try {
    return readlinkSync(link);
  } catch {
    return undefined;
  }
}

function viaScript(cmd: NewestFileCommand, link = LINK()): Outcome {
  return { ...runHelper('helpers-newest-file.hbs', commandLine(cmd)), taken: taken(link) };
}

async function viaExecutor(cmd: NewestFileCommand, link = LINK()): Promise<Outcome> {
  const said: string[] = [];
  const code = await newestFile(
    cmd,
    { workDir: box.root, secrets: new Map(), processes: new Set(), output: () => undefined },
    (line) => said.push(line),
    (line) => said.push(line),
  );
  return { code, said, taken: taken(link) };
}

describe.runIf(canRun)('polyarchiv_newest_file and newestFile agree on a real directory', () => {
  it.each([
    [
      'no --at: the newest, of two of one time the greater name',
      undefined,
      '2026/site-10.03_0300-Tue.tar.gz',
    ],
    [
      'at the minute of one: passed over, as it may have been made after --at',
      '2026-02-28T03:00:00+01:00',
      '2026/site-02.01_0800-Fri.tar.gz',
    ],
    [
      'at the last second of its minute: taken',
      '2026-02-28T03:00:59+01:00',
      '2026/site-28.02_0300-Sat.tar.gz',
    ],
    ['one minute before it', '2026-02-28T02:59:00+01:00', '2026/site-02.01_0800-Fri.tar.gz'],
    [
      'the year in the directory orders before the day',
      '2026-01-01T00:00:00+01:00',
      '2025/site-31.12_2359-Wed.tar.gz',
    ],
    ['before every archive: none, nothing taken', '2025-01-01T00:00:00+01:00', undefined],
  ] as const)('%s', async (_, at, name) => {
    const results: Outcome[] = [];
    for (const backend of [viaScript, viaExecutor]) {
      rmSync(LINK(), { force: true });
      results.push(await backend(command(at === undefined ? undefined : new Date(at))));
    }
    expect(results[1]).toEqual(results[0]);
    const found = name === undefined ? undefined : box.path('archives/site', name);
    const series = `${box.path('archives/site')}/{Y}/site-{d}.{m}_{H}{M}-{a}.tar.gz`;
    expect(results[0]).toEqual({
      code: name === undefined ? 1 : 0,
      taken: found,
      said: [
        found === undefined
          ? `  no file is named as ${series} before ${box.path('archives/site')}/2025/site-01.01_0000-Wed.tar.gz (passed over: the name of --at's time may be that of a copy made after it)`
          : `  the newest there: ${found}`,
      ],
    });
  });

  it("passes on find's failure to list (no such directory), taking nothing", async () => {
    const results: Outcome[] = [];
    for (const backend of [viaScript, viaExecutor]) {
      rmSync(LINK(), { force: true });
      results.push(await backend(command(undefined, 'gone')));
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]).toEqual({ code: 1, said: [], taken: undefined });
  });

  it("says a restore's words after a listing that fails, and after a fetch that fails", async () => {
    const unlisted = 'the series could not be listed: it\'s "$HOME"';
    const unreadable = 'the newest could not be fetched: it\'s "$HOME"';
    const results: Outcome[] = [];
    for (const backend of [viaScript, viaExecutor]) {
      rmSync(LINK(), { force: true });
      results.push(await backend({ ...command(undefined, 'gone'), unlisted, unreadable }));
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]).toEqual({ code: 1, said: [`  ${unlisted}`], taken: undefined });
    const fetches: Outcome[] = [];
    for (const backend of [viaScript, viaExecutor]) {
      rmSync(LINK(), { force: true });
      // Found, then its fetch fails (ln into a directory that is not there).
      const failing = {
        ...command(undefined),
        after: [box.path('nowhere/fetched.tar.gz')],
        unlisted,
        unreadable,
      };
      fetches.push(await backend(failing));
    }
    expect(fetches[1]).toEqual(fetches[0]);
    expect(fetches[0]).toEqual({
      code: 1,
      said: [expect.stringMatching(/^ {2}the newest there: /), `  ${unreadable}`],
      taken: undefined,
    });
  });

  it("says the words of a text the listing or the fetch printed, in place of the restore's", async () => {
    const unlisted = 'the series could not be listed';
    const unreadable = 'the newest could not be fetched';
    const refused = "the server refused the password of option 'password' (site.backup:4 [point])";
    // find's and ln's words for a path that is not there stand for a server's refusal.
    const explains = [{ status: 'other', printed: 'No such file or directory', message: refused }] as const;
    // The script keeps the tools' error output in a file of the unit's.
    const inUnit = (cmd: NewestFileCommand) => ({
      ...runHelper(
        'helpers-newest-file.hbs',
        `polyarchiv_unit_file=${box.path('unit')}; ${commandLine(cmd)}`,
      ),
      taken: taken(),
    });
    for (const [failing, said] of [
      [{ ...command(undefined, 'gone'), unlisted, unreadable, explains }, [`  ${refused}`]],
      [
        {
          ...command(undefined),
          after: [box.path('nowhere/fetched.tar.gz')],
          unlisted,
          unreadable,
          explains,
        },
        [expect.stringMatching(/^ {2}the newest there: /), `  ${refused}`],
      ],
      [
        {
          ...command(undefined, 'gone'),
          unlisted,
          unreadable,
          explains: [{ ...explains[0], printed: 'other words' }],
        },
        [`  ${unlisted}`],
      ],
    ] as const) {
      const results: Outcome[] = [];
      for (const backend of [inUnit, viaExecutor]) {
        rmSync(LINK(), { force: true });
        results.push(await backend(failing));
      }
      expect(results[1]).toEqual(results[0]);
      expect(results[0]).toEqual({ code: 1, said, taken: undefined });
      expect(existsSync(box.path('unit.newest-errors'))).toBe(false);
    }
  });

  it('names the newest as shownPrefix says, and takes it where prefix says', async () => {
    const results: Outcome[] = [];
    for (const backend of [viaScript, viaExecutor]) {
      rmSync(LINK(), { force: true });
      results.push(await backend({ ...command(undefined), shownPrefix: 'https://dav.example.org/site/' }));
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]).toEqual({
      code: 0,
      said: ['  the newest there: https://dav.example.org/site/2026/site-10.03_0300-Tue.tar.gz'],
      taken: box.path('archives/site/2026/site-10.03_0300-Tue.tar.gz'),
    });
  });

  it.each([
    ['the newest mirror, a directory', undefined, '2026-03-02/site/'],
    ['none named before the day of --at', '2026-02-28T12:00:00+01:00', undefined],
  ] as const)('%s', async (_, at, name) => {
    const search = datedSearch(
      pair(`${box.path('mirrors')}/{Y}-{m}-{d}/{name}`),
      at === undefined ? undefined : new Date(at),
      'directories',
    );
    if (typeof search === 'string') throw new Error(search);
    const [cmd] = newestFileCommands({ search, file: MIRROR_LINK() }, {});
    if (cmd?.kind !== 'newest-file') throw new Error('not a newest file');
    const results: Outcome[] = [];
    for (const backend of [viaScript, viaExecutor]) {
      rmSync(MIRROR_LINK(), { force: true });
      results.push(await backend(cmd, MIRROR_LINK()));
    }
    expect(results[1]).toEqual(results[0]);
    const found = name === undefined ? undefined : `${box.path('mirrors')}/${name}`;
    expect(results[0]).toEqual({
      code: name === undefined ? 1 : 0,
      taken: found,
      said: [
        found === undefined
          ? `  no directory is named as ${box.path('mirrors')}/{Y}-{m}-{d}/site before ${box.path('mirrors')}/2026-02-28/site (passed over: the name of --at's time may be that of a copy made after it)`
          : `  the newest there: ${found}`,
      ],
    });
    if (found !== undefined) expect(readFileSync(`${MIRROR_LINK()}/www/f`, 'utf8')).toBe('second\n');
  });

  it.each([
    ['the last written of a rotation, whatever its name', undefined, 'site-Sunday.tar.gz'],
    // 10:00 UTC is 11:00 here: the times are read in UTC on both sides.
    ['the last written at or before --at', '2026-03-03T11:00:00+01:00', 'site-Tuesday.tar.gz'],
    ['one second before it', '2026-03-03T10:59:59+01:00', 'site-Monday.tar.gz'],
  ] as const)('%s', async (_, at, name) => {
    const search = datedSearch(
      pair(`${box.path('rotation')}/{name}-{A}.tar.gz`),
      at === undefined ? undefined : new Date(at),
    );
    if (typeof search === 'string') throw new Error(search);
    const [cmd] = newestFileCommands({ search, file: LINK() }, {});
    if (cmd?.kind !== 'newest-file') throw new Error('not a newest file');
    const results: Outcome[] = [];
    // The listing prints times in UTC whatever the zone of the machine that lists.
    const zone = process.env.TZ;
    process.env.TZ = 'Asia/Tokyo';
    try {
      for (const backend of [viaScript, viaExecutor]) {
        rmSync(LINK(), { force: true });
        results.push(await backend(cmd));
      }
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]).toEqual({
      code: 0,
      taken: box.path('rotation', name),
      said: [`  the newest there: ${box.path('rotation', name)}`],
    });
  });
});
