import type { RsyncFilter } from '../../graph/action.js';
import type { OptionValues } from '../../options/schema.js';
import {
  COPY_GUARD_OPTION,
  COPY_METADATA_OPTIONS,
  collectPointExclusion,
  copyInPlace,
  copyMetadata,
  liveRestore,
  PRESERVE_HARD_LINKS_OPTION,
} from '../copy-in-place.js';
import type { SourceEngine } from '../engine.js';
import { destinationPath } from '../toolkit.js';

/** Copies a local directory into the collect point with rsync. */
export const localFiles: SourceEngine = {
  role: 'source',
  name: 'local_files',
  aliases: ['rsync'],
  summary: 'Copy a local directory into the collect point with rsync.',
  options: [
    {
      name: 'source_path',
      type: 'absolute-path',
      required: true,
      onHost: 'directory',
      help: 'Directory to back up.',
    },
    {
      name: 'destination_path',
      type: 'inner-path',
      required: true,
      help: 'Sub-directory of the collect point that receives the copy, e.g. "files".',
    },
    {
      name: 'exclude',
      type: 'string',
      onHost: 'pattern-file',
      help: 'rsync pattern of files not to copy; "@FILE" reads patterns from FILE. A backup removes what it matches from the collect point\'s copy (copied before the pattern was set); a restore leaves it alone in source_path.',
    },
    {
      name: 'include',
      type: 'string',
      onHost: 'pattern-file',
      help: 'rsync pattern of files to copy even if excluded (checked before "exclude"); "@FILE" reads patterns from FILE.',
    },
    PRESERVE_HARD_LINKS_OPTION,
    ...COPY_METADATA_OPTIONS,
    COPY_GUARD_OPTION,
  ],
  location: (options) => options.string('source_path'),
  check(options, diagnostics) {
    for (const rule of ['include', 'exclude']) {
      const value = options.optionalString(rule);
      if (value?.startsWith('@') && !value.startsWith('@/')) {
        diagnostics.error(
          `bad value for option '${rule}': '${value}'`,
          options.origin(rule),
          'expected @/absolute/path/of/a/pattern/file',
        );
      }
    }
  },
  backup(source, cp) {
    return copyInPlace({
      from: source.options.string('source_path'),
      target: destinationPath(source, cp),
      hardLinks: source.options.boolean('preserve_hard_links'),
      metadata: copyMetadata(source.options),
      filters: [...collectPointExclusion(source), ...rsyncFilters(source.options)],
      origin: source.origin,
      what: `the copy of source "${source.name}"`,
      maxShrinkPercent: source.options.integer('max_shrink_percent'),
      liveSource: true,
    });
  },
  restore(source, cp) {
    const sourcePath = source.options.string('source_path');
    const { confirm, push } = liveRestore({
      copy: {
        from: destinationPath(source, cp),
        to: sourcePath,
        deleteExtraneous: true,
        hardLinks: source.options.boolean('preserve_hard_links'),
        metadata: copyMetadata(source.options),
        // The same filters keep excluded files out of --delete's reach, and the collect point the
        // copy is restored from, when it lies inside the directory, out of the restore's.
        filters: [...collectPointExclusion(source), ...rsyncFilters(source.options)],
      },
      sourceName: source.name,
      shown: sourcePath,
      maxShrinkPercent: source.options.integer('max_shrink_percent'),
      origin: source.origin,
      note: 'excluded files are left alone',
    });
    return [
      // rsync would say "cannot stat destination" of a file where the directory goes.
      {
        kind: 'expect-copy',
        expect: 'directory',
        path: sourcePath,
        missing: `source "${source.name}": ${sourcePath} is not a directory: the restore puts one there; move what is there away first`,
        origin: source.origin,
        summary: `check that ${sourcePath} is a directory, or is not there yet`,
      },
      confirm,
      { kind: 'mkdir', path: sourcePath, origin: source.origin, summary: `create ${sourcePath}` },
      push,
    ];
  },
};

function rsyncFilters(options: OptionValues): RsyncFilter[] {
  const filters: RsyncFilter[] = [];
  for (const rule of ['include', 'exclude'] as const) {
    const value = options.optionalString(rule);
    if (value === undefined || value === '') continue;
    filters.push(value.startsWith('@') ? { rule, fromFile: value.slice(1) } : { rule, pattern: value });
  }
  return filters;
}
