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

/** Every file of the index read back and compared; each bad one is named (`NAME: FAILED`). */
export function hashCheckCommand(spec: HashCheckSpec, tools: ToolPaths): Command {
  return {
    kind: 'exec',
    argv: [hashTool(spec, tools), '--check', '--strict', '--quiet', '--', spec.index],
    cwd: spec.dir,
  };
}

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
