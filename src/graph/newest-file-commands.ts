import type { GetNewestFileSpec } from './action.js';
import type { Command, NewestFileCommand, ToolPaths, Word } from './command.js';
import { rcloneGetCommands } from './rclone-commands.js';
import { rcloneCommand, remoteWord } from './rclone-words.js';
import { remoteCommand, rsyncFile } from './transport-commands.js';

/** Stands for the chosen path while the fetch is built, then splits its words around it. */
const CHOSEN = '\u0000chosen\u0000';

/**
 * The newest file of a series found where it lies, then made `spec.file`: on this host a symbolic
 * link to it (an archive is only read); elsewhere fetched as getFileCommands fetches one file (by
 * rsync through ssh, by rclone into a hidden partial published when whole). The listing is `find`
 * (here, or on the ssh host) or `rclone lsf`, each printing paths relative to the directory.
 */
export function newestFileCommands(spec: GetNewestFileSpec, tools: ToolPaths): Command[] {
  const { search, transport, file } = spec;
  const below = search.dir.endsWith('/') ? search.dir : `${search.dir}/`;
  const find = [
    'find',
    search.dir,
    '-mindepth',
    '1',
    '-maxdepth',
    String(search.depth),
    '-type',
    'f',
    '-printf',
    '%P\\n',
  ];
  const choice = {
    kind: 'newest-file' as const,
    pattern: search.pattern,
    order: search.order,
    notAfter: search.notAfter,
    none: `no file is named as ${search.shown}${search.notAfter === '' ? '' : ' at or before --at'}`,
  };
  if (transport === undefined)
    return [{ ...choice, list: find, get: ['ln', '-sfn', '--'], prefix: below, after: [file] }];
  if (transport.kind === 'ssh') {
    const get = split(execArgv(rsyncFile(transport, tools, [], CHOSEN, file)));
    return [
      {
        ...choice,
        list: execArgv(remoteCommand(transport, find, tools)),
        ...get,
        prefix: `${transport.host}:${below}`,
      },
    ];
  }
  const list = rcloneCommand(transport, tools, [
    'lsf',
    '-R',
    '--files-only',
    '--max-depth',
    String(search.depth),
    '--',
    remoteWord(transport, below),
  ]);
  const [copy, ...publish] = rcloneGetCommands({ transport, remote: CHOSEN, file }, transport, tools);
  return [
    {
      ...choice,
      list: list.argv,
      ...split(execArgv(copy as Command), remoteWord(transport, CHOSEN)),
      prefix: remoteWord(transport, below),
      ...(list.env === undefined ? {} : { env: list.env }),
    },
    ...publish,
  ];
}

function execArgv(command: Command): readonly Word[] {
  if (command.kind !== 'exec') throw new Error('a fetch that is not one command');
  return command.argv;
}

/** The words before and after `marker`, the word that stands for the chosen path. */
function split(argv: readonly Word[], marker: string = CHOSEN): Pick<NewestFileCommand, 'get' | 'after'> {
  const at = argv.indexOf(marker);
  if (at < 0) throw new Error('the fetch does not name the chosen path in a word of its own');
  return { get: argv.slice(0, at), after: argv.slice(at + 1) };
}
