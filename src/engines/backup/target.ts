import type { Diagnostics } from '../../diag/diagnostic.js';
import type { RsyncRemote, SshTransport } from '../../graph/action.js';
import type { OptionSpec, OptionValues } from '../../options/schema.js';
import type { BoundBackupPoint } from '../engine.js';
import { checkSshLocation, sshLoginWords, warnSshOptionsUnused } from '../ssh-options.js';
import { parseRemoteLocation } from '../url.js';

const NOT_YET = 'http(s):// (WebDAV), ftp:// and s3:// targets are not available in this version';

/** Where a backup point's `remote_url` is: a local path, or a path on a host reached through ssh. */
export type Target =
  | { readonly kind: 'local'; readonly path: string }
  | { readonly kind: 'ssh'; readonly path: string; readonly transport: SshTransport };

/** The options of remote targets. */
export const TRANSPORT_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'private_key',
    type: 'absolute-path',
    help: 'ssh identity file (ssh -i), for ssh:// and user@host:/path targets.',
  },
  {
    name: 'ssh_options',
    type: 'string',
    help: 'Extra ssh arguments, split like a shell would (quotes, backslashes), each given to ssh as one word, e.g. -o StrictHostKeyChecking=yes. ssh always runs with -o BatchMode=yes.',
  },
  {
    name: 'ca_cert',
    type: 'string',
    help: 'https CA bundle, or "any" to skip verification.',
    inert: NOT_YET,
  },
  { name: 'keytab', type: 'absolute-path', help: 'Kerberos keytab.', inert: NOT_YET },
];

const EXPECTED = '/path, file:///path, ssh://[user@]host[:port]/path or user@host:/path';

/** The target `remote_url` names, or undefined after an error at its line. */
export function checkTarget(options: OptionValues, diagnostics: Diagnostics): Target | undefined {
  const url = options.string('remote_url');
  const origin = options.origin('remote_url');
  const location = parseRemoteLocation(url);
  switch (location.kind) {
    case 'unsupported':
      diagnostics.error(
        `remote_url '${url}': ${location.scheme}:// is not available in this version`,
        origin,
        `use ${EXPECTED}`,
      );
      return undefined;
    case 'invalid':
      diagnostics.error(
        `bad value for option 'remote_url': '${url}'`,
        origin,
        `expected ${location.expected}`,
      );
      return undefined;
    case 'local':
      warnSshOptionsUnused('remote_url', options, diagnostics);
      return { kind: 'local', path: location.path };
    case 'ssh': {
      const errors = diagnostics.errorCount;
      checkSshLocation(location, 'remote_url', options, diagnostics);
      if (diagnostics.errorCount > errors) return undefined;
      return targetOf(options);
    }
  }
}

/** The target of a `remote_url` that the engine's check accepted. */
export function targetOf(options: OptionValues): Target {
  const location = parseRemoteLocation(options.string('remote_url'));
  switch (location.kind) {
    case 'local':
      return { kind: 'local', path: location.path };
    case 'ssh':
      return {
        kind: 'ssh',
        path: location.path,
        transport: { kind: 'ssh', host: location.host, sshArgs: sshLoginWords(location, options) },
      };
    default:
      throw new Error('remote_url was not validated');
  }
}

export const pointTarget = (bp: BoundBackupPoint): Target => targetOf(bp.options);

/** How summaries name a target: `/path` or `host:/path`. */
export function shownTarget(target: Target, path = target.path): string {
  return target.kind === 'local' ? path : `${target.transport.host}:${path}`;
}

/** The rsync side of a target on another host. */
export function rsyncRemote(target: Target, side: 'from' | 'to'): RsyncRemote | undefined {
  if (target.kind === 'local') return undefined;
  return { side, host: target.transport.host, sshArgs: target.transport.sshArgs };
}

/** The local path of `remote_url` for the overlap checks; undefined for other transports. */
export function localLocation(options: OptionValues): string | undefined {
  const location = parseRemoteLocation(options.string('remote_url'));
  return location.kind === 'local' ? location.path : undefined;
}
