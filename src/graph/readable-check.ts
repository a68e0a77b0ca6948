import type { ExpectCopySpec } from './action.js';
import type { ExecCommand } from './command.js';

/**
 * On this host, before a copy is looked at (find into a directory, `test -e` of a file): a copy
 * that the run's user may not read fails with `unreadable`, which the look would otherwise report
 * as missing (find's and test's status 1 say both). A path counts as missing only when that is
 * known: one of its directories can be searched and the next part of the path is not there (a
 * copy removed, a backup point never written to). A path below a directory the run's user may not
 * search cannot be seen at all: it is said unreadable, not missing.
 */
export function readableFirst(spec: ExpectCopySpec): ExecCommand[] {
  if (spec.transport !== undefined || spec.expect === 'directory' || spec.unreadable === undefined) return [];
  return [
    {
      kind: 'exec',
      argv: readableTest(spec.path, spec.expect),
      explains: [{ status: 1, message: spec.unreadable }],
    },
  ];
}

/**
 * `test`'s words, true when `path` can be read (a directory listed and searched, a file read) or
 * is known to be missing: false when the permissions of the user who runs it deny it. Run here
 * (readableFirst), or on another host by the user ssh logs in as.
 */
export function readableTest(path: string, expect: 'entries' | 'path'): string[] {
  // A directory is read by listing it (read) and looking into it (search); a file by reading it.
  const readable =
    expect === 'entries'
      ? ['-r', path, '-a', '-x', path]
      : ['-r', path, '-a', '(', '-x', path, '-o', '!', '-d', path, ')'];
  return ['test', ...readable, ...knownMissing(path).flatMap((words) => ['-o', ...words])];
}

/**
 * `test` expressions, one per directory above `path`, each true when that directory can be
 * searched and the next part of the path is not in it: then the path is known to be missing.
 */
export function knownMissing(path: string): string[][] {
  const parts = path.split('/').filter((part) => part !== '');
  const absolute = path.startsWith('/');
  const expressions: string[][] = [];
  let dir = absolute ? '/' : '.';
  for (const part of parts) {
    const next = dir === '/' ? `/${part}` : dir === '.' && !absolute ? part : `${dir}/${part}`;
    expressions.push(['-d', dir, '-a', '-x', dir, '-a', '!', '-e', next]);
    dir = next;
  }
  return expressions;
}
