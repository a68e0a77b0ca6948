import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';

// Which copy a restore --at fetches when no state here records one that old: a rebuilt machine,
// whose plain mirror keeps only its newest copy. Planned only: nothing runs.
const SOURCE =
  '\n[source "data"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = data\n';
const COLLECT_POINTS: Record<string, string> = {
  subversion: `[point]\nengine = subversion\nlocal_path = {root}/collect\nremote_url = svn://127.0.0.1:1/repo\n${SOURCE}`,
  git: `[point]\nengine = git\nlocal_path = {root}/collect\n${SOURCE}`,
  files: `[point]\nengine = files\nlocal_path = {root}/collect\n${SOURCE}`,
};
const AT = '2026-03-02T04:00:00Z';

describe('restore --at with no state recording a copy that old', () => {
  let box: Sandbox;
  beforeEach(() => {
    box = makeSandbox('polyarchiv-restore-choice-');
  });
  afterEach(() => box.remove());

  const plan = (
    engine: string,
    more: readonly string[],
    files: Record<string, string> = {},
    withAt = true,
  ) => {
    box.write({
      'config/journal.collect': COLLECT_POINTS[engine] ?? '',
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
      'data/a.txt': 'a\n',
      ...files,
    });
    return runCli([
      'plan',
      '--restore',
      '--format',
      'text',
      ...(withAt ? ['--at', AT] : []),
      ...more,
      '-C',
      box.path('config'),
      '--set',
      `root=${box.root}`,
    ]);
  };

  it.each(['subversion', 'git'])(
    'fetches the newest copy of --from for a %s collect point, whose history holds the older one',
    (engine) => {
      const result = plan(engine, ['--from', 'mirror']);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(
        `chosen with --from mirror: no state file here records a copy of journal made at or before --at 2026-03-02T05:00:00+01:00 on it: its newest copy is fetched, and journal's history (a ${engine} repository) gives what its last run that started at or before --at committed`,
      );
      expect(result.stdout).toMatch(/^\+ fetch journal from backup point mirror/m);
      expect(result.stdout).toMatch(/^\+ restore sources of journal/m);
      expect(result.stdout).toContain(
        engine === 'git'
          ? 'check out the last commit of the collect directory made at or before 2026-03-02T04:00:00Z'
          : 'update the collect directory to the revision of the last run that started at or before 2026-03-02T04:00:00Z',
      );
    },
  );

  it('refuses it for a collect point that keeps only its last copy: the mirror holds nothing that old', () => {
    const result = plan('files', ['--from', 'mirror']);
    expect(result.stdout).toContain(
      'backup point mirror (--from) holds no copy made at or before 2026-03-02T05:00:00+01:00 of journal',
    );
    expect(result.stdout).not.toMatch(/^\+ fetch/m);
  });

  it('says that --from cannot help a collect point whose backup points keep only their newest copy', () => {
    const result = plan('files', []);
    expect(result.stdout).toContain(
      'no state file records a copy made at or before 2026-03-02T05:00:00+01:00 of journal on any of its backup points, and none of them (mirror) finds an older copy than its newest by itself: restore without --at',
    );
    expect(result.stdout).not.toMatch(/^\+ fetch/m);
  });

  it('names, for --from, only the backup points that find a copy of that time by themselves', () => {
    const result = plan('files', [], {
      'config/dated.backup':
        '[point]\nengine = archive\nremote_url = {root}/archives/{name}-{Y}{m}{d}.tar.gz\n',
    });
    expect(result.stdout).toContain(
      'no state file records a copy made at or before 2026-03-02T05:00:00+01:00 of journal on any of its backup points (--from NAME chooses one of: dated)',
    );
  });

  it('asks which backup point without --at nor --from when several could give the copy', () => {
    const result = plan(
      'files',
      [],
      {
        'config/other.backup': '[point]\nengine = synchronize\nremote_url = {root}/other/{name}\n',
      },
      false,
    );
    expect(result.stdout).toContain(
      'no state file records a successful backup of journal on any of its backup points (--from NAME chooses one of: mirror, other)',
    );
    expect(result.stdout).not.toMatch(/^\+ fetch/m);
    // Said on the terminal too: a script written for a restore would only fail.
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      'polyarchiv: warning: restore sources of journal cannot run: no state file records a successful backup of journal on any of its backup points (--from NAME chooses one of: mirror, other) (journal.collect:1 [point]); the plan records it as a failure\n',
    );
  });

  it('takes the only backup point when no state of it or of the collect point is here', () => {
    const result = plan('files', [], {}, false);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      'no state file of journal or of mirror is on this machine: mirror, its only backup point, gives its newest copy',
    );
    expect(result.stdout).toMatch(/^\+ fetch journal from backup point mirror/m);
  });

  it('still asks when a state here records only failures of the only backup point', () => {
    box.write({
      'collect/metadata/remote-mirror/remote/mirror.json': JSON.stringify({
        last_fail: '2026-03-01T00:00:00+00:00',
      }),
    });
    const result = plan('files', [], {}, false);
    expect(result.stdout).toContain('--from NAME chooses one of: mirror');
    expect(result.stdout).not.toMatch(/^\+ fetch/m);
  });

  it('asks which backup point without --from: no state here names one', () => {
    const result = plan('git', []);
    expect(result.stdout).toContain('--from NAME chooses one of: mirror');
    expect(result.stdout).not.toMatch(/^\+ fetch/m);
  });
});
