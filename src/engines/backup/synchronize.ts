import type { Diagnostics } from '../../diag/diagnostic.js';
import type { RsyncFilter } from '../../graph/action.js';
import type { OptionValues } from '../../options/schema.js';
import { COPY_GUARD_OPTION, COPY_METADATA_OPTIONS, copyInPlace, copyMetadata } from '../copy-in-place.js';
import type { BackupEngine, BoundBackupPoint, BoundCollectPoint } from '../engine.js';
import { parseLocation } from '../url.js';

const TRANSPORTS_LATER = 'ssh://, http(s):// (WebDAV) and ftp:// targets are not available in this version';

/** Mirrors the collect point's export directory to another directory. */
export const synchronize: BackupEngine = {
  role: 'backup',
  name: 'synchronize',
  summary: 'Mirror the collect point to a directory (a local path or a file:// URL).',
  options: [
    {
      name: 'remote_url',
      type: 'url',
      required: true,
      help: 'Target directory: file:///var/backups/{name} or /var/backups/{name}. Include {name}: each collect point needs its own directory.',
    },
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
    ...COPY_METADATA_OPTIONS,
    COPY_GUARD_OPTION,
  ],
  check: checkTarget,
  location: (options) => {
    const location = parseLocation(options.string('remote_url'));
    return location.kind === 'local' ? location.path : undefined;
  },
  backup(bp, cp) {
    return copyInPlace({
      from: cp.exportDir,
      target: targetDir(bp),
      hardLinks: true,
      metadata: copyMetadata(bp.options),
      filters: leftoverExclusions(cp),
      origin: bp.options.origin('remote_url'),
      what: `the mirror of "${cp.name}"`,
      maxShrinkPercent: bp.options.integer('max_shrink_percent'),
    });
  },
  restore(bp, cp) {
    return copyInPlace({
      from: targetDir(bp),
      target: cp.exportDir,
      hardLinks: true,
      metadata: copyMetadata(bp.options),
      // Excluded, hence kept: a source's leftover may hold its last good copy until its next run.
      filters: leftoverExclusions(cp),
      origin: bp.options.origin('remote_url'),
      maxShrinkPercent: bp.options.integer('max_shrink_percent'),
      what: `the copy of "${cp.name}" fetched from backup point "${bp.name}"`,
    });
  },
};

/**
 * What failed runs of the collect point's sources may have left in its export directory, each
 * anchored at the transfer root, so that a user's file of the same name elsewhere is still copied.
 */
function leftoverExclusions(cp: BoundCollectPoint): RsyncFilter[] {
  const root = `${cp.exportDir}/`;
  return cp.sources
    .flatMap((source) => source.engine.leftovers?.(source, cp) ?? [])
    .filter((path) => path.startsWith(root))
    .map((path) => ({ rule: 'exclude', pattern: `/${path.slice(root.length)}/` }));
}

function targetDir(bp: BoundBackupPoint): string {
  const location = parseLocation(bp.options.string('remote_url'));
  if (location.kind !== 'local') throw new Error('synchronize: remote_url was not validated');
  return location.path;
}

function checkTarget(options: OptionValues, diagnostics: Diagnostics): void {
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
      return;
    case 'invalid':
      diagnostics.error(
        `bad value for option 'remote_url': '${url}'`,
        origin,
        `expected ${location.expected}`,
      );
      return;
    case 'local':
      if (location.path === '/') {
        diagnostics.error(
          `remote_url '${url}' is the root directory`,
          origin,
          'expected a dedicated directory such as /var/backups/{name}',
        );
      }
  }
}
