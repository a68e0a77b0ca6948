import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { branchLog, git, gitCase, JOURNAL_COLLECT, runPoint as run } from '../helpers/git-case.js';
import type { Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';

const canRun = haveTools('git', 'rsync', 'flock', 'bash', 'sha256sum');

/** The files of branch backups/journal of the remote, below `files/`. */
function remoteFiles(remote: string): string[] {
  return git(['--git-dir', remote, 'ls-tree', '-r', '-z', '--name-only', 'backups/journal'])
    .split('\0')
    .filter(Boolean)
    .map((name) => name.replace(/^files\//, ''))
    .sort();
}

describe.runIf(canRun).each(['apply', 'script'] as const)(
  "a git collect point's files, whatever git's own rules say, through %s",
  { timeout: 600_000 },
  (backend) => {
    let box: Sandbox | undefined;
    afterEach(() => box?.remove());

    it('backs up what .gitignore files and the user ignore, byte for byte whatever .gitattributes and core.autocrlf say, and restores it so', () => {
      const t = gitCase((b) => `${b.path('remote')}/{name}.git`);
      box = t.box;
      t.box.write({
        'data/.gitignore': '*.log\nsecret/\n',
        'data/app.log': 'kept\n',
        'data/secret/key': 'key\n',
        'data/db.bak': 'bak\n',
        'data/.gitattributes': '*.txt text eol=crlf\n*.id ident\n',
        'data/lf.txt': 'one\ntwo\n',
        'data/crlf.dat': 'one\r\ntwo\r\n',
        'data/ident.id': '$Id$\n',
        // The user's configuration: a global excludes file and end-of-line conversion.
        'home/.gitconfig': '[core]\n\tautocrlf = true\n',
        'home/.config/git/ignore': '*.bak\n',
      });
      const backup = run(t, backend);
      expect(backup.code, backup.stdout + backup.stderr).toBe(0);
      for (const name of [
        '.gitignore',
        '.gitattributes',
        'app.log',
        'secret/key',
        'db.bak',
        'lf.txt',
        'crlf.dat',
      ])
        expect(remoteFiles(t.remote)).toContain(name);
      expect(git(['--git-dir', t.remote, 'show', 'backups/journal:files/crlf.dat'])).toBe('one\r\ntwo\r\n');

      // A rebuilt machine: the files come back from the remote as they were.
      const saved = fileContents(t.box.path('data'));
      rmSync(t.box.path('collect'), { recursive: true });
      rmSync(t.box.path('data'), { recursive: true });
      const restore = run(t, backend, 'restore');
      expect(restore.code, restore.stdout + restore.stderr).toBe(0);
      expect(fileContents(t.box.path('data'))).toEqual(saved);
    });

    it('says the backup point holds no copy when the remote lacks the branch, and changes nothing', () => {
      const t = gitCase((b) => `${b.path('remote')}/{name}.git`);
      box = t.box;
      const live = fileContents(t.box.path('data'));
      const restore = run(t, backend, 'restore');
      expect(restore.code).toBe(1);
      expect(restore.stdout + restore.stderr).toContain(
        `backup point "up" holds no copy of collect point "journal": ${t.remote} has no branch backups/journal`,
      );
      expect(restore.stdout + restore.stderr).not.toContain("couldn't find remote ref");
      expect(fileContents(t.box.path('data'))).toEqual(live);
      expect(existsSync(`${t.local}/.git`)).toBe(false);
    });

    it('commits a source that copied only an empty directory, which its manifest keeps and a restore makes again', () => {
      const t = gitCase((b) => `${b.path('remote')}/{name}.git`);
      box = t.box;
      rmSync(t.box.path('data'), { recursive: true });
      mkdirSync(t.box.path('data'));
      chmodSync(t.box.path('data'), 0o750);
      const empty = run(t, backend);
      expect(empty.code, empty.stdout + empty.stderr).toBe(0);
      expect(remoteFiles(t.remote)).toEqual(['.polyarchiv-modes']);

      rmSync(t.box.path('collect'), { recursive: true });
      rmSync(t.box.path('data'), { recursive: true });
      const restore = run(t, backend, 'restore');
      expect(restore.code, restore.stdout + restore.stderr).toBe(0);
      expect(readdirSync(t.box.path('data'))).toEqual([]);
      expect(statSync(t.box.path('data')).mode & 0o7777).toBe(0o750);

      writeFileSync(t.box.path('data/first.txt'), 'first\n');
      const first = run(t, backend);
      expect(first.code, first.stdout + first.stderr).toBe(0);
      expect(remoteFiles(t.remote)).toEqual(['.polyarchiv-modes', 'first.txt']);
    });

    it('fails the collect point, naming each, when a source brings anything named .git, and backs it up with exclude = .git', () => {
      const t = gitCase((b) => `${b.path('remote')}/{name}.git`);
      box = t.box;
      t.box.write({ 'data/project/main.c': 'int main;\n', 'data/odd/.git/HEAD': 'not a repository\n' });
      git(['init', '-q', t.box.path('data/project')]);
      const refused = run(t, backend);
      expect(refused.code).toBe(1);
      const said = refused.stdout + refused.stderr;
      expect(said).toContain(`${t.local}/files/project/.git: git cannot keep anything named .git`);
      expect(said).toContain(`${t.local}/files/odd/.git: git cannot keep anything named .git`);
      expect(said).toContain('exclude = .git');
      // Nothing was committed, nothing pushed.
      expect(branchLog(t.remote, 'backups/journal')).toEqual([]);
      expect(statSync(`${t.local}/.git`).isDirectory()).toBe(true);

      writeFileSync(t.box.path('config/journal.collect'), `${JOURNAL_COLLECT}exclude = .git\n`);
      // An exclude keeps what the copy already holds: the message says to delete it there.
      rmSync(`${t.local}/files/project/.git`, { recursive: true });
      rmSync(`${t.local}/files/odd/.git`, { recursive: true });
      const excluded = run(t, backend);
      expect(excluded.code, excluded.stdout + excluded.stderr).toBe(0);
      expect(remoteFiles(t.remote)).toContain('project/main.c');
      expect(remoteFiles(t.remote).filter((name) => name.includes('.git/'))).toEqual([]);
    });
  },
);
