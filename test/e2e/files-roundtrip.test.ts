import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { ODD_FILES, writeTree } from '../helpers/odd-files.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum');

/** A collect point in a hidden directory of the very directory its source copies. */
const COLLECT_POINT_INSIDE_ITS_SOURCE =
  '[point]\nengine = files\nlocal_path = {root}/data/.backups\n\n[source "all"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = all\n';

describe.runIf(canRun)('backup and restore of the files path, end to end', () => {
  let box: Sandbox;
  let args: string[];
  beforeEach(() => {
    box = makeSandbox('polyarchiv-e2e-');
    box.write({
      'config/site.collect': [
        '[point]',
        'engine = files',
        'local_path = {root}/collect/{name}',
        '',
        '[source "tree"]',
        'engine = local_files',
        'source_path = {root}/data',
        'destination_path = tree',
        'preserve_hard_links = yes',
        '',
      ].join('\n'),
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = file://{root}/mirror/{name}\n',
    });
    writeTree(box.path('data'), ODD_FILES);
    symlinkSync('plain.txt', box.path('data/link to plain'));
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
  });
  afterEach(() => box.remove());

  it('restores byte for byte with apply, after a change and a wipe of the source', () => {
    expect(runCli(['backup', ...args]).code).toBe(0);
    writeFileSync(box.path('data/plain.txt'), 'changed\n');
    unlinkSync(box.path('data/with space.txt'));
    writeFileSync(box.path('data/added later.txt'), 'added\n');
    const second = runCli(['backup', ...args]);
    expect(second.code, second.stderr).toBe(0);
    const expected = fileContents(box.path('data'));
    expect(fileContents(box.path('mirror/site/tree'))).toEqual(expected);
    // What the collect point holds: the copy's files (each name of a hard-linked file, as the
    // copy counted them) and du of the rest, which the copy's tree is not part of.
    const du = (path: string) =>
      Number.parseInt(spawnSync('du', ['-s', '-b', '--', box.path(path)], { encoding: 'utf8' }).stdout, 10);
    const listed = spawnSync(
      'find',
      [box.path('collect/site/backups/tree'), '-type', 'f,l', '-printf', '%s\n'],
      {
        encoding: 'utf8',
      },
    );
    const copied = listed.stdout.split('\n').reduce((sum, size) => sum + Number(size), 0);
    const state = JSON.parse(readFileSync(box.path('collect/site/metadata/collect_point/site.json'), 'utf8'));
    expect(state.total_size).toBe(du('collect/site/backups') - du('collect/site/backups/tree') + copied);
    expect(state.total_size).toBeGreaterThan(copied);

    rmSync(box.path('data'), { recursive: true });
    rmSync(box.path('collect'), { recursive: true });
    // A time names a recorded copy: with the record gone, the point --from names holds none.
    const at = runCli(['restore', '--yes', '--from', 'mirror', '--at', '2026-01-01T00:00:00Z', ...args]);
    expect(at.code).toBe(1);
    expect(at.stderr).toMatch(
      /cannot run: restore sources of site: backup point mirror \(--from\) holds no copy made at or before 2026-01-01T\S+ of site\n/,
    );
    // The records went with the collect point, and its only backup point has none here either:
    // a new machine has nothing to choose between, so that point gives its newest copy.
    const plan = runCli(['plan', '--restore', '--format', 'text', ...args]);
    expect(plan.stdout).toContain(
      'no state file of site or of mirror is on this machine: mirror, its only backup point, gives its newest copy',
    );
    const restore = runCli(['restore', '--yes', ...args]);
    expect(restore.code, restore.stderr).toBe(0);
    // The choice is said before anything is fetched, as the plan says it.
    expect(restore.stderr).toContain(
      'polyarchiv: fetch:mirror/site\npolyarchiv:   no state file of site or of mirror is on this machine: mirror, its only backup point, gives its newest copy\npolyarchiv:   1/5 ',
    );
    expect(fileContents(box.path('data'))).toEqual(expected);
    expect(readFileSync(box.path('data/plain.txt'), 'utf8')).toBe('changed\n');
  });

  it('restores byte for byte with the rendered scripts', () => {
    const backup = runCli(['plan', ...args]);
    expect(backup.code, backup.stderr).toBe(0);
    writeFileSync(box.path('backup.sh'), backup.stdout);
    const run = spawnSync('bash', [box.path('backup.sh')], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const expected = fileContents(box.path('data'));

    rmSync(box.path('data'), { recursive: true });
    rmSync(box.path('collect/site/backups'), { recursive: true });
    const restore = runCli(['plan', '--restore', ...args]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toContain('fetch:mirror/site');
    writeFileSync(box.path('restore.sh'), restore.stdout);
    const restored = spawnSync('bash', [box.path('restore.sh'), '--yes'], { encoding: 'utf8' });
    expect(restored.status, restored.stderr).toBe(0);
    expect(restored.stderr).toMatch(
      /polyarchiv: fetch:mirror\/site\npolyarchiv: {3}the most recent success of site \(\d{4}-\d\d-\d\dT[\d:]+[+-]\d\d:\d\d\)\npolyarchiv: {3}1\/5 /,
    );
    expect(fileContents(box.path('data'))).toEqual(expected);
  });

  it('does not copy a collect point that lives inside the directory it backs up', () => {
    box.write({
      'config/site.collect': COLLECT_POINT_INSIDE_ITS_SOURCE,
    });
    const first = runCli(['backup', ...args]);
    expect(first.code, first.stderr).toBe(0);
    expect(runCli(['backup', ...args]).code).toBe(0);
    const copied = Object.keys(fileContents(box.path('data/.backups/backups/all')));
    expect(copied.some((name) => name.startsWith('.backups'))).toBe(false);
    expect(copied).toContain('plain.txt');
  });

  it('restores into the directory it backs up without deleting the collect point inside it', () => {
    box.write({
      'config/site.collect': COLLECT_POINT_INSIDE_ITS_SOURCE,
    });
    expect(runCli(['backup', ...args]).code).toBe(0);
    const expected = fileContents(box.path('data/.backups/backups/all'));
    writeFileSync(box.path('data/added later.txt'), 'added\n');
    const restored = runCli(['restore', '--yes', '--from', 'mirror', ...args]);
    expect(restored.code, restored.stderr).toBe(0);
    const kept = fileContents(box.path('data'));
    expect(Object.keys(kept).filter((name) => !name.startsWith('.backups'))).toEqual(Object.keys(expected));
    // The collect point, its state and the copy it was restored from are still there.
    expect(fileContents(box.path('data/.backups/backups/all'))).toEqual(expected);
    expect(readFileSync(box.path('data/.backups/metadata/collect_point/site.json'), 'utf8')).toContain(
      'last_success',
    );
    // And through the script.
    writeFileSync(box.path('data/added again.txt'), 'added\n');
    const script = runCli(['plan', '--restore', '--from', 'mirror', ...args]);
    writeFileSync(box.path('restore.sh'), script.stdout);
    const run = spawnSync('bash', [box.path('restore.sh'), '--yes'], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(fileContents(box.path('data/.backups/backups/all'))).toEqual(expected);
    expect(
      Object.keys(fileContents(box.path('data'))).filter((name) => !name.startsWith('.backups')),
    ).toEqual(Object.keys(expected));
  });

  it('does not copy a collect point that reaches into the directory it backs up through a symlink', () => {
    symlinkSync(box.path('data'), box.path('alias'));
    box.write({
      'config/site.collect':
        '[point]\nengine = files\nlocal_path = {root}/alias/.backups\n\n[source "all"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = all\n',
    });
    const first = runCli(['backup', ...args]);
    expect(first.code, first.stderr).toBe(0);
    expect(runCli(['backup', ...args]).code).toBe(0);
    const copied = Object.keys(fileContents(box.path('data/.backups/backups/all')));
    expect(copied.some((name) => name.startsWith('.backups'))).toBe(false);
    expect(copied).toContain('plain.txt');
  });

  it('restores a dated backup with the variables its run recorded, not those of today', () => {
    box.write({
      'config/mirror.backup':
        '[point]\nengine = synchronize\nremote_url = {root}/vault/{name}/{Y}-{m}-{d}_{H}{M}\n',
    });
    const backup = runCli(['backup', ...args, '--now', '2026-03-10T04:05:06+01:00']);
    expect(backup.code, backup.stderr).toBe(0);
    const expected = fileContents(box.path('data'));
    expect(fileContents(box.path('vault/site/2026-03-10_0405/tree'))).toEqual(expected);
    rmSync(box.path('data'), { recursive: true });
    rmSync(box.path('collect/site/backups'), { recursive: true });
    const restore = runCli(['restore', '--yes', ...args, '--now', '2026-04-01T12:00:00+02:00']);
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stderr).not.toMatch(/warning/);
    expect(fileContents(box.path('data'))).toEqual(expected);

    // A later mirror: the state records its time, and --at before it finds the earlier one there,
    // with no --from: the state records no copy that old, the mirror's dated names do.
    writeFileSync(box.path('data/plain.txt'), 'later\n');
    const later = runCli(['backup', ...args, '--now', '2026-03-11T04:05:06+01:00']);
    expect(later.code, later.stderr).toBe(0);
    const earlier = runCli(['restore', '--yes', '--at', '2026-03-10T12:00:00+01:00', ...args]);
    expect(earlier.code, earlier.stderr).toBe(0);
    expect(earlier.stderr).toContain(`the newest there: ${box.path('vault/site/2026-03-10_0405')}/`);
    expect(fileContents(box.path('data'))).toEqual(expected);
    rmSync(box.path('vault/site/2026-03-11_0405'), { recursive: true });

    // A rebuilt machine has no record of that time: the restore finds the newest mirror there.
    rmSync(box.path('collect'), { recursive: true });
    rmSync(box.path('data'), { recursive: true });
    const rebuilt = runCli([
      'restore',
      '--yes',
      '--from',
      'mirror',
      ...args,
      '--now',
      '2026-04-01T12:00:00+02:00',
    ]);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.stderr).not.toMatch(/warning/);
    expect(rebuilt.stderr).toContain(`the newest there: ${box.path('vault/site/2026-03-10_0405')}/`);
    expect(fileContents(box.path('data'))).toEqual(expected);
    expect(fileContents(box.path('vault/site/2026-03-10_0405/tree'))).toEqual(expected);
  });

  it('warns that a mirror named by its weekday alone is read by the name of this run on a rebuilt machine', () => {
    box.write({
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = {root}/vault/{name}-{A}\n',
    });
    const backup = runCli(['backup', ...args, '--now', '2026-03-10T04:05:06+01:00']);
    expect(backup.code, backup.stderr).toBe(0);
    const expected = fileContents(box.path('data'));
    rmSync(box.path('collect'), { recursive: true });
    const rebuilt = runCli([
      'restore',
      '--yes',
      '--from',
      'mirror',
      ...args,
      '--now',
      '2026-03-12T12:00:00+01:00',
    ]);
    expect(rebuilt.code).toBe(1);
    expect(rebuilt.stderr).toContain(
      `warning: backup point mirror names its copy of site by the time of the backup ({A} in remote_url), which no state here recorded and which orders no copies: this restore reads ${box.path('vault/site-Thursday')}, the name of this run's time`,
    );
    expect(rebuilt.stderr).toContain('  at mirror.backup:3 [point]');
    expect(fileContents(box.path('data'))).toEqual(expected);
  });

  it('refuses --at older than the only copy of a collect point without backup point, changing nothing', () => {
    rmSync(box.path('config/mirror.backup'));
    const backup = runCli(['backup', ...args, '--now', '2026-03-10T04:05:06+01:00']);
    expect(backup.code, backup.stderr).toBe(0);
    const backedUp = fileContents(box.path('data'));
    writeFileSync(box.path('data/plain.txt'), 'changed since\n');
    const live = fileContents(box.path('data'));
    const refusal =
      'cannot run: restore sources of site: site has no backup point, and its own copy (the only one it keeps) was made 2026-03-10T04:05:06+01:00, after --at 2026-03-10T04:05:05+01:00';
    const before = ['--at', '2026-03-10T04:05:05+01:00'];
    const applied = runCli(['restore', '--yes', ...args, ...before], { TZ: 'Europe/Paris' });
    expect(applied.code).toBe(1);
    expect(applied.stderr).toContain(refusal);
    const plan = runCli(['plan', '--restore', ...args, ...before], { TZ: 'Europe/Paris' });
    expect(plan.code, plan.stderr).toBe(0);
    writeFileSync(box.path('restore.sh'), plan.stdout);
    const script = spawnSync('bash', [box.path('restore.sh'), '--yes'], { encoding: 'utf8' });
    expect(script.status).toBe(1);
    expect(script.stderr).toContain(refusal);
    expect(fileContents(box.path('data'))).toEqual(live);

    // At the very time of the copy, the copy is not after --at: it is restored.
    const at = runCli(['restore', '--yes', ...args, '--at', '2026-03-10T04:05:06+01:00'], {
      TZ: 'Europe/Paris',
    });
    expect(at.code, at.stderr).toBe(0);
    expect(fileContents(box.path('data'))).toEqual(backedUp);
  });

  it.each(['apply', 'script'] as const)(
    'restores nothing of a collect point none of whose backup points --only-backup-points selects (%s)',
    (backend) => {
      box.write({
        'config/mirror.backup':
          '[point]\nengine = synchronize\nremote_url = file://{root}/mirror/{name}\nexcluded_collect_point_tags = other\n',
        'config/other.collect': [
          '[point]',
          'engine = files',
          'local_path = {root}/collect/{name}',
          'collect_point_tags = other',
          '',
          '[source "notes"]',
          'engine = local_files',
          'source_path = {root}/notes',
          'destination_path = notes',
          '',
        ].join('\n'),
        'config/vault.backup':
          '[point]\nengine = synchronize\nremote_url = {root}/vault/{name}\nincluded_collect_point_tags = other\nexcluded_collect_point_tags = collect\n',
        'notes/today.txt': 'backed up\n',
      });
      const backup = runCli(['backup', ...args]);
      expect(backup.code, backup.stderr).toBe(0);
      const saved = fileContents(box.path('data'));
      writeFileSync(box.path('data/plain.txt'), 'lost\n');
      writeFileSync(box.path('notes/today.txt'), 'written since, kept\n');
      const selected = [...args, '--only-backup-points', 'mirror'];
      let restore: { code: number; stderr: string };
      if (backend === 'apply') restore = runCli(['restore', '--yes', ...selected]);
      else {
        const plan = runCli(['plan', '--restore', '--out', box.path('restore.sh'), ...selected]);
        expect(plan.code, plan.stderr).toBe(0);
        const run = spawnSync('bash', [box.path('restore.sh'), '--yes'], { encoding: 'utf8' });
        restore = { code: run.status ?? -1, stderr: run.stderr };
      }
      expect(restore.code, restore.stderr).toBe(0);
      expect(fileContents(box.path('data'))).toEqual(saved);
      expect(readFileSync(box.path('notes/today.txt'), 'utf8')).toBe('written since, kept\n');
      if (backend === 'apply')
        expect(restore.stderr).toContain(
          'not run: restore sources of other: --only-backup-points selects none of the backup points of other',
        );
    },
  );

  it.each(['apply', 'script'] as const)(
    'restores with --skip-collect into the collect point only, and with --skip-backup from it alone (%s)',
    (backend) => {
      const backup = runCli(['backup', ...args]);
      expect(backup.code, backup.stderr).toBe(0);
      const saved = fileContents(box.path('data'));
      const restore = (extra: readonly string[]) => {
        if (backend === 'apply') return runCli(['restore', '--yes', ...args, ...extra]);
        const plan = runCli(['plan', '--restore', '--out', box.path('restore.sh'), ...args, ...extra]);
        expect(plan.code, plan.stderr).toBe(0);
        const run = spawnSync('bash', [box.path('restore.sh'), '--yes'], { encoding: 'utf8' });
        return { code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
      };
      // The collect point lost, the live data changed: --skip-collect fetches, and leaves the data.
      rmSync(box.path('collect'), { recursive: true });
      writeFileSync(box.path('data/plain.txt'), 'changed since the backup\n');
      const live = fileContents(box.path('data'));
      const fetched = restore(['--from', 'mirror', '--skip-collect']);
      expect(fetched.code, fetched.stderr).toBe(0);
      expect(fileContents(box.path('data'))).toEqual(live);
      expect(fileContents(box.path('collect/site/backups/tree'))).toEqual(saved);
      // The mirror gone: --skip-backup restores from the collect point alone.
      rmSync(box.path('mirror'), { recursive: true });
      const local = restore(['--skip-backup']);
      expect(local.code, local.stderr).toBe(0);
      expect(fileContents(box.path('data'))).toEqual(saved);
    },
  );

  it('accepts list options over continuation lines', () => {
    box.write({
      'config/mirror.backup':
        '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\nincluded_collect_point_tags = nothing,\n    collect\n',
      'config/site.collect': readFileSync(box.path('config/site.collect'), 'utf8').replace(
        'engine = files',
        'engine = files\ncollect_point_tags = web,\n  collect\nincluded_backup_point_tags = none',
      ),
    });
    const plan = runCli(['plan', '--format', 'text', ...args]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('+ backup point mirror of site');
  });

  it('keeps the previous good mirror when the new copy fails', () => {
    expect(runCli(['backup', ...args]).code).toBe(0);
    const good = fileContents(box.path('mirror/site'));
    writeFileSync(box.path('data/plain.txt'), 'changed\n');
    // A vanished source makes rsync fail (exit 23) before it changes anything.
    rmSync(box.path('data'), { recursive: true });
    const failed = runCli(['backup', ...args]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      /failed with exit code \d+: step \d of \d at site\.collect:\d+ \[source "tree"\]/,
    );
    expect(fileContents(box.path('mirror/site'))).toEqual(good);
    const state = JSON.parse(readFileSync(box.path('collect/site/metadata/collect_point/site.json'), 'utf8'));
    expect(state).toMatchObject({ last_state_valid: false, success_count: 1, fail_count: 1 });
    expect(state.last_message).toMatch(
      /^failed with exit code \d+: step \d of \d at site\.collect:\d+ \[source "tree"\]$/,
    );
    expect(failed.stderr).toContain('backup:mirror/site: skipped, collect:site did not succeed');
  });
});
