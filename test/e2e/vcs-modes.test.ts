import { chmodSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type GitCase, gitCase, runPoint } from '../helpers/git-case.js';
import type { Sandbox } from '../helpers/sandbox.js';
import { runSvn, type SvnCase, svnCase, svnRepository, youngest } from '../helpers/svn-case.js';
import { haveTools } from '../helpers/tools.js';
import { modesOf as modes, shapeTree } from '../helpers/tree-modes.js';

/** The paths below `root` of the files named `name`. */
const filesNamed = (root: string, name: string): string[] =>
  (readdirSync(root, { recursive: true }) as string[]).filter((path) => basename(path) === name);

const canRun = haveTools('git', 'svn', 'svnadmin', 'rsync', 'flock', 'bash', 'sha256sum');

describe.runIf(canRun).each(['apply', 'script'] as const)(
  'modes after a restore on a rebuilt machine, through %s',
  (backend) => {
    let box: Sandbox | undefined;
    afterEach(() => box?.remove());

    it('git: modes, owners and empty directories come back from the git backup point', () => {
      const t: GitCase = gitCase((b) => b.path('remote/journal.git'));
      box = t.box;
      shapeTree(t.box.path('data'));
      const backup = runPoint(t, backend);
      expect(backup.code, backup.stdout + backup.stderr).toBe(0);
      // What the manifest was sorted from is gone with the unit; the manifest is committed.
      expect(filesNamed(t.box.root, 'modes.listing')).toEqual([]);
      // The manifest is the same for the same tree: a run with nothing changed commits nothing.
      const again = runPoint(t, backend);
      expect(again.code, again.stdout + again.stderr).toBe(0);
      expect(again.stdout + again.stderr).toContain('nothing changed since the last commit');
      const saved = modes(t.box.path('data'));
      rmSync(t.box.path('collect'), { recursive: true });
      rmSync(t.box.path('data'), { recursive: true });
      const restore = runPoint(t, backend, 'restore');
      expect(restore.code, restore.stdout + restore.stderr).toBe(0);
      expect(modes(t.box.path('data'))).toEqual(saved);
      expect(modes(`${t.local}/files`)).toEqual(saved);
      // The manifest stays in the collect directory.
      expect(existsSync(t.box.path('data/.polyarchiv-modes'))).toBe(false);
    });

    it("git: restore --at from the collect point's own history gives the modes of that commit", () => {
      const t: GitCase = gitCase((b) => b.path('remote/journal.git'));
      box = t.box;
      shapeTree(t.box.path('data'));
      const days: Record<number, string[]> = {};
      for (const day of [1, 2]) {
        if (day === 2) {
          chmodSync(t.box.path('data/sub/secret.txt'), 0o600);
          chmodSync(t.box.path('data/sub'), 0o700);
          rmSync(t.box.path('data/lone'), { recursive: true });
        }
        const backup = runPoint(t, backend, 'backup', { GIT_COMMITTER_DATE: `2026-03-0${day}T03:00:00Z` });
        expect(backup.code, backup.stdout + backup.stderr).toBe(0);
        days[day] = modes(t.box.path('data'));
      }
      expect(days[2]).not.toEqual(days[1]);
      rmSync(t.box.path('data'), { recursive: true });
      const restore = runPoint(t, backend, 'restore', {}, ['--at', '2026-03-01T04:00:00Z'], null);
      expect(restore.code, restore.stdout + restore.stderr).toBe(0);
      expect(modes(t.box.path('data'))).toEqual(days[1]);
    });

    it('subversion: modes, owners and empty directories come back from the repository', () => {
      const t: SvnCase = svnCase('file://{root}/repo', '');
      box = t.box;
      svnRepository(t.box.path('repo'));
      shapeTree(t.box.path('data'), false);
      const backup = runSvn(t, backend);
      expect(backup.code, backup.stdout + backup.stderr).toBe(0);
      expect(filesNamed(t.box.root, 'modes.listing')).toEqual([]);
      const again = runSvn(t, backend);
      expect(again.code, again.stdout + again.stderr).toBe(0);
      expect(youngest(t.box.path('repo'))).toBe(1);
      const saved = modes(t.box.path('data'));
      rmSync(t.box.path('collect'), { recursive: true });
      rmSync(t.box.path('data'), { recursive: true });
      const restore = runSvn(t, backend, 'restore');
      expect(restore.code, restore.stdout + restore.stderr).toBe(0);
      expect(modes(t.box.path('data'))).toEqual(saved);
      expect(modes(`${t.local}/files`)).toEqual(saved);
      // The manifest stays in the collect directory.
      expect(existsSync(t.box.path('data/.polyarchiv-modes'))).toBe(false);
    });
  },
);
