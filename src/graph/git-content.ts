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
