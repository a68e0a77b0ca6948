import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { runCli } from './cli.js';
import { ODD_FILES, writeTree } from './odd-files.js';
import { makeSandbox, type Sandbox } from './sandbox.js';

/**
 * The odd names of the other round trips that Subversion can hold (it refuses control characters
 * in names: the newline), and names with `@`, which svn reads as a peg revision when unescaped.
 */
export const SVN_ODD_FILES: Readonly<Record<string, string>> = {
  ...Object.fromEntries(Object.entries(ODD_FILES).filter(([name]) => !name.includes('\n'))),
  'user@host.txt': 'at\n',
  '@leading at': 'leading at\n',
  'peg@1/ending@': 'ending at\n',
  'x.o': 'ignored by svn by default\n',
};

export interface SvnCase {
  readonly box: Sandbox;
  readonly args: string[];
  readonly env: Record<string, string>;
  /** The repository on disk, read with svnlook. */
  readonly repository: string;
  /** The working copy. */
  readonly local: string;
}

/** A subversion collect point `journal` that copies `{root}/data` (odd names) into `files`. */
export function svnCase(remoteUrl: string, repository: string, extra: readonly string[] = []): SvnCase {
  const box = makeSandbox('polyarchiv-svn-');
  box.write({
    'config/journal.collect': [
      '[point]',
      'engine = subversion',
      'local_path = {root}/collect',
      `remote_url = ${remoteUrl}`,
      'commit_message = Backup of {name}',
      ...extra,
      '',
      '[source "files"]',
      'engine = local_files',
      'source_path = {root}/data',
      'destination_path = files',
      '',
    ].join('\n'),
    'home/.keep': '',
  });
  writeTree(box.path('data'), SVN_ODD_FILES);
  mkdirSync(box.path('tmp'));
  return {
    box,
    args: ['-C', box.path('config'), '--set', `root=${box.root}`],
    // svn never reads the user's ~/.subversion: HOME is an empty directory of the sandbox; the
    // run's work directory (svn's configuration) is made in the sandbox's tmp, where tests read it.
    env: { HOME: box.path('home'), TMPDIR: box.path('tmp'), POLYARCHIV_YES: '1' },
    repository,
    local: box.path('collect/backups'),
  };
}

/** A local repository, made with svnadmin. */
export function svnRepository(path: string): string {
  const made = spawnSync('svnadmin', ['create', path], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`svnadmin create ${path}: ${made.stderr}`);
  return path;
}

export type Backend = 'apply' | 'script';

/**
 * A backup or a restore through polyarchiv itself or through its script (which carries the
 * configuration's secrets: `plan --include-secrets`).
 */
export function runSvn(
  t: SvnCase,
  backend: Backend,
  mode: 'backup' | 'restore' = 'backup',
  /** More arguments (a restore's --at TIME). */
  more: readonly string[] = [],
) {
  if (backend === 'apply')
    return runCli([mode, ...(mode === 'restore' ? ['--yes'] : []), ...more, ...t.args], t.env);
  const plan = runCli(
    ['plan', '--include-secrets', ...(mode === 'restore' ? ['--restore'] : []), ...more, ...t.args],
    t.env,
  );
  if (plan.code !== 0) return plan;
  const script = t.box.path(`${mode}.sh`);
  writeFileSync(script, plan.stdout);
  const result = spawnSync('bash', [script, ...(mode === 'restore' ? ['--yes'] : [])], {
    encoding: 'utf8',
    env: { ...process.env, ...t.env },
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** The youngest revision of the repository. */
export function youngest(repository: string): number {
  return Number(spawnSync('svnlook', ['youngest', repository], { encoding: 'utf8' }).stdout.trim());
}

/** The files of the repository's HEAD below `files/`, relative, sorted. */
export function headFiles(repository: string): string[] {
  const tree = spawnSync('svnlook', ['tree', '--full-paths', repository], { encoding: 'utf8' });
  return tree.stdout
    .split('\n')
    .filter((line) => line.startsWith('files/') && !line.endsWith('/'))
    .map((line) => line.slice('files/'.length))
    .sort();
}
