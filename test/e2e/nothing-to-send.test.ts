import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliResult, runCli } from '../helpers/cli.js';
import { git } from '../helpers/git-case.js';
import { type Sandbox, sandboxesPerTest } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';

const canRun = haveTools('rsync', 'flock', 'bash', 'sha256sum', 'tar', 'gzip', 'git', 'restic');
const SECRET = 'POLYARCHIV_SECRET_VAULT_SITE_PASSWORD';

/**
 * A backup point whose collect point's directory is not there (never collected on this machine,
 * or removed by hand) fails at its first step with one message naming the collect point, the
 * directory and the line that sets it, before it changes anything at its destination: a
 * synchronize, an archive and a restic point of a files collect point, a git point of a git one.
 */
describe.runIf(canRun).each(['apply', 'script'] as const)(
  'a collect point with nothing to send, through %s',
  (how) => {
    const sandbox = sandboxesPerTest();

    function setUp() {
      const box = sandbox('polyarchiv-nothing-to-send-');
      const files = (engine: string) =>
        `[point]\nengine = ${engine}\nlocal_path = {root}/collect/{name}\ncollect_point_tags = ${engine}\ncommit_email = root@localhost\n\n[source "www"]\nengine = local_files\nsource_path = {root}/data\ndestination_path = www\n`;
      box.write({
        'data/a.txt': 'a\n',
        'data/sub/b.txt': 'bb\n',
        'config/site.collect': files('files').replace('commit_email = root@localhost\n', ''),
        'config/journal.collect': files('git'),
        'config/mirror.backup':
          '[point]\nengine = synchronize\nremote_url = {root}/mirror/{name}\nexcluded_collect_point_tags = git\n',
        'config/arch.backup':
          '[point]\nengine = archive\nremote_url = {root}/archives/{name}.tar.gz\nexcluded_collect_point_tags = git\n',
        'config/vault.backup':
          '[point]\nengine = restic\nremote_url = {root}/repo\npassword = secret words\nexcluded_collect_point_tags = git\n',
        'config/up.backup':
          '[point]\nengine = git\nremote_url = file://{root}/remote/{name}.git\nexcluded_collect_point_tags = files\n',
        'home/.gitconfig': '',
      });
      git(['init', '-q', '--bare', box.path('remote/journal.git')]);
      const env = { HOME: box.path('home'), GIT_CONFIG_NOSYSTEM: '1', [SECRET]: 'secret words' };
      const args = ['-C', box.path('config'), '--set', `root=${box.root}`];
      const run = (...flags: string[]): CliResult => {
        if (how === 'apply') return runCli(['backup', ...flags, ...args], env);
        const plan = runCli(['plan', ...flags, ...args], env);
        expect(plan.code, plan.stderr).toBe(0);
        writeFileSync(box.path('run.sh'), plan.stdout);
        const ran = spawnSync('bash', [box.path('run.sh')], {
          encoding: 'utf8',
          env: { ...process.env, ...env },
        });
        return { code: ran.status ?? -1, stdout: ran.stdout, stderr: ran.stderr };
      };
      return { box, run };
    }

    /** What the backup points hold, every entry with its kind, size and times: any change shows. */
    const destinations = (box: Sandbox) =>
      Object.fromEntries(
        ['mirror', 'archives', 'repo', 'remote'].map((dir) => [dir, stamps(box.path(dir))] as const),
      );

    const problem = (box: Sandbox, cp: string, origin: string) =>
      `collect point "${cp}" has nothing to send: its directory ${box.path('collect', cp, 'backups')}, set by option 'local_path' (${origin}, made of {root} from --set, {name}), does not exist; `;

    it('names the collect point that never ran here, and sends nothing', () => {
      const { box, run } = setUp();
      const before = destinations(box);
      const refused = run('--skip-collect');
      expect(refused.code, refused.stderr).toBe(1);
      const never =
        'the collect point has not succeeded on this machine: run it first, in a backup that does not skip it (without --skip-collect)';
      for (const unit of ['mirror/site', 'arch/site', 'vault/site'])
        expect(unitBlock(refused.stderr, `backup:${unit}`)).toContain(
          `${problem(box, 'site', 'site.collect:3 [point]')}${never}\n`,
        );
      expect(unitBlock(refused.stderr, 'backup:up/journal')).toContain(
        `${problem(box, 'journal', 'journal.collect:3 [point]')}${never}\n`,
      );
      expect(refused.stderr).toMatch(/failed with exit code 1: step 1 of \d+ at site\.collect:3 \[point\]/);
      expect(refused.stderr).toMatch(
        /failed with exit code 1: step 1 of \d+ at journal\.collect:3 \[point\]/,
      );
      // No tool's own words: the check stopped each unit before its tools ran.
      expect(refused.stderr).not.toMatch(/rsync|tar:|Fatal|fatal:/);
      expect(destinations(box)).toEqual(before);
      expect(existsSync(box.path('mirror'))).toBe(false);
      expect(existsSync(box.path('repo'))).toBe(false);
      // Run with its collect points, the same backup points succeed: each checks after they ran.
      const first = run();
      expect(first.code, first.stderr).toBe(0);
      expect(first.stderr).not.toContain('nothing to send');
    });

    it('says that a collect directory that succeeded was removed since, and changes no copy', () => {
      const { box, run } = setUp();
      const first = run();
      expect(first.code, first.stderr).toBe(0);
      const before = destinations(box);
      rmSync(box.path('collect/site/backups'), { recursive: true });
      rmSync(box.path('collect/journal/backups'), { recursive: true });
      const refused = run('--skip-collect');
      expect(refused.code, refused.stderr).toBe(1);
      const removed = (cp: string) =>
        new RegExp(
          `${literal(problem(box, cp, `${cp}.collect:3 [point]`))}its state \\(${literal(box.path('collect', cp, 'metadata/collect_point', `${cp}.json`))}\\) records a success at \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d, so the directory was removed since: run the collect point again to make it anew \\(a backup without --skip-collect\\)\\n`,
        );
      for (const unit of ['mirror/site', 'arch/site', 'vault/site'])
        expect(unitBlock(refused.stderr, `backup:${unit}`)).toMatch(removed('site'));
      expect(unitBlock(refused.stderr, 'backup:up/journal')).toMatch(removed('journal'));
      expect(refused.stderr).not.toMatch(/rsync|tar:|Fatal|fatal:/);
      expect(destinations(box)).toEqual(before);
    });

    it('leaves an empty collect directory to the copy guards', () => {
      const { box, run } = setUp();
      const first = run();
      expect(first.code, first.stderr).toBe(0);
      // The guards judge after the mirror's holding directory is made: the files are compared.
      const held = () => ({
        mirror: fileContents(box.path('mirror')),
        archives: fileContents(box.path('archives')),
      });
      const before = held();
      rmSync(box.path('collect/site/backups'), { recursive: true });
      mkdirSync(box.path('collect/site/backups'));
      const refused = run('--skip-collect', '--only-backup-points', 'mirror,arch');
      expect(refused.code, refused.stderr).toBe(1);
      expect(refused.stderr).not.toContain('nothing to send');
      expect(refused.stderr).toContain(
        'the mirror of "site" would become empty: files: 2 now, 0 incoming; bytes: 5 now, 0 incoming',
      );
      expect(refused.stderr).toContain(
        'the archive of "site" in backup point "arch" would become empty: files: 2 now, 0 incoming; bytes: 5 now, 0 incoming',
      );
      expect(held()).toEqual(before);
    });
  },
);

/** The lines a unit printed: from its name to the next unit's. */
function unitBlock(stderr: string, unit: string): string {
  const start = stderr.indexOf(`polyarchiv: ${unit}\n`);
  if (start < 0) return '';
  const next = stderr.slice(start + 1).search(/^polyarchiv: \S/m);
  return next < 0 ? stderr.slice(start) : stderr.slice(start, start + 1 + next);
}

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every entry below `root` with its kind, size and modification time; {} when it is not there. */
function stamps(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, key: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const stat = lstatSync(path, { bigint: true });
      out[`${key}${name}`] = `${stat.mode} ${stat.size} ${stat.mtimeNs}`;
      if (stat.isDirectory()) walk(path, `${key}${name}/`);
    }
  };
  if (existsSync(root)) {
    out['.'] = String(lstatSync(root, { bigint: true }).mtimeNs);
    walk(root, '');
  }
  return out;
}
