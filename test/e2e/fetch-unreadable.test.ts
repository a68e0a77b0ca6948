import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { git, gitCase, runPoint } from '../helpers/git-case.js';
import { configure as configureRestic, damageSnapshot, run as runRestic } from '../helpers/restic-case.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { serverPerSuite } from '../helpers/server-per-suite.js';
import { runAs, writeScript } from '../helpers/service-targets.js';
import { runSvn, svnCase, svnRepository } from '../helpers/svn-case.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';
import { TREE_SITE } from '../helpers/tree-site.js';
import { haveSshd, startSshd } from '../servers/sshd.js';
import { haveWebdav, startWebdav } from '../servers/webdav.js';

const HOWS = ['apply', 'script'] as const;

const ELSEWHERE = "another backup point's copy: run the restore again with --from ITS_NAME";

/**
 * A restore whose fetch cannot read the copy: it fails at the step that reads it, after the tool's
 * own lines, saying which copy of which backup point could not be read, what it left unchanged
 * and where to turn. (A restore records no state: the words are the unit's failure, said once.)
 */
function expectUnreadable(restore: { code: number; stderr: string }, message: string, step: RegExp): void {
  expect(restore.code, restore.stderr).toBe(1);
  expect(restore.stderr).toMatch(
    new RegExp(`\npolyarchiv: {3}${escaped(message)}\npolyarchiv: {3}${step.source}\n`),
  );
  expect(restore.stderr.split(message)).toHaveLength(2);
}

const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe.runIf(haveTools('rsync', 'flock', 'bash') && haveSshd())(
  'a mirror over ssh whose server is gone',
  () => {
    const sshd = serverPerSuite(startSshd);
    let box: Sandbox;
    beforeEach(() => {
      box = makeSandbox('polyarchiv-unreadable-ssh-');
      box.write({ 'data/page.txt': 'page\n', 'config/site.collect': TREE_SITE });
    });
    afterEach(async () => {
      box.remove();
      await sshd().start();
    });

    for (const how of HOWS) {
      it(`says which copy could not be read, and records it (${how})`, async () => {
        box.write({
          'config/bp.backup': [
            '[point]',
            'engine = synchronize',
            `remote_url = ssh://root@127.0.0.1:${sshd().port}{root}/mirror/{name}`,
            `private_key = ${sshd().clientKey}`,
            `ssh_options = ${sshd().sshOptions} -p ${sshd().port}`,
            '',
          ].join('\n'),
        });
        const args = ['-C', box.path('config'), '--set', `root=${box.root}`];
        expect(runAs(box, how, 'backup', args).code).toBe(0);
        box.write({ 'data/page.txt': 'changed since\n' });
        const copy = fileContents(box.path('collect/site/backups'));
        const live = fileContents(box.path('data'));
        await sshd().stop();

        const restore = runAs(box, how, 'restore', [...args, '--from', 'bp']);
        expectUnreadable(
          restore,
          `the copy of "site" at 127.0.0.1:${box.path('mirror/site')} (backup point "bp") could not be read (ssh says why above): collect point "site" and the live data were not changed; ${ELSEWHERE}`,
          /failed with exit code 255: step \d+ of \d+ at bp\.backup:3 \[point\]/,
        );
        expect(restore.stderr).toMatch(/Connection refused/);
        expect(fileContents(box.path('collect/site/backups'))).toEqual(copy);
        expect(fileContents(box.path('data'))).toEqual(live);
      }, 60_000);
    }
  },
);

describe.runIf(haveTools('git', 'rsync', 'flock', 'bash', 'sha256sum')).each(HOWS)(
  'a git backup point whose repository cannot be read (%s)',
  { timeout: 300_000 },
  (how) => {
    let box: Sandbox | undefined;
    afterEach(() => box?.remove());

    const backedUp = () => {
      const t = gitCase((b) => `${b.path('remote')}/{name}.git`);
      box = t.box;
      const backup = runPoint(t, how);
      expect(backup.code, backup.stderr).toBe(0);
      box.write({ 'data/day.txt': 'changed since\n' });
      return { t, copy: fileContents(t.local), live: fileContents(t.box.path('data')) };
    };
    const message = (t: ReturnType<typeof backedUp>['t']) =>
      `the copy of "journal" at branch backups/journal of ${t.box.path('remote/journal.git')} (backup point "up") could not be read (git says why above): collect point "journal" and the live data were not changed; ${ELSEWHERE}`;

    it('a repository that is gone', () => {
      const { t, copy, live } = backedUp();
      rmSync(t.remote, { recursive: true });
      const restore = runPoint(t, how, 'restore');
      expectUnreadable(
        restore,
        message(t),
        /failed with exit code 128: step \d+ of \d+ at up\.backup:3 \[point\]/,
      );
      expect(restore.stderr).toMatch(/does not appear to be a git repository/);
      expect(fileContents(t.local)).toEqual(copy);
      expect(fileContents(t.box.path('data'))).toEqual(live);
    });

    it('a repository whose objects are damaged', () => {
      const { t, copy, live } = backedUp();
      // Its refs still list the branch; the objects it names are gone.
      const objects = `${t.remote}/objects`;
      for (const name of readdirSync(objects))
        if (/^[0-9a-f]{2}$/.test(name)) rmSync(`${objects}/${name}`, { recursive: true });
      rmSync(t.local, { recursive: true });
      const restore = runPoint(t, how, 'restore');
      expectUnreadable(
        restore,
        message(t),
        /failed with exit code \d+: step \d+ of \d+ at up\.backup:3 \[point\]/,
      );
      expect(fileContents(t.box.path('data'))).toEqual(live);
      expect(copy).not.toEqual({});
    });

    it('no commit at or before --at: said and recorded', () => {
      const { t, live } = backedUp();
      const restore = runPoint(t, how, 'restore', {}, ['--at', '2000-01-01T00:00:00Z']);
      const none = `no commit of branch backups/journal of ${t.box.path('remote/journal.git')} was made at or before 2000-01-01T00:00:00Z: nothing was restored`;
      expectUnreadable(restore, none, /failed with exit code \d+: step \d+ of \d+ at up\.backup:3 \[point\]/);
      expect(fileContents(t.box.path('data'))).toEqual(live);
      expect(git(['--git-dir', t.remote, 'rev-parse', 'backups/journal']).trim()).toMatch(/^[0-9a-f]{40}$/);
    });
  },
);

describe.runIf(haveTools('svn', 'svnadmin', 'rsync', 'flock', 'bash', 'sha256sum')).each(HOWS)(
  'a subversion collect point whose repository cannot be read (%s)',
  { timeout: 300_000 },
  (how) => {
    let box: Sandbox | undefined;
    afterEach(() => box?.remove());

    it.each([
      ['a repository that is gone: said after svn, before any source changes', false],
      ['a repository that is gone, and no working copy to relocate: said after the checkout', true],
    ])('%s', (_, withoutWorkingCopy) => {
      const t = svnCase('file://{root}/repo', '');
      box = t.box;
      svnRepository(t.box.path('repo'));
      const backup = runSvn(t, how);
      expect(backup.code, backup.stderr).toBe(0);
      box.write({ 'data/day.txt': 'changed since\n' });
      const live = fileContents(t.box.path('data'));
      rmSync(t.box.path('repo'), { recursive: true });
      if (withoutWorkingCopy) rmSync(t.box.path('collect'), { recursive: true });
      const restore = runSvn(t, how, 'restore');
      expectUnreadable(
        restore,
        `the repository file://${t.box.path('repo')} of collect point "journal" could not be read (svn says why above): the live data were not changed`,
        /failed with exit code 1: step \d+ of \d+ at journal\.collect:4 \[point\]/,
      );
      expect(restore.stderr).toMatch(/svn: E\d+:/);
      expect(fileContents(t.box.path('data'))).toEqual(live);
    });

    it('a restore --at whose revisions cannot be read: said after svn, before any source changes', () => {
      const t = svnCase('file://{root}/repo', '');
      box = t.box;
      svnRepository(t.box.path('repo'));
      const backup = runSvn(t, how);
      expect(backup.code, backup.stderr).toBe(0);
      box.write({ 'data/day.txt': 'changed since\n' });
      const live = fileContents(t.box.path('data'));
      // The repository is there (the relocate reads its root); the revision the backup made is gone.
      rmSync(t.box.path('repo/db/revs/0/1'));
      const restore = runSvn(t, how, 'restore', ['--at', new Date(Date.now() + 3_600_000).toISOString()]);
      expectUnreadable(
        restore,
        `the repository file://${t.box.path('repo')} of collect point "journal" could not be read (svn says why above): the live data were not changed`,
        /failed with exit code 1: step \d+ of \d+ at journal\.collect:4 \[point\]/,
      );
      expect(fileContents(t.box.path('data'))).toEqual(live);
    });
  },
);

describe.runIf(haveTools('restic', 'jq', 'rsync', 'flock', 'bash')).each(HOWS)(
  'a restic backup point whose repository cannot be opened (%s)',
  { timeout: 300_000 },
  (how) => {
    let box: Sandbox | undefined;
    afterEach(() => box?.remove());

    it('a repository that is gone: said after restic, at the first step that opens it', async () => {
      box = makeSandbox('polyarchiv-unreadable-restic-');
      configureRestic(box);
      const backup = await runRestic(box, how, 'backup', '2026-03-01T03:00:00Z');
      expect(backup.code, backup.stderr).toBe(0);
      box.write({ 'data/index.html': 'changed since\n' });
      const copy = fileContents(box.path('collect/site/backups'));
      const live = fileContents(box.path('data'));
      rmSync(box.path('repo'), { recursive: true });
      const restore = await runRestic(box, how, 'restore', '2026-03-02T03:00:00Z');
      expectUnreadable(
        restore,
        `the copy of "site" at ${box.path('repo')} (backup point "vault") could not be read (restic says why above): collect point "site" and the live data were not changed; ${ELSEWHERE}`,
        /failed with exit code \d+: step \d+ of \d+ at vault\.backup:3 \[point\]/,
      );
      expect(fileContents(box.path('collect/site/backups'))).toEqual(copy);
      expect(fileContents(box.path('data'))).toEqual(live);
    });

    it('a repository damaged after the unlock read it: said after restic, at the snapshot list', async () => {
      box = makeSandbox('polyarchiv-unreadable-restic-');
      configureRestic(box);
      const backup = await runRestic(box, how, 'backup', '2026-03-01T03:00:00Z');
      expect(backup.code, backup.stderr).toBe(0);
      box.write({ 'data/index.html': 'changed since\n' });
      const copy = fileContents(box.path('collect/site/backups'));
      const live = fileContents(box.path('data'));
      failingTool(box, 'restic', 'snapshots', 1);
      const restore = await runRestic(box, how, 'restore', '2026-03-02T03:00:00Z');
      expectUnreadable(
        restore,
        `the copy of "site" at ${box.path('repo')} (backup point "vault") could not be read (restic says why above): collect point "site" and the live data were not changed; ${ELSEWHERE}`,
        /failed with exit code 1: step \d+ of \d+ at vault\.backup:3 \[point\]/,
      );
      expect(restore.stderr).toContain('restic: the connection was reset\n');
      expect(fileContents(box.path('collect/site/backups'))).toEqual(copy);
      expect(fileContents(box.path('data'))).toEqual(live);
    });

    it('a snapshot file overwritten with garbage: not "no copy", said after restic, at the snapshot list', async () => {
      box = makeSandbox('polyarchiv-unreadable-restic-');
      configureRestic(box);
      const backup = await runRestic(box, how, 'backup', '2026-03-01T03:00:00Z');
      expect(backup.code, backup.stderr).toBe(0);
      box.write({ 'data/index.html': 'changed since\n' });
      const copy = fileContents(box.path('collect/site/backups'));
      const live = fileContents(box.path('data'));
      const file = damageSnapshot(box.path('repo'), box.path('repo'));
      const restore = await runRestic(box, how, 'restore', '2026-03-02T03:00:00Z');
      expectUnreadable(
        restore,
        `the copy of "site" at ${box.path('repo')} (backup point "vault") could not be read (restic says why above): collect point "site" and the live data were not changed; ${ELSEWHERE}`,
        /failed with exit code \d+: step \d+ of \d+ at vault\.backup:3 \[point\]/,
      );
      expect(restore.stderr).toContain(`could not load snapshot ${file.slice(0, 8)}`);
      expect(restore.stderr).not.toContain('holds no');
      expect(fileContents(box.path('collect/site/backups'))).toEqual(copy);
      expect(fileContents(box.path('data'))).toEqual(live);
    });
  },
);

/**
 * A fetch that fails after its check found the copy (a server that goes away in between, a
 * connection cut): the tool given in `[global]` fails its transfer, as such a fetch would.
 */
function failingTool(
  box: Sandbox,
  tool: 'rclone' | 'rsync' | 'restic' | 'ssh',
  when: string,
  status = 7,
): void {
  box.write({
    [`failing-${tool}`]: [
      '#!/bin/sh',
      // A dry run (rsync -n, which measures a copy) still runs.
      `for word in "$@"; do if [ "$word" = -n ]; then exec /usr/bin/${tool} "$@"; fi; done`,
      `for word in "$@"; do case $word in ${when}) echo "${tool}: the connection was reset" >&2; exit ${status};; esac; done`,
      `exec /usr/bin/${tool} "$@"`,
      '',
    ].join('\n'),
    'config/tools.global': `[global]\n${tool}_executable = ${box.path(`failing-${tool}`)}\n`,
  });
  chmodSync(box.path(`failing-${tool}`), 0o755);
}

describe.runIf(haveWebdav() && haveTools('flock', 'bash', 'sha256sum'))(
  'a mirror on a WebDAV server whose fetch fails after its check',
  () => {
    const dav = serverPerSuite(() => startWebdav());
    let box: Sandbox;
    beforeEach(() => {
      box = makeSandbox('polyarchiv-unreadable-dav-');
      box.write({ 'data/page.txt': 'page\n', 'config/site.collect': TREE_SITE });
    });
    afterEach(() => box.remove());

    for (const how of HOWS) {
      it(`names the copy it could not fetch, and changes nothing (${how})`, () => {
        box.write({
          'config/bp.backup': `[point]\nengine = synchronize\nremote_url = ${dav().baseUrl}/{name}\n`,
        });
        const args = ['-C', box.path('config'), '--set', `root=${box.root}`];
        expect(runAs(box, how, 'backup', args).code).toBe(0);
        box.write({ 'data/page.txt': 'changed since\n' });
        const copy = fileContents(box.path('collect/site/backups'));
        const live = fileContents(box.path('data'));
        failingTool(box, 'rclone', 'sync');
        const restore = runAs(box, how, 'restore', args);
        expectUnreadable(
          restore,
          `the copy of "site" at http://127.0.0.1:${dav().port}/site (backup point "bp") could not be read (rclone says why above): collect point "site" and the live data were not changed; ${ELSEWHERE}`,
          /failed with exit code 7: step \d+ of \d+ at bp\.backup:3 \[point\]/,
        );
        expect(restore.stderr).toContain('rclone: the connection was reset\n');
        expect(fileContents(box.path('collect/site/backups'))).toEqual(copy);
        expect(fileContents(box.path('data'))).toEqual(live);
      }, 60_000);
    }
  },
);

describe.runIf(haveTools('rsync', 'flock', 'bash', 'tar', 'gzip') && haveSshd())(
  'a rolling archive over ssh whose fetch fails after its check',
  () => {
    const sshd = serverPerSuite(startSshd);
    let box: Sandbox;
    beforeEach(() => {
      box = makeSandbox('polyarchiv-unreadable-get-');
      box.write({ 'data/page.txt': 'page\n', 'config/site.collect': TREE_SITE });
    });
    afterEach(() => box.remove());

    for (const how of HOWS) {
      it(`names the archive it could not fetch, and the one before it (${how})`, () => {
        box.write({
          'config/bp.backup': [
            '[point]',
            'engine = rolling_archive',
            `remote_url = ssh://root@127.0.0.1:${sshd().port}{root}/rolled/{name}-{Y}{m}{d}{H}{M}{S}.tar.gz`,
            `private_key = ${sshd().clientKey}`,
            `ssh_options = ${sshd().sshOptions} -p ${sshd().port}`,
            '',
          ].join('\n'),
        });
        const args = ['-C', box.path('config'), '--set', `root=${box.root}`];
        for (const now of ['2026-03-01T03:00:00Z', '2026-03-02T03:00:00Z'])
          expect(runAs(box, how, 'backup', [...args, '--now', now]).code).toBe(0);
        // Named by the local time of each run.
        const [older = '', newer = ''] = readdirSync(box.path('rolled')).sort();
        box.write({ 'data/page.txt': 'changed since\n' });
        const copy = fileContents(box.path('collect/site/backups'));
        const live = fileContents(box.path('data'));
        failingTool(box, 'rsync', '*:*');
        const restore = runAs(box, how, 'restore', args);
        expectUnreadable(
          restore,
          `the copy of "site" at 127.0.0.1:${box.path('rolled', newer)} (backup point "bp") could not be read (rsync says why above): collect point "site" and the live data were not changed; the archive before it (${box.path('rolled', older)}): run the restore again with --at 2026-03-01T03:00:00Z`,
          /failed with exit code 7: step \d+ of \d+ at bp\.backup:3 \[point\]/,
        );
        expect(fileContents(box.path('collect/site/backups'))).toEqual(copy);
        expect(fileContents(box.path('data'))).toEqual(live);
      }, 60_000);
    }
  },
);

describe.runIf(haveTools('rsync', 'flock', 'bash', 'tar', 'gzip') && haveSshd())(
  'a rolling archive over ssh, with no state here, whose series cannot be read',
  () => {
    const sshd = serverPerSuite(startSshd);
    let box: Sandbox;
    beforeEach(() => {
      box = makeSandbox('polyarchiv-unreadable-series-');
      box.write({ 'data/page.txt': 'page\n', 'config/site.collect': TREE_SITE });
    });
    afterEach(() => box.remove());

    /** Two archives of the series, then the state that records them gone (a rebuilt machine). */
    const backedUp = (how: (typeof HOWS)[number]) => {
      box.write({
        'config/bp.backup': [
          '[point]',
          'engine = rolling_archive',
          `remote_url = ssh://root@127.0.0.1:${sshd().port}{root}/rolled/{name}-{Y}{m}{d}{H}{M}{S}.tar.gz`,
          `private_key = ${sshd().clientKey}`,
          `ssh_options = ${sshd().sshOptions} -p ${sshd().port}`,
          '',
        ].join('\n'),
      });
      const args = ['-C', box.path('config'), '--set', `root=${box.root}`];
      for (const now of ['2026-03-01T03:00:00Z', '2026-03-02T03:00:00Z'])
        expect(runAs(box, how, 'backup', [...args, '--now', now]).code).toBe(0);
      rmSync(box.path('collect/site/metadata/remote-bp/remote/bp.json'));
      box.write({ 'data/page.txt': 'changed since\n' });
      return {
        args: [...args, '--from', 'bp'],
        copy: fileContents(box.path('collect/site/backups')),
        live: fileContents(box.path('data')),
      };
    };

    for (const how of HOWS) {
      it(`a listing that fails: names the series, and changes nothing (${how})`, () => {
        const { args, copy, live } = backedUp(how);
        // The directory's check passes; the remote find that lists it fails.
        failingTool(box, 'ssh', 'find\\ *');
        const restore = runAs(box, how, 'restore', args);
        expectUnreadable(
          restore,
          `the copy of "site" at 127.0.0.1:${box.path('rolled')} (backup point "bp") could not be read (ssh says why above): collect point "site" and the live data were not changed; ${ELSEWHERE}`,
          /failed with exit code 7: step \d+ of \d+ at bp\.backup:3 \[point\]/,
        );
        expect(restore.stderr).toContain('ssh: the connection was reset\n');
        expect(fileContents(box.path('collect/site/backups'))).toEqual(copy);
        expect(fileContents(box.path('data'))).toEqual(live);
      }, 60_000);

      it(`a fetch of the newest that fails: names it, and the older ones (${how})`, () => {
        const { args, copy, live } = backedUp(how);
        failingTool(box, 'rsync', '*:*');
        const restore = runAs(box, how, 'restore', args);
        expect(restore.stderr).toContain(`the newest there: 127.0.0.1:${box.path('rolled')}/site-`);
        expectUnreadable(
          restore,
          `the copy of "site" at the newest of 127.0.0.1:${box.path('rolled')}, named above (backup point "bp") could not be read (rsync says why above): collect point "site" and the live data were not changed; an older archive: run the restore again with --at a time before this one's; ${ELSEWHERE}`,
          /failed with exit code 7: step \d+ of \d+ at bp\.backup:3 \[point\]/,
        );
        expect(fileContents(box.path('collect/site/backups'))).toEqual(copy);
        expect(fileContents(box.path('data'))).toEqual(live);
      }, 60_000);
    }
  },
);

describe.runIf(haveWebdav() && haveTools('flock', 'bash', 'tar', 'gzip', 'sha256sum'))(
  'a rolling archive on a WebDAV server, with no state here, whose series cannot be read',
  () => {
    const dav = serverPerSuite(() => startWebdav());
    let box: Sandbox;
    beforeEach(() => {
      box = makeSandbox('polyarchiv-unreadable-dav-series-');
      box.write({ 'data/page.txt': 'page\n', 'config/site.collect': TREE_SITE });
    });
    afterEach(() => box.remove());

    const backedUp = (how: (typeof HOWS)[number]) => {
      box.write({
        'config/bp.backup': `[point]\nengine = rolling_archive\nremote_url = ${dav().baseUrl}/rolled-${box.root.slice(-6)}/{name}-{Y}{m}{d}{H}{M}{S}.tar.gz\n`,
      });
      const args = ['-C', box.path('config'), '--set', `root=${box.root}`];
      for (const now of ['2026-03-01T03:00:00Z', '2026-03-02T03:00:00Z'])
        expect(runAs(box, how, 'backup', [...args, '--now', now]).code).toBe(0);
      rmSync(box.path('collect/site/metadata/remote-bp/remote/bp.json'));
      box.write({ 'data/page.txt': 'changed since\n' });
      return {
        args: [...args, '--from', 'bp'],
        series: `http://127.0.0.1:${dav().port}/rolled-${box.root.slice(-6)}`,
        copy: fileContents(box.path('collect/site/backups')),
        live: fileContents(box.path('data')),
      };
    };

    for (const how of HOWS) {
      it(`a listing that fails, and a fetch of the newest that fails (${how})`, () => {
        const { args, series, copy, live } = backedUp(how);
        failingTool(box, 'rclone', 'lsf');
        const unlisted = runAs(box, how, 'restore', args);
        expectUnreadable(
          unlisted,
          `the copy of "site" at ${series} (backup point "bp") could not be read (rclone says why above): collect point "site" and the live data were not changed; ${ELSEWHERE}`,
          /failed with exit code 7: step \d+ of \d+ at bp\.backup:3 \[point\]/,
        );
        failingTool(box, 'rclone', 'copyto');
        const unfetched = runAs(box, how, 'restore', args);
        // Named by the URL the configuration gives, not by rclone's remote (`:webdav:/...`).
        expect(unfetched.stderr).toContain(`the newest there: ${series}/site-`);
        expect(unfetched.stderr).not.toContain(':webdav:');
        expectUnreadable(
          unfetched,
          `the copy of "site" at the newest of ${series}, named above (backup point "bp") could not be read (rclone says why above): collect point "site" and the live data were not changed; an older archive: run the restore again with --at a time before this one's; ${ELSEWHERE}`,
          /failed with exit code 7: step \d+ of \d+ at bp\.backup:3 \[point\]/,
        );
        const none = runAs(box, how, 'restore', [...args, '--at', '2000-01-01T00:00:00Z']);
        expect(none.code, none.stderr).toBe(1);
        expect(none.stderr).toContain(
          `\npolyarchiv:   no file is named as ${series}/site-{Y}{m}{d}{H}{M}{S}.tar.gz at or before --at\n`,
        );
        expect(fileContents(box.path('collect/site/backups'))).toEqual(copy);
        expect(fileContents(box.path('data'))).toEqual(live);
      }, 90_000);
    }
  },
);

describe.runIf(haveTools('rsync', 'flock', 'bash'))('a local mirror whose copy fails part way', () => {
  let box: Sandbox;
  beforeEach(() => {
    box = makeSandbox('polyarchiv-unreadable-copy-');
    box.write({
      'data/page.txt': 'page\n',
      'config/site.collect': TREE_SITE,
      'config/bp.backup': '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
    });
  });
  afterEach(() => box.remove());

  for (const how of HOWS) {
    it(`names the copy, and says that the live data were not changed (${how})`, () => {
      const args = ['-C', box.path('config'), '--set', `root=${box.root}`];
      expect(runAs(box, how, 'backup', args).code).toBe(0);
      box.write({ 'data/page.txt': 'changed since\n', 'mirror/site/tree/more.txt': 'more\n' });
      const live = fileContents(box.path('data'));
      // rsync's status of a file it could not read, after the judge's dry runs.
      failingTool(box, 'rsync', `${box.path('mirror/site')}/`, 23);
      const restore = runAs(box, how, 'restore', args);
      expectUnreadable(
        restore,
        `the copy of "site" at ${box.path('mirror/site')} (backup point "bp") could not be read (rsync says why above): the live data were not changed; collect point "site" may hold part of it, each file whole, old or new; ${ELSEWHERE}`,
        /failed with exit code 23: step \d+ of \d+ at bp\.backup:3 \[point\]/,
      );
      expect(fileContents(box.path('data'))).toEqual(live);
    }, 60_000);
  }
});

/**
 * A run as a user whom file modes bind: root without the capabilities that bypass them (the
 * tests run as root), as a restore run by another user than the backup's would be.
 */
function restoreBoundByModes(box: Sandbox, how: (typeof HOWS)[number], args: readonly string[]) {
  const withoutOverride = [
    '--inh-caps=-dac_override,-dac_read_search',
    '--bounding-set=-dac_override,-dac_read_search',
  ];
  const script = box.path('restore.sh');
  if (how === 'script') writeScript(script, 'restore', args);
  const program =
    how === 'apply' ? [process.execPath, CLI, 'restore', '--yes', ...args] : ['bash', script, '--yes'];
  const run = spawnSync('setpriv', [...withoutOverride, ...program], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'Europe/Paris' },
  });
  return { code: run.status ?? -1, stderr: run.stderr };
}

describe.runIf(process.getuid?.() === 0 && haveTools('rsync', 'flock', 'bash', 'setpriv'))(
  'a local mirror that the restore may not read',
  () => {
    let box: Sandbox;
    beforeEach(() => {
      box = makeSandbox('polyarchiv-unreadable-modes-');
      box.write({
        'data/page.txt': 'page\n',
        'config/site.collect': TREE_SITE,
        'config/bp.backup': '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\n',
      });
    });
    afterEach(() => {
      // Made readable again for the sandbox's removal: the directories and archives a case denies.
      for (const path of [
        ...['mirror', 'series', 'series/site', 'archives'].map((dir) => box.path(dir)),
        ...mirrors('mirror'),
        ...mirrors('series/site'),
        ...mirrors('archives'),
      ])
        try {
          chmodSync(path, 0o755);
        } catch {}
      box.remove();
    });

    /** The directories in `dir` of the sandbox, if it is there. */
    const mirrors = (dir: string): string[] => {
      try {
        return readdirSync(box.path(dir)).map((name) => box.path(dir, name));
      } catch {
        return [];
      }
    };

    /**
     * Backs up through `how` (to the backup point `config`, when given), then changes the live
     * data: the copy and the data a refused restore must leave as they are. A dated series is
     * backed up at a pinned time and its state here removed: the restore must find its newest.
     */
    function backedUp(how: (typeof HOWS)[number], config?: string, dated = false) {
      if (config !== undefined) box.write({ 'config/bp.backup': config });
      const args = ['-C', box.path('config'), '--set', `root=${box.root}`];
      const when = dated ? ['--now', '2026-03-10T04:05:06+01:00'] : [];
      expect(runAs(box, how, 'backup', [...args, ...when]).code).toBe(0);
      if (dated) rmSync(box.path('collect/site/metadata/remote-bp/remote/bp.json'));
      box.write({ 'data/page.txt': 'changed since\n' });
      return {
        args,
        copy: fileContents(box.path('collect/site/backups')),
        live: fileContents(box.path('data')),
      };
    }

    for (const how of HOWS) {
      it(`says that it could not be read, not that it is missing (${how})`, () => {
        const { args, copy, live } = backedUp(how);
        chmodSync(box.path('mirror/site'), 0o000);
        const restore = restoreBoundByModes(box, how, args);
        expectUnreadable(
          restore,
          `the copy of "site" at ${box.path('mirror/site')} (backup point "bp") could not be read (its permissions deny the run's user): collect point "site" and the live data were not changed; ${ELSEWHERE}`,
          /failed with exit code 1: step \d+ of \d+ at bp\.backup:3 \[point\]/,
        );
        expect(restore.stderr).not.toContain('missing or empty');
        expect(fileContents(box.path('collect/site/backups'))).toEqual(copy);
        expect(fileContents(box.path('data'))).toEqual(live);
      }, 60_000);

      it(`a mirror in a directory the run's user may not search: not said missing (${how})`, () => {
        const { args, copy, live } = backedUp(how);
        chmodSync(box.path('mirror'), 0o000);
        const restore = restoreBoundByModes(box, how, args);
        expectUnreadable(
          restore,
          `the copy of "site" at ${box.path('mirror/site')} (backup point "bp") could not be read (its permissions deny the run's user): collect point "site" and the live data were not changed; ${ELSEWHERE}`,
          /failed with exit code 1: step \d+ of \d+ at bp\.backup:3 \[point\]/,
        );
        expect(restore.stderr).not.toContain('missing');
        expect(fileContents(box.path('collect/site/backups'))).toEqual(copy);
        expect(fileContents(box.path('data'))).toEqual(live);
      }, 60_000);

      it(`an archive that the run's user may not read: its permissions named (${how})`, () => {
        const { args, copy, live } = backedUp(
          how,
          '[point]\nengine = archive\nremote_url = {root}/archives/{name}.tar.gz\n',
        );
        chmodSync(box.path('archives/site.tar.gz'), 0o000);
        const restore = restoreBoundByModes(box, how, args);
        expectUnreadable(
          restore,
          `the copy of "site" at ${box.path('archives/site.tar.gz')} (backup point "bp") could not be read (its permissions deny the run's user): collect point "site" and the live data were not changed; ${ELSEWHERE}`,
          /failed with exit code 1: step \d+ of \d+ at bp\.backup:3 \[point\]/,
        );
        expect(restore.stderr).not.toContain('extracted whole');
        expect(fileContents(box.path('collect/site/backups'))).toEqual(copy);
        expect(fileContents(box.path('data'))).toEqual(live);
      }, 60_000);

      it(`the newest archive of a dated series, found with no state here (${how})`, () => {
        const { args, live } = backedUp(
          how,
          '[point]\nengine = rolling_archive\nremote_url = {root}/archives/{name}-{Y}{m}{d}{H}{M}{S}.tar.gz\n',
          true,
        );
        const [newest = ''] = mirrors('archives');
        chmodSync(newest, 0o000);
        const restore = restoreBoundByModes(box, how, [...args, '--from', 'bp']);
        expect(restore.stderr).toContain(`the newest there: ${newest}\n`);
        expectUnreadable(
          restore,
          `the copy of "site" at the newest of ${box.path('archives')}, named above (backup point "bp") could not be read (its permissions deny the run's user): collect point "site" and the live data were not changed; an older archive: run the restore again with --at a time before this one's; ${ELSEWHERE}`,
          /failed with exit code 1: step \d+ of \d+ at bp\.backup:3 \[point\]/,
        );
        expect(restore.stderr).not.toContain('extracted whole');
        expect(fileContents(box.path('data'))).toEqual(live);
      }, 60_000);

      it(`a dated series in a directory the run's user may not search: not said missing (${how})`, () => {
        const { args, live } = backedUp(
          how,
          '[point]\nengine = synchronize\nremote_url = {root}/series/{name}/{Y}-{m}-{d}_{H}{M}\n',
          true,
        );
        chmodSync(box.path('series'), 0o000);
        const restore = restoreBoundByModes(box, how, [...args, '--from', 'bp']);
        expectUnreadable(
          restore,
          `the copy of "site" at ${box.path('series/site')} (backup point "bp") could not be read (its permissions deny the run's user): collect point "site" and the live data were not changed; ${ELSEWHERE}`,
          /failed with exit code 1: step \d+ of \d+ at bp\.backup:3 \[point\]/,
        );
        expect(restore.stderr).not.toContain('missing');
        expect(fileContents(box.path('data'))).toEqual(live);
      }, 60_000);

      it(`the newest mirror of a dated series, found with no state here (${how})`, () => {
        const { args, copy, live } = backedUp(
          how,
          '[point]\nengine = synchronize\nremote_url = {root}/series/{name}/{Y}-{m}-{d}_{H}{M}\n',
          true,
        );
        const [newest = ''] = mirrors('series/site');
        chmodSync(newest, 0o000);
        const restore = restoreBoundByModes(box, how, [...args, '--from', 'bp']);
        expect(restore.stderr).toContain(`the newest there: ${newest}/`);
        expectUnreadable(
          restore,
          `the copy of "site" at ${box.path('collect/site/metadata/remote-bp/remote/extracted/mirror')} (backup point "bp") could not be read (its permissions deny the run's user): collect point "site" and the live data were not changed; ${ELSEWHERE}`,
          /failed with exit code 1: step \d+ of \d+ at bp\.backup:3 \[point\]/,
        );
        expect(restore.stderr).not.toContain('holds nothing');
        expect(fileContents(box.path('collect/site/backups'))).toEqual(copy);
        expect(fileContents(box.path('data'))).toEqual(live);
      }, 60_000);
    }
  },
);
