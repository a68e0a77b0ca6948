import type { Unfinished } from '../unfinished.js';
import type { PackSpec, RsyncSpec } from './action.js';
import { archiveListing, keptListing } from './archive-commands.js';
import type { Command, CopyCommand, CopyFigures, ToolPaths, Word } from './command.js';
import { HOLDING_DIR, holdingDir } from './holding-dir.js';
import { underKerberos } from './kerberos-commands.js';
import { measuredPartPattern } from './measured-part.js';
import { shCommand } from './sh-command.js';
import { withoutTrailingSlashes } from './trailing-slashes.js';
import { remoteShellArgv, rsyncRemoteShell } from './transport-commands.js';

/** How a run treats suspicious copies: `--allow-shrink` accepts them. */
export interface CommandOptions {
  readonly allowShrink?: boolean;
  /**
   * Set in units that record a state: their copies are judged against the figures it recorded
   * (by `copyFiguresKey`) and keep their new figures for its next record.
   */
  readonly copyFigures?: Readonly<Record<string, CopyFigures>>;
  /** The directory whose size the unit records (`total_size`), where it records one. */
  readonly measure?: string;
}

/** A local copy with rsync: guarded (judged before it changes anything) or not, then flushed. */
export function rsyncCommands(action: RsyncSpec, tools: ToolPaths, options: CommandOptions): Command[] {
  const rsync = tools.rsync ?? 'rsync';
  const kerberos = action.remote?.kerberos;
  // Without a ticket (most copies) the words are run as they are: no callback, no copy of them.
  const viaSsh = (words: Word[]) => (kerberos === undefined ? words : underKerberos(kerberos, tools, words));
  const copy = rsyncArgv(action, tools.ssh, true);
  copy[0] = rsync;
  if (action.guard === undefined) return afterCopy(action, { kind: 'exec', argv: viaSsh(copy) });
  const key = copyFiguresKey(action);
  const recorded = recordedFigures(options.copyFigures, key);
  const incoming = incomingMeasure(action, tools);
  // Key by key, in the order saved plans have always had them: thousands of copies skip a
  // temporary object and a copy of it for each optional key.
  const command: Unfinished<CopyCommand> = {
    kind: 'copy',
    incoming: incoming.incoming,
  };
  if (incoming.incomingListing === true) command.incomingListing = true;
  command.previous = recorded === undefined ? measureCommand(action, 'to', tools) : [];
  // Its first copy is derived from it where it runs (withoutHolding), under k5start too.
  command.copy = viaSsh(copy);
  if (recorded !== undefined) command.recorded = recorded;
  if (options.copyFigures !== undefined) {
    command.figuresKey = JSON.stringify(key);
    // A copy to another host is never part of a local directory's size.
    const part =
      options.measure === undefined || action.remote?.side === 'to'
        ? undefined
        : measuredPartPattern(options.measure, key);
    if (part !== undefined) command.measuredPart = part;
  }
  command.maxShrinkPercent = action.guard.maxShrinkPercent;
  command.allowShrink = options.allowShrink === true;
  command.what = action.guard.what;
  if (action.unreadable !== undefined) command.unreadable = action.unreadable;
  // Made only once judged: a refused copy leaves its target as it found it.
  if (action.inPlace === true && action.remote?.side !== 'to') command.makeDir = holdingDir(action.to);
  return afterCopy(action, command as CopyCommand);
}

/**
 * The figures a state recorded for a copy. A point that never ran recorded none: its copies skip
 * looking their paths up as keys, which costs a hash of each.
 */
function recordedFigures(
  figures: Readonly<Record<string, CopyFigures>> | undefined,
  key: string,
): CopyFigures | undefined {
  if (figures === undefined) return undefined;
  for (const _ in figures) return figures[key];
  return undefined;
}

/**
 * A local copy, guarded or not, then what follows it in place on this host: the live target tidied
 * (liveTempDirRemoved), then flushed once the copy ended, before its step succeeds and its unit
 * records a success: `sync -f` flushes the destination's filesystem (the files, their renames and
 * the deletions) in one call, where `rsync --fsync` would flush file by file (see
 * bench/durability.mjs). A copy received on another host is flushed by that host's rsync
 * (`--fsync` in rsyncArgv). One list, not one for each part.
 */
function afterCopy(spec: RsyncSpec, copy: Command): Command[] {
  const commands = [copy];
  if (spec.inPlace !== true || spec.remote?.side === 'to') return commands;
  if (spec.liveTarget === true) commands.push(liveTempDirRemoved(spec));
  commands.push(syncFilesystem(spec.to));
  return commands;
}

/**
 * In live data the holding directories are kept (holdingFilters), so the top one, which a step
 * created for the files being received (--temp-dir), is removed after the copy when it is empty
 * and rsync did not remove it (it does when it held the top directory's updates): a restore
 * leaves nothing of its own in the directory it restored.
 */
function liveTempDirRemoved(spec: RsyncSpec): Command {
  return { kind: 'exec', argv: ['find', withSlash(spec.to), ...TOP_HOLDING_DIR_IF_EMPTY] };
}
const TOP_HOLDING_DIR_IF_EMPTY = Object.freeze([
  '-mindepth',
  '1',
  '-maxdepth',
  '1',
  '-name',
  HOLDING_DIR,
  '-type',
  'd',
  '-empty',
  '-delete',
]);

/** `sync -f`: the filesystem holding `path` flushed in one call (syncfs). */
export const syncFilesystem = (path: string): Command => ({ kind: 'exec', argv: ['sync', '-f', '--', path] });

/** A guarded copy is judged before it changes anything (see CopyCheckCommand). */
export function copyCheck(spec: RsyncSpec, tools: ToolPaths, options: CommandOptions): Command[] {
  if (spec.guard === undefined) return [];
  return [
    {
      kind: 'check-copy',
      incoming: measureCommand(spec, 'from', tools),
      previous: measureCommand(spec, 'to', tools),
      maxShrinkPercent: spec.guard.maxShrinkPercent,
      allowShrink: options.allowShrink === true,
      what: spec.guard.what,
    },
  ];
}

/**
 * A guarded archive is judged before it is written: what the collect point holds, measured as a
 * copy's incoming side is (the same leftovers and holding directories left out), against the
 * `tar -tv` listing kept of the archive it follows, else against that archive's own listing when
 * it is on this host (none: nothing to lose).
 */
export function archiveCheck(spec: PackSpec, tools: ToolPaths, options: CommandOptions): Command[] {
  if (spec.guard === undefined) return [];
  const tree: RsyncSpec = {
    from: spec.from,
    to: spec.from,
    deleteExtraneous: false,
    hardLinks: false,
    inPlace: true,
    filters: spec.excludes.map((path) => ({ rule: 'exclude', pattern: `/${path}/` })),
  };
  return [
    {
      kind: 'check-copy',
      incoming: measureCommand(tree, 'from', tools),
      previous: keptListing(spec.guard.listing),
      ...(spec.guard.archive === undefined
        ? {}
        : { otherwise: archiveListing(spec.guard.archive, spec.compression, tools) }),
      maxShrinkPercent: spec.guard.maxShrinkPercent,
      allowShrink: options.allowShrink === true,
      what: spec.guard.what,
    },
  ];
}

const HOLDING_FILTERS = [`--filter=H ${HOLDING_DIR}`, `--filter=R ${HOLDING_DIR}`];
const LIVE_HOLDING_FILTERS = [`--filter=H ${HOLDING_DIR}`, `--filter=P ${HOLDING_DIR}`];
/**
 * The holding directory's name is reserved at every depth, for files too (a file of that name
 * would stand where rsync makes the directory): never sent (H); in polyarchiv's own copies a
 * leftover of a killed run is deleted (R, first rule wins), in live data it is kept (P).
 */
export const holdingFilters = (spec: RsyncSpec): readonly string[] =>
  spec.liveTarget === true ? LIVE_HOLDING_FILTERS : HOLDING_FILTERS;
// Words of every copy made once: a plan of thousands of copies holds one string of each.
const PARTIAL_DIR = `--partial-dir=${HOLDING_DIR}`;
/**
 * What holds a copy's updates back until the transfer ends: a first copy does without. The
 * script's polyarchiv_copy is given these words too, to derive its first copy by withoutHolding's
 * rule.
 */
export const HOLD_UPDATES: readonly string[] = Object.freeze(['--delay-updates', PARTIAL_DIR]);

/**
 * A guarded copy's first copy, into a target that holds nothing yet (`rsyncArgv` without `hold`),
 * derived from its argv where it runs, by both backends alike: the same words but the first run of
 * HOLD_UPDATES, which come before any path or filter (also under k5start, whose words hold none);
 * a copy without them (rclone's) is its own first copy.
 */
export function withoutHolding(copy: readonly Word[]): readonly Word[] {
  const first = HOLD_UPDATES[0] as string;
  for (let at = copy.indexOf(first); at >= 0; at = copy.indexOf(first, at + 1)) {
    if (HOLD_UPDATES.every((word, i) => copy[at + i] === word))
      return [...copy.slice(0, at), ...copy.slice(at + HOLD_UPDATES.length)];
  }
  return copy;
}
const TEMP_DIR = `--temp-dir=${HOLDING_DIR}`;
const HIDDEN_NAMED = '--debug=FILTER1';
const REMOTE_HIDDEN_NAMED = `--remote-option=${HIDDEN_NAMED}`;
/**
 * The word that has the sender of a run name each entry a filter rule hides: rsync's own, or, when
 * `side` (the sending side) is on another host, that host's, asked through the remote shell.
 */
const hiddenNamed = (spec: RsyncSpec, side: 'from' | 'to'): string =>
  spec.remote?.side === side ? REMOTE_HIDDEN_NAMED : HIDDEN_NAMED;
/** Where a dry run "copies" to: a directory of the work directory that never exists. */
const MEASURE_TARGET: Word = Object.freeze({ prefix: '', workFile: 'measure' });

/** Where a state keeps the figures of a copy: its target, `host:path` on another host. */
export function copyFiguresKey(spec: Pick<RsyncSpec, 'to' | 'remote'>): string {
  const to = withoutTrailingSlashes(spec.to);
  return spec.remote?.side === 'to' ? `${spec.remote.host}:${to}` : to;
}

/**
 * Paths are absolute, so none starts with `-` and rsync never mistakes `a:b` for a remote host
 * (a colon after a slash is local); `--` ends the options all the same. `hold: false` is an
 * in-place copy into a target that holds nothing yet: no update is held back.
 */
export function rsyncArgv(spec: RsyncSpec, ssh = 'ssh', hold = true): string[] {
  // A file rewritten with the same size within the second of the previous copy differs from it
  // only below the second: rsync compares whole seconds unless the window is negative.
  const argv = ['rsync', '-a', '--modify-window=-1'];
  if (spec.metadata?.xattrs === true) argv.push('-X');
  if (spec.metadata?.acls === true) argv.push('-A');
  const remote = spec.remote;
  if (remote !== undefined) {
    // -s: the paths travel inside rsync's protocol, never through the remote shell.
    argv.push('-e', rsyncRemoteShell([ssh, ...remote.sshArgs]), '-s');
    // The original ran `ssh host mkdir -p DIR` (a shell string) before a push; --mkpath needs no shell.
    if (remote.side === 'to') argv.push('--mkpath');
  }
  if (spec.inPlace === true) {
    // The holding directories (holdingFilters): a leftover of a killed run is deleted once the
    // transfer ended (--delete-delay), except in live data. Files being received wait in the top
    // one (--temp-dir, relative to the target, created by a mkdir step), so that a killed receiver
    // leaves no temporary file among the copied ones.
    // Updates then wait whole in each directory's one until the transfer ends; a first copy has
    // nothing to protect, and holding back each of its files would double its cost.
    if (hold) argv.push(...HOLD_UPDATES);
    if (remote?.side !== 'to') argv.push(TEMP_DIR);
    // No `sync -f` reaches the other host: its rsync flushes each file it receives.
    else argv.push('--fsync');
    argv.push(...holdingFilters(spec));
    if (spec.deleteExtraneous) argv.push('--delete-delay');
  } else if (spec.deleteExtraneous) argv.push('--delete');
  // Rules that name a side (the holding directories' H, R and P) keep their meaning: only the
  // user's patterns stop protecting what they match in the target.
  if (spec.deleteExtraneous && spec.deleteExcluded === true && spec.filters.length > 0)
    argv.push('--delete-excluded');
  // What a guarded copy received, read back for the point's state; from live data, also what it
  // left out (rsync names each entry a rule hides; the sender's, on the other host, only when asked
  // through the remote shell). Both on stdout, which only the copy's helper reads.
  if (spec.guard !== undefined) {
    argv.push('--stats', '--no-h');
    if (spec.liveSource === true) argv.push(hiddenNamed(spec, 'from'));
  }
  argv.push('-S');
  if (spec.hardLinks) argv.push('-H');
  argv.push(...filterArgs(spec));
  if (spec.linkDest !== undefined) argv.push(`--link-dest=${spec.linkDest}`);
  const side = (which: 'from' | 'to') =>
    remote?.side === which ? `${remote.host}:${withSlash(spec[which])}` : withSlash(spec[which]);
  argv.push('--', side('from'), side('to'));
  return argv;
}

/**
 * The command that counts one side of a copy: rsync's dry run (`--stats`, no file list) with the
 * copy's filters, the holding directories left out. A side on another host is counted there, by
 * that host's rsync run through ssh, so that only the figures cross the network, never the file
 * list of the whole tree, which the copy itself sends once more; a filter read from a file of this
 * host (`--exclude-from`) keeps the count here, the list sent over ssh.
 */
function measureCommand(spec: RsyncSpec, side: 'from' | 'to', tools: ToolPaths): Word[] {
  const remote = spec.remote;
  if (remote?.side === side && !spec.filters.some((filter) => filter.fromFile !== undefined)) {
    const there = shCommand([
      'rsync',
      ...MEASURE_FLAGS,
      ...measureRules(spec, side, HIDDEN_NAMED),
      sidePath(spec, side),
      REMOTE_MEASURE_TARGET,
    ]);
    return remoteShellArgv(remote, there, tools);
  }
  return underKerberos(remote?.kerberos, tools, [
    tools.rsync ?? 'rsync',
    ...measureArgv(spec, side, tools.ssh),
  ]);
}

/**
 * Where a dry run run on another host "copies" to: a path that does not exist there, in a
 * directory that does (rsync enters it when the side is an empty directory). A dry run creates
 * nothing, and the figures it prints are the sender's.
 */
const REMOTE_MEASURE_TARGET = '/nonexistent-polyarchiv-measure';

/** A dry run of this host that counts one side, into a directory of the work directory that never exists. */
function measureArgv(spec: RsyncSpec, side: 'from' | 'to', ssh = 'ssh'): Word[] {
  const remote = spec.remote?.side === side ? spec.remote : undefined;
  const argv: Word[] = [...MEASURE_FLAGS];
  if (remote !== undefined) argv.push('-e', rsyncRemoteShell([ssh, ...remote.sshArgs]), '-s');
  argv.push(...measureRules(spec, side, hiddenNamed(spec, side)));
  const at = sidePath(spec, side);
  argv.push(remote === undefined ? at : `${remote.host}:${at}`, MEASURE_TARGET);
  return argv;
}

const MEASURE_FLAGS = Object.freeze(['-a', '-n', '--stats', '--no-h']);

/**
 * A measure's filter rules and its `--`, after its flags and transport: `named`, how its sender is
 * asked to name hidden entries.
 */
function measureRules(spec: RsyncSpec, side: 'from' | 'to', named: string): string[] {
  const argv: string[] = [];
  if (spec.inPlace === true) argv.push(HOLDING_FILTERS[0] as string);
  // Live data about to be restored into: what it holds of the reserved name (polyarchiv_check_copy).
  if (side === 'to' && spec.liveTarget === true) argv.push(named);
  // A target whose excluded files the copy deletes is measured whole: they are part of what it loses.
  if (side === 'from' || spec.deleteExcluded !== true) argv.push(...filterArgs(spec));
  argv.push('--');
  return argv;
}

const sidePath = (spec: RsyncSpec, side: 'from' | 'to'): string => withSlash(spec[side]);

/**
 * How a guarded copy counts what it would receive. A local incoming side that no filter of the
 * copy narrows is counted by one `find` walk (`incomingListing`) whose listing the copy's helper
 * sums into the figures rsync's dry run prints (entries, the top directory being one; regular
 * files; the bytes of regular files and of symbolic links, a link's being its target's length;
 * holding directories left out), at half its cost and without its three processes. Any other side
 * is counted by the dry run, which alone applies rsync's filters exactly.
 */
export function incomingMeasure(
  spec: RsyncSpec,
  tools: ToolPaths = {},
): { incoming: Word[]; incomingListing?: true } {
  if (spec.remote?.side === 'from' || spec.filters.length > 0)
    return { incoming: measureCommand(spec, 'from', tools) };
  const holding = spec.inPlace === true ? PRUNE_HOLDING : [];
  return {
    incoming: ['find', withSlash(spec.from), '-mindepth', '1', ...holding, '-printf', '%y %s\\n'],
    incomingListing: true,
  };
}

const PRUNE_HOLDING = Object.freeze(['-name', HOLDING_DIR, '-prune', '-o']);

function filterArgs(spec: RsyncSpec): readonly string[] {
  if (spec.filters.length === 0) return NO_FILTERS;
  return spec.filters.flatMap((filter) => {
    if (filter.fromFile !== undefined) return [`--${filter.rule}-from=${filter.fromFile}`];
    return filter.pattern === undefined ? [] : [`--${filter.rule}=${filter.pattern}`];
  });
}

/** The filter words of a copy without filters, never modified. */
const NO_FILTERS: readonly string[] = [];

const withSlash = (path: string): string => (path.endsWith('/') ? path : `${path}/`);
