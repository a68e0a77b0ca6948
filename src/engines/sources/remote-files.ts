import type { ActionDraft, RcloneTransport, RsyncRemote, SyncDirSpec } from '../../graph/action.js';
import { SERVER_PERMISSION } from '../backup/expect-fetched.js';
import { targetOptionNames } from '../backup/service-target.js';
import { checkTarget, shownTarget, targetOf, transportOptions } from '../backup/target.js';
import {
  COPY_GUARD_OPTION,
  COPY_METADATA_OPTIONS,
  collectPointExclusion,
  copyInPlace,
  copyMetadata,
  liveRestore,
  PRESERVE_HARD_LINKS_OPTION,
} from '../copy-in-place.js';
import type { BoundCollectPoint, BoundSource, SourceEngine } from '../engine.js';
import { kerberosLogin, ticketDrafts } from '../kerberos-login.js';
import { sourceSecretOwner } from '../secrets.js';
import { SSH_KERBEROS_NAMES, sshLoginWords } from '../ssh-options.js';
import { destinationPath } from '../toolkit.js';
import { parseRemoteLocation } from '../url.js';

/** source_url and the options of its transport, named as a backup point's remote_url's. */
const SOURCE_URL = targetOptionNames('source_url', '');

/**
 * Pulls a directory from another host over ssh, from a WebDAV or FTP server or an S3 bucket (or
 * from a local path) into the collect point; a restore pushes it back, deleting what the copy does
 * not hold.
 */
export const remoteFiles: SourceEngine = {
  role: 'source',
  name: 'remote_files',
  summary:
    'Copy a directory from another host (rsync over ssh), a WebDAV or FTP server or an S3 bucket (rclone), or a local path into the collect point.',
  options: [
    {
      name: 'source_url',
      type: 'url',
      required: true,
      urlPasswordSecret: true,
      help: 'Directory to back up: ssh://[user@]host[:port]/path, user@host:/path, http(s)://[user@]host[:port]/path (WebDAV), ftp(s)://[user@]host[:port]/path, s3://bucket/prefix, file:///path or /path; http(s) and ftp(s) URLs may hold a password after the user, which is a secret. A restore pushes the copy back there, deleting what the copy does not hold.',
    },
    {
      name: 'destination_path',
      type: 'inner-path',
      required: true,
      help: 'Sub-directory of the collect point that receives the copy, e.g. "files".',
    },
    {
      ...PRESERVE_HARD_LINKS_OPTION,
      help: 'Preserve hard links (rsync -H), for ssh:// and user@host:/path sources and local paths; WebDAV, FTP and S3 have none.',
    },
    ...COPY_METADATA_OPTIONS,
    COPY_GUARD_OPTION,
    ...transportOptions('sources'),
  ],
  check: (options, diagnostics) => {
    const place = checkTarget(options, diagnostics, SOURCE_URL);
    if (place?.kind === 'rclone' && options.boolean('preserve_hard_links'))
      diagnostics.warning(
        "option 'preserve_hard_links' has no effect: WebDAV, FTP and S3 sources have no hard links",
        options.origin('preserve_hard_links'),
      );
  },
  location: (options) => {
    const location = parseRemoteLocation(options.string('source_url'));
    return location.kind === 'local' ? location.path : undefined;
  },
  backup(source, cp) {
    const location = sourceLocation(source, cp);
    if (location.rclone !== undefined) return fetchThroughRclone(source, cp, location, location.rclone);
    return [
      ...ticketDrafts(source.options, 'keytab', location.remote?.kerberos),
      ...readableThere(source, location),
      ...copyInPlace({
        from: location.path,
        target: destinationPath(source, cp),
        hardLinks: source.options.boolean('preserve_hard_links'),
        metadata: copyMetadata(source.options),
        filters: collectPointExclusion(source),
        origin: source.options.origin('source_url'),
        what: `the copy of source "${source.name}"`,
        maxShrinkPercent: source.options.integer('max_shrink_percent'),
        ...(location.remote === undefined ? {} : { remote: location.remote }),
        liveSource: true,
      }),
    ];
  },
  restore(source, cp) {
    const location = sourceLocation(source, cp);
    const origin = source.options.origin('source_url');
    if (location.rclone !== undefined) return pushThroughRclone(source, cp, location, location.rclone);
    const { confirm, push } = liveRestore({
      copy: {
        from: destinationPath(source, cp),
        to: location.path,
        deleteExtraneous: true,
        hardLinks: source.options.boolean('preserve_hard_links'),
        metadata: copyMetadata(source.options),
        filters: collectPointExclusion(source),
        ...(location.remote === undefined ? {} : { remote: { ...location.remote, side: 'to' as const } }),
      },
      sourceName: source.name,
      shown: location.shown,
      maxShrinkPercent: source.options.integer('max_shrink_percent'),
      origin,
    });
    if (location.remote !== undefined)
      return [...ticketDrafts(source.options, 'keytab', location.remote.kerberos), confirm, push];
    return [
      confirm,
      { kind: 'mkdir', path: location.path, origin, summary: `create ${location.path}` },
      push,
    ];
  },
};

interface SourceLocation {
  readonly path: string;
  /** How the summaries name it: `host:/path`, `https://host/path` or `/path`. */
  readonly shown: string;
  /** A host reached through ssh; absent for a local path and a server reached through rclone. */
  readonly remote?: RsyncRemote;
  /** A WebDAV or FTP server or an S3 bucket. */
  readonly rclone?: RcloneTransport;
}

function sourceLocation(source: BoundSource, cp: BoundCollectPoint): SourceLocation {
  const location = parseRemoteLocation(source.options.string('source_url'));
  if (location.kind === 'local') return { path: location.path, shown: location.path };
  if (location.kind === 'unsupported') {
    // A WebDAV, FTP or S3 server, reached as backup points reach it.
    const target = targetOf(source.options, SOURCE_URL, sourceSecretOwner(cp, source), cp.variableSources);
    if (target.kind === 'rclone')
      return { path: target.path, shown: shownTarget(target), rclone: target.transport };
  }
  if (location.kind !== 'ssh') throw new Error('remote_files: source_url was not validated');
  // The source's own ticket cache, apart from those of the collect point's backup points.
  const kerberos = kerberosLogin(source.options, 'keytab', {
    name: `source.${source.name}`,
    collectPoint: cp.name,
  });
  return {
    path: location.path,
    shown: `${location.host}:${location.path}`,
    remote: {
      side: 'from',
      host: location.host,
      sshArgs: sshLoginWords(location, source.options, SSH_KERBEROS_NAMES),
      ...(kerberos === undefined ? {} : { kerberos }),
    },
  };
}

/**
 * Over ssh, the source asked for first: rsync says a directory the server's permissions deny the
 * login user in the same status as a missing one, or as any file it could not send.
 */
function readableThere(source: BoundSource, location: SourceLocation): ActionDraft[] {
  const remote = location.remote;
  if (remote === undefined) return [];
  const shown = `source "${source.name}": ${location.shown}`;
  const unchanged = `the copy of source "${source.name}" was not changed`;
  return [
    {
      kind: 'expect-copy',
      expect: 'path',
      path: location.path,
      missing: `${shown} is missing: ${unchanged}`,
      denied: `${shown} could not be read (${SERVER_PERMISSION.why}): ${unchanged}`,
      unreadable: `${shown} could not be read (ssh says why above): ${unchanged}`,
      transport: {
        kind: 'ssh',
        host: remote.host,
        sshArgs: remote.sshArgs,
        ...(remote.kerberos === undefined ? {} : { kerberos: remote.kerberos }),
      },
      origin: source.options.origin('source_url'),
      summary: `check that ${location.shown} can be read`,
    },
  ];
}

/**
 * A server reached through rclone has no copy in place: the source is fetched into a directory of
 * its own in the collect point's work directory, kept from run to run so that rclone fetches only
 * what changed, then copied into the collect point in place and guarded as every copy is. A
 * fetch that fails or is killed leaves the collect point's copy as it was.
 */
function fetchThroughRclone(
  source: BoundSource,
  cp: BoundCollectPoint,
  location: SourceLocation,
  transport: RcloneTransport,
): ActionDraft[] {
  const origin = source.options.origin('source_url');
  const fetched = `${cp.layout.workDir}/fetched/${encodeURIComponent(source.name)}`;
  return [
    {
      kind: 'mkdir',
      path: fetched,
      origin,
      summary: `create ${fetched}, where source "${source.name}" is fetched (kept: the next run fetches what changed)`,
    },
    {
      kind: 'sync-dir',
      direction: 'down',
      local: fetched,
      transport,
      remote: location.path,
      excludes: [],
      origin,
      summary: `fetch ${location.shown} into ${fetched}`,
    },
    ...copyInPlace({
      from: fetched,
      target: destinationPath(source, cp),
      hardLinks: false,
      metadata: copyMetadata(source.options),
      filters: [],
      origin,
      what: `the copy of source "${source.name}"`,
      maxShrinkPercent: source.options.integer('max_shrink_percent'),
      liveSource: true,
    }),
  ];
}

/**
 * The copy pushed back to the server with rclone sync, guarded against an empty or shrunk copy
 * before anything there changes; the question comes after the same sync's dry run, which names
 * every file it would send or delete.
 */
function pushThroughRclone(
  source: BoundSource,
  cp: BoundCollectPoint,
  location: SourceLocation,
  transport: RcloneTransport,
): ActionDraft[] {
  const origin = source.options.origin('source_url');
  const name = source.name;
  const push: SyncDirSpec = {
    direction: 'up',
    local: destinationPath(source, cp),
    transport,
    remote: location.path,
    excludes: [],
    guard: {
      maxShrinkPercent: source.options.integer('max_shrink_percent'),
      what: `${location.shown} (source "${name}")`,
    },
  };
  return [
    {
      kind: 'confirm',
      warning: `source "${name}": ${location.shown} becomes the backed-up copy; files created there since the backup are deleted and changed ones overwritten (the copy is judged against the server when it is pushed, before anything there changes):`,
      sync: push,
      origin,
      summary: `confirm that restoring source "${name}" replaces ${location.shown}`,
    },
    {
      kind: 'sync-dir',
      ...push,
      origin,
      summary: `restore source "${name}" into ${location.shown}, deleting what the copy does not hold`,
    },
  ];
}
