import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandLine } from '../../src/backends/bash/quote.js';
import { resticRestoreAt } from '../../src/backends/execute/restic-restore-at.js';
import type { ResticRestoreAtCommand } from '../../src/graph/command.js';
import { resticRestoreCommands } from '../../src/graph/restic-commands.js';
import { runHelper } from '../helpers/partials.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';

const canRun = haveTools('bash', 'restic', 'jq');
const SECRET = 'POLYARCHIV_SECRET_VAULT_SITE_PASSWORD';
const PASSWORD = 'twin pass $HOME';

let box: Sandbox;
/** The snapshots' ids by the text of their file, as restic lists them. */
const ids = new Map<string, string>();

function restic(args: readonly string[], env: Record<string, string> = {}) {
  const run = spawnSync('restic', ['--repo', box.path('repo'), '--no-cache', ...args], {
    cwd: box.path('data'),
    encoding: 'utf8',
    env: { ...process.env, RESTIC_PASSWORD: PASSWORD, ...env },
  });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout;
}

/** A snapshot of `text` tagged `tag`, dated `time` in the zone `tz` (restic reads --time as local time). */
function snapshot(text: string, tag: string, time?: string, tz = 'UTC'): void {
  box.write({ 'data/file.txt': `${text}\n` });
  restic(['backup', '--tag', tag, ...(time === undefined ? [] : ['--time', time]), '.'], { TZ: tz });
  const listed = JSON.parse(restic(['snapshots', '--json', '--tag', tag])) as { id: string }[];
  ids.set(text, listed.map((s) => s.id).find((id) => ![...ids.values()].includes(id)) as string);
}

beforeAll(() => {
  if (!canRun) return;
  box = makeSandbox('polyarchiv-restic-twin-');
  mkdirSync(box.path('data'));
  restic(['init']);
  snapshot('first', 'site', '2026-11-02 03:00:00');
  // 03:00 in Paris is 02:00 UTC: restic prints it with its offset, +01:00.
  snapshot('paris', 'site', '2026-11-03 03:00:00', 'Europe/Paris');
  snapshot('tie one', 'site', '2026-11-04 03:00:00');
  snapshot('tie two', 'site', '2026-11-04 03:00:00');
  snapshot('other tag', 'other', '2026-11-05 03:00:00');
  // Now, with restic's nanoseconds.
  snapshot('now', 'site');
});

afterAll(() => box?.remove());

const NO_COPY = 'the repository holds no snapshot of it';
const UNLISTED = 'the repository could not be read: nothing was changed; it\'s "$HOME" to say';
const UNREADABLE = 'the snapshot could not be restored whole: nothing was changed; it\'s "$HOME" to say';

function command(tag: string, at: string | undefined, password = SECRET): ResticRestoreAtCommand {
  const [built] = resticRestoreCommands(
    {
      repository: {
        url: box.path('repo'),
        passwordSecret: password,
        env: { RESTIC_CACHE_DIR: { literal: box.path('cache') } },
      },
      tag,
      into: box.path('restored'),
      ...(at === undefined ? {} : { at }),
      missing: NO_COPY,
      unlisted: UNLISTED,
      unreadable: UNREADABLE,
    },
    {},
  );
  if (built?.kind !== 'restic-restore-at') throw new Error('not a restore at a time');
  return built;
}

type Outcome = { code: number; said: string[]; restored: string | undefined };

const restored = (): string | undefined =>
  existsSync(box.path('restored/file.txt')) ? readFileSync(box.path('restored/file.txt'), 'utf8') : undefined;

function viaScript(cmd: ResticRestoreAtCommand): Outcome {
  const env = { ...process.env, [SECRET]: PASSWORD, WRONG: 'wrong' };
  return { ...runHelper('helpers-restic-restore.hbs', commandLine(cmd), env), restored: restored() };
}

async function viaExecutor(cmd: ResticRestoreAtCommand): Promise<Outcome> {
  const said: string[] = [];
  let explained = '';
  const code = await resticRestoreAt(
    cmd,
    {
      workDir: box.root,
      secrets: new Map([
        [SECRET, PASSWORD],
        ['WRONG', 'wrong'],
      ]),
      processes: new Set(),
      output: () => undefined,
      explain: (why) => {
        explained = why;
      },
    },
    (line) => said.push(line),
    (line) => said.push(line),
  );
  // The script's polyarchiv_record_why is checked by the whole unit's runs (explain twins).
  if (explained !== '') said.push(`explained: ${explained}`);
  return { code, said, restored: restored() };
}

describe.runIf(canRun)('polyarchiv_restic_restore_at and resticRestoreAt agree on real restic output', () => {
  it.each([
    ['before every snapshot: none, nothing restored', 'site', '2026-11-01T00:00:00Z', undefined],
    ['at the exact time of one: it is not after', 'site', '2026-11-02T03:00:00Z', 'first'],
    ['between two', 'site', '2026-11-02T12:00:00Z', 'first'],
    ['one hour after a snapshot taken at 03:00 in Paris', 'site', '2026-11-03T03:00:00Z', 'paris'],
    ['one second before it', 'site', '2026-11-03T01:59:59Z', 'first'],
    ['two snapshots of one time: the one with the greater id', 'site', '2026-11-04T12:00:00Z', 'tie'],
    ['a later snapshot of another tag is not counted', 'site', '2026-11-06T00:00:00Z', 'tie'],
    ['the tag selects', 'other', '2026-11-30T00:00:00Z', 'other tag'],
    ['a time of its own run, in nanoseconds', 'site', '2100-01-01T00:00:00Z', 'now'],
    ['a tag without snapshots', 'nothing', '2100-01-01T00:00:00Z', undefined],
    ['without a time: the newest', 'site', undefined, 'now'],
    [
      'without a time, a tag without snapshots: the backup point holds no copy',
      'nothing',
      undefined,
      undefined,
    ],
  ] as const)('%s', async (_, tag, at, name) => {
    // Of the two snapshots of one time, the one with the greater id (their ids are random).
    const tieWinner = () =>
      (ids.get('tie one') as string) > (ids.get('tie two') as string) ? 'tie one' : 'tie two';
    const text = name === 'tie' ? tieWinner() : name;
    const results: Outcome[] = [];
    for (const backend of [viaScript, viaExecutor]) {
      rmSync(box.path('restored'), { recursive: true, force: true });
      results.push(await backend(command(tag, at)));
    }
    const [script, executor] = results as [Outcome, Outcome];
    // The executor's step is told the words it fails with, which the script records of its step.
    const explained = (line: string) => line.startsWith('explained: ');
    expect({ ...executor, said: executor.said.filter((line) => !explained(line)) }).toEqual(script);
    expect(executor.said.filter(explained)).toEqual(
      text === undefined ? [`explained: ${script.said[0]?.trimStart()}`] : [],
    );
    const chosen = text === undefined ? undefined : (ids.get(text) as string);
    expect(results[0]).toEqual({
      code: text === undefined ? 1 : 0,
      restored: text === undefined ? undefined : `${text}\n`,
      said:
        chosen === undefined
          ? [
              at === undefined
                ? `  ${NO_COPY}`
                : `  no snapshot tagged "${tag}" in ${box.path('repo')} was taken at or before ${at}: nothing was restored`,
            ]
          : [expect.stringMatching(new RegExp(`^  snapshot ${chosen.slice(0, 8)}, taken 20\\d\\d-`))],
    });
  });

  it("passes on restic's failure to restore, then says what was left and where to turn", async () => {
    const results: Outcome[] = [];
    for (const backend of [viaScript, viaExecutor]) {
      rmSync(box.path('restored'), { recursive: true, force: true });
      // A file where the snapshot's directory goes: restic cannot restore into it.
      box.write({ restored: 'in the way\n' });
      results.push(await backend(command('site', undefined)));
    }
    rmSync(box.path('restored'), { force: true });
    const [script, executor] = results as [Outcome, Outcome];
    expect(script.code).not.toBe(0);
    expect(executor.code).toBe(script.code);
    expect(script.said).toEqual([
      expect.stringMatching(/^ {2}snapshot [0-9a-f]{8}, taken /),
      `  ${UNREADABLE}`,
    ]);
    expect(executor.said).toEqual([...script.said, `explained: ${UNREADABLE}`]);
  });

  it.each([
    ['a tag without snapshots', 'nothing', undefined],
    ['before every snapshot of the tag', 'site', '2026-11-01T00:00:00Z'],
  ] as const)(
    'a snapshot file restic cannot decode, none chosen (%s): could not be read, not none',
    async (_, tag, at) => {
      // restic lists the snapshots of the files it can decode, and exits 0: the undecoded one may be the copy.
      const file = box.path(`repo/snapshots/${ids.get('other tag')}`);
      const whole = readFileSync(file);
      writeFileSync(file, 'garbage, not an encrypted snapshot\n');
      // The cache still holds it whole: as on a machine that never read the repository.
      rmSync(box.path('cache'), { recursive: true, force: true });
      const results: Outcome[] = [];
      try {
        for (const backend of [viaScript, viaExecutor]) {
          rmSync(box.path('restored'), { recursive: true, force: true });
          results.push(await backend(command(tag, at)));
        }
        // The snapshots restic can decode are still restored.
        rmSync(box.path('restored'), { recursive: true, force: true });
        expect((await viaExecutor(command('site', undefined))).restored).toBe('now\n');
      } finally {
        writeFileSync(file, whole);
      }
      const [script, executor] = results as [Outcome, Outcome];
      expect(script).toEqual({ code: 6, said: [`  ${UNLISTED}`], restored: undefined });
      expect(executor).toEqual({ ...script, said: [...script.said, `explained: ${UNLISTED}`] });
    },
  );

  it("passes on restic's failure to list (a wrong password), then says the repository could not be read", async () => {
    const results: Outcome[] = [];
    for (const backend of [viaScript, viaExecutor]) {
      rmSync(box.path('restored'), { recursive: true, force: true });
      results.push(await backend(command('site', '2100-01-01T00:00:00Z', 'WRONG')));
    }
    const [script, executor] = results as [Outcome, Outcome];
    expect(script).toEqual({ code: 1, said: [`  ${UNLISTED}`], restored: undefined });
    expect(executor).toEqual({ ...script, said: [...script.said, `explained: ${UNLISTED}`] });
  });
});
