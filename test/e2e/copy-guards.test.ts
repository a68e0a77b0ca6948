import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, runThrough } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum');

const run = (box: Sandbox, how: 'apply' | 'script', command: 'backup' | 'restore', args: string[]) =>
  runThrough(how, command, args, box.root);

/** Every entry under `path`, directories too: a refused copy makes none, not even its holding one. */
const entries = (path: string): string[] => (readdirSync(path, { recursive: true }) as string[]).sort();

function emptyDir(path: string): void {
  for (const name of readdirSync(path)) rmSync(`${path}/${name}`, { recursive: true });
}

describe.runIf(canRun).each(['apply', 'script'] as const)('guards on copies, through %s', (how) => {
  let box: Sandbox;
  let args: string[];
  const state = () =>
    JSON.parse(readFileSync(box.path('collect/site/metadata/collect_point/site.json'), 'utf8'));
  beforeEach(() => {
    box = makeSandbox('polyarchiv-guards-');
    const files: Record<string, string> = {};
    for (let i = 0; i < 10; i++) files[`data/f${i}.txt`] = `file ${i}\n`.repeat(100);
    box.write({
      ...files,
      'config/site.collect':
        '[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "tree"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = tree\n',
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
    });
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
    expect(runCli(['backup', ...args]).code).toBe(0);
  });
  afterEach(() => box.remove());
  /** Rewrites the collect point's state with other figures, or none, as the original leaves it. */
  const setCopies = (copies: unknown) => {
    const file = box.path('collect/site/metadata/collect_point/site.json');
    const { copies: _recorded, ...kept } = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify(copies === undefined ? kept : { ...kept, copies }));
  };

  it('refuses to empty the copies from a source emptied by accident, until --allow-shrink', () => {
    const good = fileContents(box.path('collect/site/backups/tree'));
    const copyEntries = entries(box.path('collect/site/backups/tree'));
    emptyDir(box.path('data'));
    const refused = run(box, how, 'backup', args);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'the copy of source "tree" would become empty: files: 10 now, 0 incoming; bytes: 7000 now, 0 incoming',
    );
    expect(refused.stderr).toContain(
      'refused: nothing was changed; run with --allow-shrink if this is expected',
    );
    expect(refused.stderr).toMatch(
      /failed with exit code 1: step \d of \d at site\.collect:5 \[source "tree"\]/,
    );
    expect(fileContents(box.path('collect/site/backups/tree'))).toEqual(good);
    expect(entries(box.path('collect/site/backups/tree'))).toEqual(copyEntries);
    expect(fileContents(box.path('mirror/site/tree'))).toEqual(good);
    expect(state()).toMatchObject({ last_state_valid: false, fail_count: 1 });
    // What monitoring reads: the refused step, and why.
    expect(state().last_message).toMatch(
      /^failed with exit code 1: step \d of \d at site\.collect:5 \[source "tree"\]: the copy of source "tree" would become empty: files: 10 now, 0 incoming; bytes: 7000 now, 0 incoming$/,
    );

    const allowed = run(box, how, 'backup', [...args, '--allow-shrink']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stderr).toContain('accepted: --allow-shrink');
    expect(fileContents(box.path('mirror/site/tree'))).toEqual({});
  });

  it('refuses a copy that lost more than max_shrink_percent of its files, per source', () => {
    for (let i = 0; i < 6; i++) rmSync(box.path(`data/f${i}.txt`));
    const refused = run(box, how, 'backup', args);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'the copy of source "tree" would shrink by more than 50% (max_shrink_percent): files: 10 now, 4 incoming; bytes: 7000 now, 2800 incoming',
    );
    const config = box.path('config/site.collect');
    writeFileSync(config, `${readFileSync(config, 'utf8')}max_shrink_percent = 70\n`);
    // The mirror has its own threshold: the same shrink is refused there until it is raised too.
    const mirrorEntries = entries(box.path('mirror/site'));
    const mirrorRefused = run(box, how, 'backup', args);
    expect(mirrorRefused.code).toBe(1);
    expect(mirrorRefused.stderr).toContain('the mirror of "site" would shrink by more than 50%');
    expect(entries(box.path('mirror/site'))).toEqual(mirrorEntries);
    expect(mirrorRefused.stderr).toMatch(/at mirror\.backup:3 \[point\]/);
    writeFileSync(
      box.path('config/mirror.backup'),
      `${readFileSync(box.path('config/mirror.backup'), 'utf8')}max_shrink_percent = 70\n`,
    );
    const accepted = run(box, how, 'backup', args);
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(fileContents(box.path('mirror/site/tree'))).toEqual(fileContents(box.path('data')));
  });

  it('records what each copy received, for the next run to judge by', () => {
    const figures = { files: 10, bytes: 7000 };
    expect(state().copies).toEqual({ [box.path('collect/site/backups/tree')]: figures });
    const mirror = JSON.parse(
      readFileSync(box.path('collect/site/metadata/remote-mirror/remote/mirror.json'), 'utf8'),
    );
    expect(mirror.copies).toEqual({ [box.path('mirror/site')]: figures });
    // The figures, not the copy, are what the next run compares with: here they claim far more.
    setCopies({ [box.path('collect/site/backups/tree')]: { files: 100, bytes: 70000 } });
    const refused = run(box, how, 'backup', args);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'the copy of source "tree" would shrink by more than 50% (max_shrink_percent): files: 100 now, 10 incoming; bytes: 70000 now, 7000 incoming',
    );
    // A failed run records no figures of a collect point's copies: the next one measures them.
    expect(state()).toMatchObject({ last_state_valid: false });
    expect(state().copies).toBeUndefined();
    const measured = run(box, how, 'backup', args);
    expect(measured.code, measured.stderr).toBe(0);
    expect(state().copies).toEqual({ [box.path('collect/site/backups/tree')]: figures });
  });

  it.each([
    ['a state written by the original, without figures', undefined],
    ['figures that are not counts', { files: 'many', bytes: -1 }],
    ['figures of another shape', [10, 7000]],
  ])('measures the copy itself from %s', (_, figures) => {
    setCopies(figures === undefined ? undefined : { [box.path('collect/site/backups/tree')]: figures });
    for (let i = 0; i < 6; i++) rmSync(box.path(`data/f${i}.txt`));
    const refused = run(box, how, 'backup', args);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'the copy of source "tree" would shrink by more than 50% (max_shrink_percent): files: 10 now, 4 incoming; bytes: 7000 now, 2800 incoming',
    );
  });

  it('never restores from an emptied mirror: the collect copy and the live directory stay', () => {
    writeFileSync(box.path('data/written since.txt'), 'new\n');
    const live = fileContents(box.path('data'));
    const copy = fileContents(box.path('collect/site/backups/tree'));
    emptyDir(box.path('mirror/site'));
    const refused = run(box, how, 'restore', [...args, '--from', 'mirror']);
    expect(refused.code).toBe(1);
    // Said before the copy guard is asked: the mirror holds no copy at all.
    expect(refused.stderr).toContain(
      `backup point "mirror" holds no copy of collect point "site": ${box.path('mirror/site')} is missing or empty`,
    );
    expect(fileContents(box.path('collect/site/backups/tree'))).toEqual(copy);
    expect(fileContents(box.path('data'))).toEqual(live);
  });

  it('never replaces a live directory that holds far more than the copy', () => {
    for (let i = 10; i < 40; i++) writeFileSync(box.path(`data/g${i}.txt`), 'grown\n');
    const live = fileContents(box.path('data'));
    const refused = run(box, how, 'restore', args);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${box.path('data')} (source "tree") would shrink by more than 50%`);
    expect(fileContents(box.path('data'))).toEqual(live);
    const allowed = run(box, how, 'restore', [...args, '--allow-shrink']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(Object.keys(fileContents(box.path('data')))).toHaveLength(10);
  });
});
