import { chmodSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { serverPerSuite } from '../helpers/server-per-suite.js';
import { remoteFilesSite, runAs } from '../helpers/service-targets.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';
import { TREE_SITE } from '../helpers/tree-site.js';
import { haveSshd, startSshd } from '../servers/sshd.js';

const HOWS = ['apply', 'script'] as const;

const DENIED = 'the ssh server denied access: its permissions deny the user ssh logs in as';
const ELSEWHERE = "another backup point's copy: run the restore again with --from ITS_NAME";

/** The step's failure: `message`, then the step's line, said once; never "missing". */
function expectDenied(run: { code: number; stderr: string }, message: string, step: RegExp): void {
  expect(run.code, run.stderr).toBe(1);
  expect(run.stderr).toMatch(
    new RegExp(`\npolyarchiv: {3}${escaped(message)}\npolyarchiv: {3}${step.source}\n`),
  );
  expect(run.stderr.split(message)).toHaveLength(2);
  expect(run.stderr).not.toContain('missing');
}

const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A path on an ssh server that its permissions deny the user ssh logs in as: said as such, with
 * the path and the line of the option that names it, not as missing or empty. The server runs
 * without the capabilities that let root ignore file modes, so that root's logins are bound by
 * them as another user's would be.
 */
describe.runIf(process.getuid?.() === 0 && haveSshd() && haveTools('rsync', 'flock', 'bash', 'setpriv'))(
  'a path the ssh server does not let its login user read',
  () => {
    const sshd = serverPerSuite(() => startSshd(undefined, true));
    let box: Sandbox;
    const denied: string[] = [];
    const deny = (path: string) => {
      chmodSync(path, 0o000);
      denied.push(path);
    };
    beforeEach(() => {
      box = makeSandbox('polyarchiv-ssh-denied-');
    });
    afterEach(() => {
      for (const path of denied.splice(0)) chmodSync(path, 0o755);
      box.remove();
    });

    const login = () => [`private_key = ${sshd().clientKey}`, `ssh_options = ${sshd().sshOptions}`];
    const url = (path: string) => `ssh://root@127.0.0.1:${sshd().port}{root}/${path}`;
    const args = () => ['-C', box.path('config'), '--set', `root=${box.root}`];

    /** A backup to backup point `bp` (`engine`, at `path`), then the live data changed. */
    function backedUp(how: (typeof HOWS)[number], engine: string, path: string) {
      box.write({
        'data/page.txt': 'page\n',
        'config/site.collect': TREE_SITE,
        'config/bp.backup': [
          '[point]',
          `engine = ${engine}`,
          `remote_url = ${url(path)}`,
          ...login(),
          '',
        ].join('\n'),
      });
      const backup = runAs(box, how, 'backup', args());
      expect(backup.code, backup.stderr).toBe(0);
      box.write({ 'data/page.txt': 'changed since\n' });
      return { copy: fileContents(box.path('collect/site/backups')), live: fileContents(box.path('data')) };
    }

    function expectRestoreDenied(
      how: (typeof HOWS)[number],
      shown: string,
      kept: ReturnType<typeof backedUp>,
    ) {
      expectDenied(
        runAs(box, how, 'restore', [...args(), '--from', 'bp']),
        `the copy of "site" at 127.0.0.1:${shown} (backup point "bp") could not be read (${DENIED}): collect point "site" and the live data were not changed; ${ELSEWHERE}`,
        /failed with exit code 3: step \d+ of \d+ at bp\.backup:3 \[point\]/,
      );
      expect(fileContents(box.path('collect/site/backups'))).toEqual(kept.copy);
      expect(fileContents(box.path('data'))).toEqual(kept.live);
    }

    for (const how of HOWS) {
      it(`a mirror restored over ssh, or the directory above it, denied (${how})`, () => {
        const kept = backedUp(how, 'synchronize', 'mirror/{name}');
        deny(box.path('mirror/site'));
        expectRestoreDenied(how, box.path('mirror/site'), kept);
        chmodSync(box.path('mirror/site'), 0o755);
        deny(box.path('mirror'));
        expectRestoreDenied(how, box.path('mirror/site'), kept);
      }, 60_000);

      it(`an archive restored over ssh, denied (${how})`, () => {
        const kept = backedUp(how, 'archive', 'archives/{name}.tar.gz');
        deny(box.path('archives/site.tar.gz'));
        expectRestoreDenied(how, box.path('archives/site.tar.gz'), kept);
      }, 60_000);

      it(`a remote_files source, or the directory above it, denied (${how})`, () => {
        box.write({
          'remote/a.txt': 'a\n',
          'config/site.collect': remoteFilesSite([`source_url = ${url('remote/dir')}`, ...login()]),
          'remote/dir/a.txt': 'a\n',
        });
        const message = `source "web": 127.0.0.1:${box.path('remote/dir')} could not be read (${DENIED}): the copy of source "web" was not changed`;
        const step = /failed with exit code 3: step \d+ of \d+ at site\.collect:7 \[source "web"\]/;
        deny(box.path('remote/dir'));
        expectDenied(runAs(box, how, 'backup', args()), message, step);
        chmodSync(box.path('remote/dir'), 0o755);
        deny(box.path('remote'));
        expectDenied(runAs(box, how, 'backup', args()), message, step);
      }, 60_000);
    }
  },
);
