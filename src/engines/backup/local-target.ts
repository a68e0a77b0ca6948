import type { Diagnostics } from '../../diag/diagnostic.js';
import type { RsyncFilter } from '../../graph/action.js';
import type { OptionSpec, OptionValues } from '../../options/schema.js';
import type { BoundBackupPoint, BoundCollectPoint } from '../engine.js';
import { parseLocation } from '../url.js';

const TRANSPORTS_LATER = 'ssh://, http(s):// (WebDAV) and ftp:// targets are not available in this version';

/** The original's options of remote targets, accepted without effect until their transports come. */
export const TRANSPORT_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'private_key',
    type: 'absolute-path',
    help: 'ssh identity or https client certificate.',
    inert: TRANSPORTS_LATER,
  },
  {
    name: 'ca_cert',
    type: 'string',
    help: 'https CA bundle, or "any" to skip verification.',
    inert: TRANSPORTS_LATER,
  },
  { name: 'ssh_options', type: 'string', help: 'Extra ssh arguments.', inert: TRANSPORTS_LATER },
  { name: 'keytab', type: 'absolute-path', help: 'Kerberos keytab.', inert: TRANSPORTS_LATER },
];

/** The local path `remote_url` names (a bare path or a file:// URL), or undefined after an error at its line. */
export function checkLocalTarget(options: OptionValues, diagnostics: Diagnostics): string | undefined {
  const url = options.string('remote_url');
  const origin = options.origin('remote_url');
  const location = parseLocation(url);
  switch (location.kind) {
    case 'unsupported':
      diagnostics.error(
        `remote_url '${url}': ${location.scheme}:// is not available in this version`,
        origin,
        'use a local path or a file:// URL',
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
      return location.path;
  }
}

/** The local path of a `remote_url` that the engine's check accepted. */
export function localTarget(bp: BoundBackupPoint): string {
  const location = parseLocation(bp.options.string('remote_url'));
  if (location.kind !== 'local') throw new Error(`${bp.engine.name}: remote_url was not validated`);
  return location.path;
}

/** The local path of `remote_url` for the overlap checks; undefined for other transports. */
export function localLocation(options: OptionValues): string | undefined {
  const location = parseLocation(options.string('remote_url'));
  return location.kind === 'local' ? location.path : undefined;
}

/**
 * What failed runs of the collect point's sources may have left in its export directory (staging
 * copies), relative to it: never sent to a backup point, and kept on restore.
 */
export function sourceLeftovers(cp: BoundCollectPoint): string[] {
  const root = `${cp.exportDir}/`;
  return cp.sources
    .flatMap((source) => source.engine.leftovers?.(source, cp) ?? [])
    .filter((path) => path.startsWith(root))
    .map((path) => path.slice(root.length));
}

/**
 * The leftovers as rsync filters, each anchored at the transfer root, so that a user's file of
 * the same name elsewhere is still copied.
 */
export function leftoverExclusions(cp: BoundCollectPoint): RsyncFilter[] {
  return sourceLeftovers(cp).map((path) => ({ rule: 'exclude', pattern: `/${path}/` }));
}
