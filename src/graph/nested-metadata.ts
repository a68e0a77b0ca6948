import { HOLDING_DIR } from './holding-dir.js';

/*
 * A version control collect point can hold nothing named like its own metadata directory below
 * the top of its working copy: git skips a directory named `.git` without a word, or stages a
 * repository there as a bare commit id without its files; svn skips a `.svn` directory, and a
 * working copy there, without a word. A source that copied one (a checkout, an /etc kept by
 * etckeeper) would look backed up and be missing from every copy; so the collect point fails
 * first, naming each.
 */

/**
 * find's words, run in the working copy `workTree`, that name each entry called `name` below its
 * top (its own one and the copies' holding directories left alone) and then fail.
 */
export function nestedMetadataArgv(workTree: string, name: '.git' | '.svn'): string[] {
  const tool = name === '.git' ? 'git' : 'svn';
  // The directory in find's format: its own % and backslashes stay literal.
  const shown = `${workTree}/`.replaceAll('\\', '\\\\').replaceAll('%', '%%');
  return [
    'find',
    '.',
    '-path',
    `./${name}`,
    '-prune',
    '-o',
    '-name',
    HOLDING_DIR,
    '-prune',
    '-o',
    '-name',
    name,
    '-prune',
    '-printf',
    `${shown}%P: ${tool} cannot keep anything named ${name}, so no backup would hold it: exclude it from its source (exclude = ${name}) and delete it from the collect directory\\n`,
    '-exec',
    'false',
    '{}',
    '+',
  ];
}
