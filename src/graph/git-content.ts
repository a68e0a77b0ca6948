import { HOLDING_DIR } from './holding-dir.js';

/*
 * A git collect point keeps files, not a project: git's rules that change what a commit holds or
 * what a checkout writes must not apply to them. A source may bring `.gitignore` files (whose
 * matches `git add --force` stages all the same) and `.gitattributes` files (end-of-line
 * conversion, filters, `ident`, working-tree encodings), and the user's configuration may add
 * `core.autocrlf` or `core.attributesFile`. The repository's own attributes file outranks them
 * all: it unsets every attribute that converts content, so files are stored and checked out byte
 * for byte.
 */

/** What `.git/info/attributes` of a collect point's repository holds (one line). */
export const NEUTRAL_ATTRIBUTES = '* -text -eol -crlf -filter -ident -working-tree-encoding';

/** The repository's attributes file of the work tree `workTree`, which outranks every other. */
export const attributesFile = (workTree: string): string => `${workTree}/.git/info/attributes`;

/** printf's words that write NEUTRAL_ATTRIBUTES on standard output. */
export const NEUTRAL_ATTRIBUTES_ARGV: readonly string[] = ['printf', '%s\\n', NEUTRAL_ATTRIBUTES];

/*
 * git can hold nothing named `.git` below the top of its work tree: it skips such a directory
 * without a word, or stages a repository there as a bare commit id, without its files. A source
 * that copied one (a checkout, /etc kept by etckeeper) would look backed up and be missing from
 * every copy; so the collect point fails first, naming each (run in the collect directory
 * `workTree`, whose repository is left alone).
 */
export function nestedGitArgv(workTree: string): string[] {
  // The directory in find's format: its own % and backslashes stay literal.
  const shown = `${workTree}/`.replaceAll('\\', '\\\\').replaceAll('%', '%%');
  return [
    'find',
    '.',
    '-path',
    './.git',
    '-prune',
    '-o',
    '-name',
    HOLDING_DIR,
    '-prune',
    '-o',
    '-name',
    '.git',
    '-prune',
    '-printf',
    `${shown}%P: git cannot keep anything named .git, so no backup would hold it: exclude it from its source (exclude = .git) and delete it from the collect directory\\n`,
    '-exec',
    'false',
    '{}',
    '+',
  ];
}
