import type { CryptTreeSpec, HashCheckSpec, HashIndexSpec } from './action.js';
import type { Command, MapTreeCommand, ToolPaths } from './command.js';
import { findLiteral, prunedWalk } from './find-words.js';
import { HOLDING_DIR } from './holding-dir.js';

/**
 * The index is built by the checksum tool itself (`sha256sum -b`), so that the same tool reads it
 * back on a restore, whatever the names hold (it escapes backslashes and newlines). The names
 * are listed first, sorted bytewise (`LC_ALL=C sort -z`), so that one tree always gives one index.
 */
export function hashIndexCommands(spec: HashIndexSpec, tools: ToolPaths): Command[] {
  return [
    ...listNames(spec, tools),
    { kind: 'create-file', path: spec.partial },
    {
      kind: 'exec',
      // -r: an empty tree gives an empty index (without it, the tool would read its stdin).
      argv: [tools.xargs ?? 'xargs', '-0', '-r', '-a', spec.list, '--', hashTool(spec, tools), '-b', '--'],
      cwd: spec.dir,
      stdout: spec.partial,
    },
    { kind: 'publish-file', partial: spec.partial, file: `${spec.dir}/${spec.index}` },
    { kind: 'exec', argv: ['rm', '-f', '--', spec.list] },
  ];
}

/** The names of the regular files the index covers, NUL-terminated and sorted bytewise, in `list`. */
function listNames(spec: HashCheckSpec, tools: ToolPaths): Command[] {
  return [
    { kind: 'create-file', path: spec.list },
    {
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
      pipeline: [[tools.sort ?? 'sort', '-z']],
      stdout: spec.list,
    },
  ];
}

/**
 * Every file of the index read back and compared, each bad one named (`NAME: FAILED`); then every
 * regular file of the tree looked up in the index, each one it does not list named (`NAME: not in
 * the index`): a file added to a copy since its index was written is not restored unchecked.
 */
export function hashCheckCommands(spec: HashCheckSpec, tools: ToolPaths): Command[] {
  return [
    {
      kind: 'exec',
      argv: [hashTool(spec, tools), '--check', '--strict', '--quiet', '--', spec.index],
      cwd: spec.dir,
    },
    ...listNames(spec, tools),
    { kind: 'exec', argv: [tools.awk ?? 'awk', UNLISTED, spec.index, spec.list], cwd: spec.dir },
    { kind: 'exec', argv: ['rm', '-f', '--', spec.list] },
  ];
}

/**
 * Reads the names of the index (lines `HASH *NAME` or `HASH  NAME`; a line starting with a
 * backslash holds a name whose backslashes, line feeds and carriage returns the checksum tool
 * wrote as `\\\\`, `\\n` and `\\r`), then the NUL-terminated names of the tree, and names each of those
 * the index does not list; exits 1 if there is one.
 */
const UNLISTED = [
  'BEGIN {',
  '  idx = ARGV[1]',
  '  while ((getline line < idx) > 0) {',
  '    escaped = substr(line, 1, 1) == "\\\\"',
  '    if (escaped) line = substr(line, 2)',
  '    name = substr(line, index(line, " ") + 2)',
  '    if (escaped) {',
  '      plain = ""',
  '      for (i = 1; i <= length(name); i++) {',
  '        c = substr(name, i, 1)',
  '        if (c == "\\\\") {',
  '          c = substr(name, ++i, 1)',
  '          c = c == "n" ? "\\n" : c == "r" ? "\\r" : c',
  '        }',
  '        plain = plain c',
  '      }',
  '      name = plain',
  '    }',
  '    listed[name] = 1',
  '  }',
  '  close(idx)',
  '  ARGV[1] = ""',
  '  RS = "\\0"',
  '}',
  '!($0 in listed) { shown = $0; gsub(/\\n/, "\\\\n", shown); print shown ": not in the index"; missing++ }',
  'END { if (missing) { printf "%d file(s) of the tree not in %s\\n", missing, idx > "/dev/stderr"; exit 1 } }',
].join('\n');

const hashTool = (spec: HashCheckSpec, tools: ToolPaths): string =>
  tools[`${spec.method}sum`] ?? `${spec.method}sum`;

/**
 * gpg in batch mode, the passphrase read from a private work file (never argv), not cached by the
 * agent; the helper adds `--output FILE -- INPUT` per file.
 */
export function cryptTreeCommand(spec: CryptTreeSpec): MapTreeCommand {
  return {
    kind: 'map-tree',
    from: spec.from,
    to: spec.to,
    hold: HOLDING_DIR,
    tool: [
      spec.gpg,
      '--batch',
      '--yes',
      '--quiet',
      '--no-tty',
      '--no-symkey-cache',
      '--pinentry-mode',
      'loopback',
      '--passphrase-file',
      { prefix: '', workFile: spec.passphraseFile },
      ...(spec.direction === 'encrypt' ? ['--symmetric', '--cipher-algo', 'AES256'] : ['--decrypt']),
    ],
    excludes: spec.excludes.map((path) => `./${findLiteral(path)}`),
  };
}
