import type { GetNewestFileSpec, SshTransport } from './action.js';
import type { Command, EnvValue, NewestFileCommand, ToolPaths, Word } from './command.js';
import { HOLDING_DIR } from './holding-dir.js';
import { rcloneGetCommands } from './rclone-commands.js';
import { syncDirCommands } from './rclone-sync-commands.js';
import { rcloneCommand, remoteWord } from './rclone-words.js';
import { rsyncCommands } from './rsync-commands.js';
import { remoteCommand, rsyncFile } from './transport-commands.js';

/** Stands for the chosen path while the fetch is built, then splits its words around it. */
const CHOSEN = '\u0000chosen\u0000';

/**
 * The newest file (or directory) of a series found where it lies, then made `spec.file`: on this
 * host a symbolic link to it (it is only read); elsewhere fetched as getFileCommands fetches one
 * file (by rsync through ssh, by rclone into a hidden partial published when whole), a directory
 * as a whole tree (rsync, `rclone sync`). The listing is `find` (here, or on the ssh host) or
 * `rclone lsf`, each printing paths relative to the directory, a directory's with a final slash.
 */
export function newestFileCommands(spec: GetNewestFileSpec, tools: ToolPaths): Command[] {
  const { search, transport, file } = spec;
  const directories = search.entries === 'directories';
  const modified = search.orderBy === 'modification';
  const below = search.dir.endsWith('/') ? search.dir : `${search.dir}/`;
  const find = [
    'find',
    search.dir,
    '-mindepth',
    '1',
    '-maxdepth',
    String(search.depth),
    '-type',
    directories ? 'd' : 'f',
    '-printf',
    `${modified ? '%TY-%Tm-%Td %TT;' : ''}%P${directories ? '/' : ''}\\n`,
  ];
  const choice = {
    kind: 'newest-file' as const,
    pattern: search.pattern,
    pathGroup: search.pathGroup,
    order: search.order,
    notAfter: search.notAfter,
    none: `no ${directories ? 'directory' : 'file'} is named as ${search.shown}${search.notAfter === '' ? '' : search.passedOver === undefined ? ' at or before --at' : ` before ${search.passedOver} (passed over: the name of --at's time may be that of a copy made after it)`}`,
    ...(spec.unlisted === undefined ? {} : { unlisted: spec.unlisted }),
    ...(spec.unreadable === undefined ? {} : { unreadable: spec.unreadable }),
  };
  // Modification times are listed in UTC, whatever the zone of the host that lists them.
  const utc: Record<string, EnvValue> = modified ? { TZ: { literal: 'UTC' } } : {};
  if (transport === undefined)
    return [
      {
        ...choice,
        list: find,
        get: ['ln', '-sfn', '--'],
        prefix: below,
        shownPrefix: below,
        after: [file],
        ...(modified ? { env: utc } : {}),
      },
    ];
  if (transport.kind === 'ssh') {
    const get = directories
      ? fetchTree(transport, spec, tools)
      : split(execArgv(rsyncFile(transport, tools, [], CHOSEN, file)));
    return [
      {
        ...choice,
        list: execArgv(remoteCommand(transport, modified ? ['env', 'TZ=UTC', ...find] : find, tools)),
        ...get,
        prefix: `${transport.host}:${below}`,
        shownPrefix: `${transport.host}:${below}`,
      },
    ];
  }
  const list = rcloneCommand(transport, tools, [
    'lsf',
    '-R',
    directories ? '--dirs-only' : '--files-only',
    ...(modified ? ['--format', 'tp', '--separator', ';'] : []),
    // A bucket has no directories: one recursive listing of the keys below (the pattern keeps
    // those of the series' depth), as S3-compatible servers that list one "directory" level at a
    // time by delimiter give nothing for a prefix that holds only other prefixes.
    ...(transport.remote === ':s3:' ? ['--fast-list'] : ['--max-depth', String(search.depth)]),
    '--',
    remoteWord(transport, below),
  ]);
  const [copy, ...publish] = directories
    ? syncDirCommands({ direction: 'down', local: file, transport, remote: CHOSEN, excludes: [] }, tools, {})
    : rcloneGetCommands({ transport, remote: CHOSEN, file }, transport, tools);
  return [
    {
      ...choice,
      list: list.argv,
      ...split(execArgv(copy as Command), remoteWord(transport, CHOSEN)),
      prefix: remoteWord(transport, below),
      // rclone's remote (`:webdav:/path`) is no name the configuration gives: its URL is.
      shownPrefix: `${transport.shown}${below}`,
      // A login the server refuses, at the listing or the fetch, names the option to fix.
      ...(transport.loginFailures === undefined ? {} : { explains: transport.loginFailures }),
      ...(list.env === undefined && !modified ? {} : { env: { ...list.env, ...utc } }),
    },
    ...publish,
  ];
}

/**
 * A directory of the ssh host fetched as copies are: its hard links, and its extended attributes
 * and ACLs as the point keeps them; the directories where rsync held updates of a killed run stay
 * there. Split around the chosen path, listed with its final slash.
 */
function fetchTree(
  transport: SshTransport,
  spec: GetNewestFileSpec,
  tools: ToolPaths,
): Pick<NewestFileCommand, 'get' | 'after'> {
  const { host, sshArgs, kerberos } = transport;
  const [fetch] = rsyncCommands(
    {
      from: CHOSEN,
      to: spec.file,
      deleteExtraneous: false,
      hardLinks: true,
      ...(spec.metadata === undefined ? {} : { metadata: spec.metadata }),
      filters: [{ rule: 'exclude', pattern: `${HOLDING_DIR}/` }],
      remote: { side: 'from', host, sshArgs, ...(kerberos === undefined ? {} : { kerberos }) },
    },
    tools,
    {},
  );
  return split(execArgv(fetch as Command), `${host}:${CHOSEN}/`);
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
