import type { CryptTreeSpec, HashCheckSpec, HashIndexSpec } from './action.js';
import type { Command, ExecCommand, MapTreeCommand, ToolPaths } from './command.js';
import { findLiteral, prunedWalk } from './find-words.js';
import { gpgHome } from './gpg-agents.js';
import { LINK_CHECK, LINK_RECORDS, REGULAR_FILES } from './hash-index-awk.js';
import { HOLDING_DIR } from './holding-dir.js';

/**
 * The index is built by the checksum tool itself (`sha256sum -b`), so that the same tool reads it
 * back on a restore, whatever the names hold (it escapes backslashes and newlines). The names
 * are sorted bytewise (`LC_ALL=C sort -z`), so that one tree always gives one index. The link
 * index is written first: a regular file at the root, the index lists it, so that a copy whose
 * link index was changed or removed fails as a changed file does. The names and the links go
 * through pipes, never through a file: a failed step leaves no list behind.
 */
export function hashIndexCommands(spec: HashIndexSpec, tools: ToolPaths): Command[] {
  const links = `${spec.partial}.links`;
  return [
    { kind: 'create-file', path: links },
    { ...linkRecords(spec, tools), stdout: links },
    { kind: 'publish-file', partial: links, file: `${spec.dir}/${spec.links}` },
    { kind: 'create-file', path: spec.partial },
    {
      ...regularFiles(spec, tools),
      // -r: an empty tree gives an empty index (without it, the tool would read its stdin).
      pipeline: [
        SORT_NAMES(tools),
        [tools.xargs ?? 'xargs', '-0', '-r', '--', hashTool(spec, tools), '-b', '--'],
      ],
      stdout: spec.partial,
    },
    { kind: 'publish-file', partial: spec.partial, file: `${spec.dir}/${spec.index}` },
  ];
}

/** The names of the regular files the index covers, NUL-terminated (without the sort that follows). */
function regularFiles(spec: HashCheckSpec, tools: ToolPaths): ExecCommand {
  return {
    kind: 'exec',
    argv: [
      ...prunedWalk(tools.find ?? 'find', [spec.index, ...spec.excludes]),
      '-type',
      'f',
      '-printf',
      '%P\\0',
    ],
    cwd: spec.dir,
    env: { LC_ALL: { literal: 'C' } },
  };
}

const SORT_NAMES = (tools: ToolPaths): string[] => [tools.sort ?? 'sort', '-z'];

/** The tree's symbolic links, one `NAME<tab>TARGET` line each, sorted bytewise (without `stdout`). */
function linkRecords(spec: HashCheckSpec, tools: ToolPaths): ExecCommand {
  return {
    kind: 'exec',
    argv: [
      ...prunedWalk(tools.find ?? 'find', [spec.index, ...spec.excludes]),
      '-type',
      'l',
      '-printf',
      '%P\\0%l\\0',
    ],
    cwd: spec.dir,
    env: { LC_ALL: { literal: 'C' } },
    pipeline: [[tools.awk ?? 'awk', LINK_RECORDS], [tools.sort ?? 'sort']],
  };
}

/**
 * Before any file is read: every regular file of the tree looked up in the index, each one it
 * does not list named (`NAME: not in the index`: a file added to a copy since its index was written
 * is not restored unchecked), and every name of the index that is no longer a regular file named;
 * then every link of the tree compared with the link index. Last, every file of the index read
 * back and compared, each bad one named (`NAME: FAILED`). The tree's names reach each check
 * through a pipe: a check that fails leaves no list behind.
 */
export function hashCheckCommands(spec: HashCheckSpec, tools: ToolPaths): Command[] {
  const links = linkRecords(spec, tools);
  return [
    {
      ...regularFiles(spec, tools),
      pipeline: [SORT_NAMES(tools), [tools.awk ?? 'awk', REGULAR_FILES, spec.index]],
    },
    {
      ...links,
      pipeline: [...(links.pipeline ?? []), [tools.awk ?? 'awk', LINK_CHECK, spec.index, spec.links]],
    },
    {
      kind: 'exec',
      argv: [hashTool(spec, tools), '--check', '--strict', '--quiet', '--', spec.index],
      cwd: spec.dir,
    },
  ];
}

const hashTool = (spec: HashCheckSpec, tools: ToolPaths): string =>
  tools[`${spec.method}sum`] ?? `${spec.method}sum`;

/** gpg's options for a run that nobody attends: no terminal, no question, no passphrase kept. */
export const GPG_UNATTENDED: readonly string[] = [
  '--batch',
  '--yes',
  '--quiet',
  '--no-tty',
  '--no-symkey-cache',
  '--pinentry-mode',
  'loopback',
];

/**
 * gpg in batch mode, in a private home (see gpg-agents.ts), the passphrase read from a private
 * work file (never argv), not cached by the agent; the helper adds `--output FILE -- INPUT` per file.
 */
export function cryptTreeCommand(spec: CryptTreeSpec): MapTreeCommand {
  const home = gpgHome(spec.gpg, spec.to);
  return {
    kind: 'map-tree',
    from: spec.from,
    to: spec.to,
    hold: HOLDING_DIR,
    tool: [
      spec.gpg,
      ...GPG_UNATTENDED,
      '--homedir',
      { prefix: '', workFile: home.home },
      '--passphrase-file',
      { prefix: '', workFile: spec.passphraseFile },
      ...(spec.direction === 'encrypt' ? ['--symmetric', '--cipher-algo', 'AES256'] : ['--decrypt']),
    ],
    excludes: spec.excludes.map((path) => `./${findLiteral(path)}`),
    gpgHome: home,
  };
}
