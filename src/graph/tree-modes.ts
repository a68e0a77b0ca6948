import type { ToolRun } from './action.js';
import { HOLDING_DIR } from './holding-dir.js';

/*
 * git and svn keep contents, names, symbolic links and the executable bit: a checkout gives every
 * other entry the restoring user and the umask's mode, and git drops empty directories. A version
 * control collect point therefore commits, with the files, a manifest of what they cannot hold,
 * written after the sources were copied, and a restore applies it to the checkout before the
 * sources are restored from it.
 */

/** The manifest, at the top of the working copy: no source may write there. */
export const MODES_FILE = '.polyarchiv-modes';

/**
 * One NUL-terminated record per entry below the top of the working copy: its type (find's `%y`),
 * mode (octal, with the set-id and sticky bits), numeric owner and group, and path. The first
 * three never hold a `/`, so the path is what follows the third one, whatever bytes it holds (a
 * newline, a tab); records are sorted by path, so a directory comes before what it holds.
 */
export const MODES_FORMAT = '%y/%m/%U:%G/%P\\0';

/**
 * The two runs that write the manifest of `workTree`: find lists every entry but the version
 * control's own directory, the manifest and the copies' holding directories into `listing`, then
 * sort orders the records by path, byte by byte, into the manifest, so that an unchanged tree
 * gives the same file and nothing to commit.
 */
export function recordModesRuns(
  workTree: string,
  metadataName: '.git' | '.svn',
  listing: string,
): { readonly list: ToolRun; readonly sort: ToolRun } {
  return {
    list: {
      argv: [
        'find',
        '.',
        '-mindepth',
        '1',
        '(',
        '-path',
        `./${metadataName}`,
        '-o',
        '-path',
        `./${MODES_FILE}`,
        '-o',
        '-name',
        HOLDING_DIR,
        ')',
        '-prune',
        '-o',
        '-printf',
        MODES_FORMAT,
      ],
      cwd: workTree,
      stdout: listing,
    },
    sort: {
      argv: ['sort', '-z', '-t', '/', '-k', '4', '-o', `${workTree}/${MODES_FILE}`, '--', listing],
      env: { LC_ALL: { literal: 'C' } },
    },
  };
}
