import type { Diagnostics } from '../../diag/diagnostic.js';
import type { OptionValues } from '../../options/schema.js';
import { COPY_GUARD_OPTION, COPY_METADATA_OPTIONS, copyInPlace, copyMetadata } from '../copy-in-place.js';
import type { BackupEngine } from '../engine.js';
import {
  checkLocalTarget,
  leftoverExclusions,
  localLocation,
  localTarget,
  TRANSPORT_OPTIONS,
} from './local-target.js';

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
    ...TRANSPORT_OPTIONS,
    ...COPY_METADATA_OPTIONS,
    COPY_GUARD_OPTION,
  ],
  check: checkTarget,
  location: localLocation,
  backup(bp, cp) {
    return copyInPlace({
      from: cp.exportDir,
      target: localTarget(bp),
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
      from: localTarget(bp),
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

function checkTarget(options: OptionValues, diagnostics: Diagnostics): void {
  const path = checkLocalTarget(options, diagnostics);
  if (path === '/') {
    diagnostics.error(
      `remote_url '${options.string('remote_url')}' is the root directory`,
      options.origin('remote_url'),
      'expected a dedicated directory such as /var/backups/{name}',
    );
  }
}
