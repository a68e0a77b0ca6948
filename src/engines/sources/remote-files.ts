import type { Diagnostics } from '../../diag/diagnostic.js';
import type { RsyncFilter, RsyncRemote } from '../../graph/action.js';
import type { OptionValues } from '../../options/schema.js';
import {
  COPY_GUARD_OPTION,
  COPY_METADATA_OPTIONS,
  copyInPlace,
  copyMetadata,
  liveRestore,
} from '../copy-in-place.js';
import type { BoundCollectPoint, BoundSource, SourceEngine } from '../engine.js';
import { kerberosLogin, ticketDrafts } from '../kerberos-login.js';
import { checkSshLocation, SSH_KERBEROS_NAMES, sshLoginWords, warnSshOptionsUnused } from '../ssh-options.js';
import { destinationPath } from '../toolkit.js';
import { isWithin, parseRemoteLocation } from '../url.js';

const WEBDAV_LATER = 'http(s):// (WebDAV) sources are not available in this version';

/**
 * Pulls a directory from another host over ssh (or from a local path) into the collect point;
 * a restore pushes it back, deleting what the copy does not hold.
 */
export const remoteFiles: SourceEngine = {
  role: 'source',
  name: 'remote_files',
  summary: 'Copy a directory from another host (rsync over ssh) or a local path into the collect point.',
  options: [
    {
      name: 'source_url',
      type: 'url',
      required: true,
      help: 'Directory to back up: ssh://[user@]host[:port]/path, file:///path or /path. A restore pushes the copy back there with rsync --delete.',
    },
    {
      name: 'destination_path',
      type: 'inner-path',
      required: true,
      help: 'Sub-directory of the collect point that receives the copy, e.g. "files".',
    },
    {
      name: 'private_key',
      type: 'absolute-path',
      onHost: 'readable-file',
      help: 'ssh identity file (ssh -i).',
    },
    ...COPY_METADATA_OPTIONS,
    COPY_GUARD_OPTION,
    {
      name: 'ssh_options',
      type: 'string',
      help: 'Extra ssh arguments, split like a shell would (quotes, backslashes), each given to ssh as one word, e.g. -o StrictHostKeyChecking=yes.',
    },
    { name: 'ca_cert', type: 'string', help: 'https CA bundle, or "any".', inert: WEBDAV_LATER },
    {
      name: 'keytab',
      type: 'absolute-path',
      onHost: 'readable-file',
      help: "Kerberos keytab, for ssh:// sources (the original ignored it): ssh logs in with GSSAPI under k5start, with a ticket of the keytab's first principal kept in a ticket cache private to the run (never the user's).",
    },
  ],
  check: checkSource,
  location: (options) => {
    const location = parseRemoteLocation(options.string('source_url'));
    return location.kind === 'local' ? location.path : undefined;
  },
  backup(source, cp) {
    const location = sourceLocation(source, cp);
    return [
      ...ticketDrafts(source.options, 'keytab', location.remote?.kerberos),
      ...copyInPlace({
        from: location.path,
        target: destinationPath(source, cp),
        hardLinks: false,
        metadata: copyMetadata(source.options),
        filters: collectPointExclusion(location, cp),
        origin: source.options.origin('source_url'),
        what: `the copy of source "${source.name}"`,
        maxShrinkPercent: source.options.integer('max_shrink_percent'),
        ...(location.remote === undefined ? {} : { remote: location.remote }),
      }),
    ];
  },
  restore(source, cp) {
    const location = sourceLocation(source, cp);
    const origin = source.options.origin('source_url');
    const { confirm, push } = liveRestore({
      copy: {
        from: destinationPath(source, cp),
        to: location.path,
        deleteExtraneous: true,
        hardLinks: false,
        metadata: copyMetadata(source.options),
        filters: collectPointExclusion(location, cp),
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
  /** How the summaries name it: `host:/path` or `/path`. */
  readonly shown: string;
  /** Absent for a local path. */
  readonly remote?: RsyncRemote;
}

function sourceLocation(source: BoundSource, cp: BoundCollectPoint): SourceLocation {
  const location = parseRemoteLocation(source.options.string('source_url'));
  if (location.kind === 'local') return { path: location.path, shown: location.path };
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

/** As local_files: a collect point inside the copied directory must not copy (or delete) itself. */
function collectPointExclusion(location: SourceLocation, cp: BoundCollectPoint): RsyncFilter[] {
  if (location.remote !== undefined || !isWithin(cp.layout.root, location.path)) return [];
  const inside = location.path === '/' ? cp.layout.root : cp.layout.root.slice(location.path.length);
  return [{ rule: 'exclude', pattern: `${inside}/` }];
}

function checkSource(options: OptionValues, diagnostics: Diagnostics): void {
  const url = options.string('source_url');
  const origin = options.origin('source_url');
  const location = parseRemoteLocation(url);
  switch (location.kind) {
    case 'unsupported': {
      const web = location.scheme === 'http' || location.scheme === 'https';
      diagnostics.error(
        `source_url '${url}': ${location.scheme}:// is not available in this version`,
        origin,
        web ? `${WEBDAV_LATER}; use ssh://, file:// or a local path` : 'use ssh://, file:// or a local path',
      );
      return;
    }
    case 'invalid':
      diagnostics.error(
        `bad value for option 'source_url': '${url}'`,
        origin,
        `expected ${location.expected}`,
      );
      return;
    case 'ssh':
      checkSshLocation(location, 'source_url', options, diagnostics, SSH_KERBEROS_NAMES);
      return;
    case 'local':
      warnSshOptionsUnused('source_url', options, diagnostics, SSH_KERBEROS_NAMES);
  }
}
