import type { ToolRun } from './action.js';
import { findLiteral } from './find-words.js';
import { HOLDING_DIR } from './holding-dir.js';

/*
 * git and svn keep contents, names, symbolic links and the executable bit: a checkout gives every
 * other entry the restoring user and the umask's mode, and git drops empty directories. A version
 * control collect point therefore commits, with the files, a manifest of what they cannot hold,
 * written after the sources were copied, and a restore applies it to the checkout before the
 * sources are restored from it. WebDAV, FTP and S3 keep even less (no modes, no owners, no empty
 * directories): a mirror there carries a manifest of its own, sent after the files, applied to
 * the fetched copy before it is copied into the collect point.
 */

/** The manifest, at the top of the working copy or of the mirror: no source may write there. */
export const MODES_FILE = '.polyarchiv-modes';

/**
 * One NUL-terminated record per entry below the top of the working copy: its type (find's `%y`),
 * mode (octal, with the set-id and sticky bits), numeric owner and group, and path. The first
 * three never hold a `/`, so the path is what follows the third one, whatever bytes it holds (a
 * newline, a tab); records are sorted by path, so a directory comes before what it holds.
 */
export const MODES_FORMAT = '%y/%m/%U:%G/%P\\0';

/**
 * The two runs that write the manifest of `workTree` into `manifest`: find lists every entry but
 * the `pruned` paths below the top (the version control's own directory, the manifest itself,
 * what a mirror leaves out) and the copies' holding directories into `listing`, then sort orders
 * the records by path, byte by byte, so that an unchanged tree gives the same file.
 */
export function recordModesRuns(
  workTree: string,
  files: { readonly pruned: readonly string[]; readonly listing: string; readonly manifest: string },
): { readonly list: ToolRun; readonly sort: ToolRun } {
  return {
    list: {
      argv: [
        'find',
        '.',
        '-mindepth',
        '1',
        '(',
        ...files.pruned.flatMap((path) => ['-path', `./${findLiteral(path)}`, '-o']),
        '-name',
        HOLDING_DIR,
        ')',
        '-prune',
        '-o',
        '-printf',
        MODES_FORMAT,
      ],
      cwd: workTree,
      stdout: files.listing,
    },
    sort: {
      argv: ['sort', '-z', '-t', '/', '-k', '4', '-o', files.manifest, '--', files.listing],
      env: { LC_ALL: { literal: 'C' } },
    },
  };
}
