import type { SyncDirSpec } from './action.js';
import { type Command, type EnvValue, orUnreadable, type ToolPaths, type Word } from './command.js';
import { prunedWalk } from './find-words.js';
import { HOLDING_DIR } from './holding-dir.js';
import { globEscaped, rcloneCommand, rcloneEnv, remoteWord } from './rclone-words.js';

/**
 * `up`: `rclone sync` (each file uploaded whole under its name, deletions after every transfer),
 * judged first like every guarded copy: what the directory holds (`rclone size --json`) against
 * what would be sent (an rsync dry run of the local side with the same exclusions). `down`:
 * `rclone sync` into a directory kept from run to run.
 *
 * rclone tells a changed file by its size and modification time, but a WebDAV server keeps no
 * modification time rclone can set and an FTP server keeps whole seconds: a file rewritten with
 * its size unchanged would never be sent again. So with `changes`, every file whose status changed
 * since the last upload that ended well (its ctime, which no program can set back, after the
 * stamp's time) is sent whatever the server holds, once the guard judged the upload (a refused
 * one changes nothing there), and before the sync, which then finds it there.
 */
export function syncDirCommands(
  spec: SyncDirSpec,
  tools: ToolPaths,
  options: { readonly allowShrink?: boolean },
): Command[] {
  const transport = spec.transport;
  const remote = remoteWord(transport, spec.remote);
  // Down: `local` is made like `remote`, deleting what it no longer holds (a directory kept from
  // run to run is updated at the cost of what changed).
  if (spec.direction === 'down')
    return [orUnreadable(rcloneCommand(transport, tools, syncWords(spec)), spec.unreadable)];
  const rclone = tools.rclone ?? 'rclone';
  const incoming: Word[] = [
    tools.rsync ?? 'rsync',
    '-a',
    '-n',
    '--stats',
    '--no-h',
    `--exclude=${HOLDING_DIR}/`,
    ...spec.excludes.map((path) => `--exclude=/${path}/`),
    ...(spec.ownFile === undefined ? [] : [`--exclude=/${spec.ownFile}`]),
    '--',
    spec.local.endsWith('/') ? spec.local : `${spec.local}/`,
    { prefix: '', workFile: 'measure' },
  ];
  const guard = {
    maxShrinkPercent: spec.guard?.maxShrinkPercent ?? 100,
    allowShrink: spec.guard === undefined || options.allowShrink === true,
    what: spec.guard?.what ?? spec.remote,
    env: rcloneEnv(transport, tools),
  };
  // The manifest the mirror carries beside the files is no part of what the sync sends.
  const previous = [rclone, 'size', '--json', ...ownFileExcluded(spec), '--', remote];
  if (spec.changes === undefined)
    return [
      {
        kind: 'copy',
        incoming,
        previous,
        // Its first copy is the sync itself: it holds nothing back (withoutHolding finds no words).
        copy: [rclone, ...syncWords(spec)],
        ...guard,
        // The guard's measure fails silently (the copy says why): the sync is the first to hear a
        // refused login, and names the option to fix.
        ...(transport.loginFailures === undefined ? {} : { explains: transport.loginFailures }),
      },
    ];
  // Judged before the changed files are sent: those overwrite the server's copies. A measure of
  // the server that fails (a refused login, a directory not made yet) is judged by nothing; with
  // nothing changed, the upload of changed files asks an S3 server nothing, so the sync, the
  // first to hear a refused login then, names the option to fix too.
  return [
    { kind: 'check-copy', incoming, previous, ...guard },
    ...sendChanged(spec, spec.changes, tools),
    rcloneCommand(transport, tools, syncWords(spec)),
    { kind: 'exec', argv: ['mv', '-f', '--', `${spec.changes.stamp}.next`, spec.changes.stamp] },
  ];
}

/**
 * The push's dry run, for the question before a restore replaces a server's directory: rclone
 * names each file it would send or delete ("Skipped copy/delete as --dry-run is set"), one line
 * each, without the date of every line or the block of totals it otherwise ends with.
 */
export function syncPreview(
  spec: SyncDirSpec,
  tools: ToolPaths,
): { readonly argv: readonly Word[]; readonly env: Record<string, EnvValue> } {
  return {
    argv: [tools.rclone ?? 'rclone', ...syncWords(spec, '--dry-run', '--stats=0', '--log-format=')],
    env: rcloneEnv(spec.transport, tools),
  };
}

/** rclone's words (after the tool) that make the side `spec.direction` names like the other one. */
function syncWords(spec: SyncDirSpec, ...flags: string[]): string[] {
  const remote = remoteWord(spec.transport, spec.remote);
  const [from, to] = spec.direction === 'down' ? [remote, spec.local] : [spec.local, remote];
  return ['sync', ...flags, '--links', ...syncFilters(spec), '--', from, to];
}

const HOLDING_EXCLUDED = ['--exclude', `${HOLDING_DIR}/**`] as const;

function syncFilters(spec: SyncDirSpec): string[] {
  return [
    // A bucket has no directories: one recursive listing (a request per 1,000 keys) replaces one
    // per "directory" prefix. Fewer billed requests, and no reliance on delimiter listings, which
    // some S3-compatible servers get wrong for a prefix that holds only other prefixes.
    ...(spec.transport.remote === ':s3:' ? ['--fast-list'] : []),
    // The holding directories of local copies in place, at any depth, are never sent. A fetched
    // directory of that name is the server's data: the copy in place that reads it says it left
    // it out.
    ...(spec.direction === 'up' ? HOLDING_EXCLUDED : []),
    ...spec.excludes.flatMap((path) => ['--exclude', `/${globEscaped(path)}/**`]),
    ...(spec.direction === 'up' ? ownFileExcluded(spec) : []),
  ];
}

function ownFileExcluded(spec: SyncDirSpec): string[] {
  return spec.ownFile === undefined ? [] : ['--exclude', `/${globEscaped(spec.ownFile)}`];
}

/**
 * The files changed since the stamp, listed by `find` (holding directories and excluded paths
 * pruned, as rclone takes no filter beside the list; a symbolic link under the name rclone gives
 * it, `NAME.rclonelink`), sent by one rclone, which reads them on its standard input.
 * A missing stamp (a first upload, a lost metadata directory) is made as old as can be, so that
 * everything is sent. This run's stamp is taken before the listing, by the clock that sets the
 * files' ctimes (the filesystem's: a network filesystem's server may run apart from this host),
 * then moved two seconds back (that clock moves by ticks); it replaces the previous one once the
 * sync ended well.
 */
function sendChanged(spec: SyncDirSpec, changes: { readonly stamp: string }, tools: ToolPaths): Command[] {
  const next = `${changes.stamp}.next`;
  const touch = tools.touch ?? 'touch';
  const changed = ['-cnewer', changes.stamp];
  const upload = rcloneCommand(spec.transport, tools, [
    'copy',
    '--ignore-times',
    '--no-traverse',
    '--links',
    '--files-from-raw',
    '-',
    '--',
    spec.local,
    remoteWord(spec.transport, spec.remote),
  ]);
  return [
    { kind: 'exec', argv: [touch, '-d', '@0', '--', next] },
    { kind: 'exec', argv: [tools.rsync ?? 'rsync', '-t', '--ignore-existing', '--', next, changes.stamp] },
    { kind: 'exec', argv: [touch, '--', next] },
    { kind: 'exec', argv: [touch, '-r', next, '-d', '-2 seconds', '--', next] },
    {
      ...upload,
      argv: [
        // rclone reads one name per line. A name with a line break reads as names that are not
        // there, which rclone skips (or sends again, whole): that file is left to the sync.
        ...prunedWalk(tools.find ?? 'find', [
          ...spec.excludes,
          ...(spec.ownFile === undefined ? [] : [spec.ownFile]),
        ]),
        '-type',
        'f',
        ...changed,
        '-printf',
        '%P\\n',
        '-o',
        '-type',
        'l',
        ...changed,
        '-printf',
        '%P.rclonelink\\n',
      ],
      cwd: spec.local,
      // The names go to rclone through a pipe, never a file: a failed upload leaves no list.
      pipeline: [upload.argv],
    },
  ];
}
