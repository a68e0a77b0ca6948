import type { Diagnostics } from '../../diag/diagnostic.js';
import type { HashMethod } from '../../graph/action.js';
import type { OptionValues } from '../../options/schema.js';
import type { BoundFilter, FilterEngine, FilterStep } from '../engine.js';

/**
 * Writes a checksum index of the tree at its root, and beside it an index of its symbolic links;
 * a restore reads every file back against them and stops, naming each bad file or link, before
 * anything is restored from the tree.
 */
export const hashes: FilterEngine = {
  role: 'filter',
  name: 'hashes',
  summary:
    'Write a checksum index of the files and one of the symbolic links at the root of the tree; a restore verifies them first.',
  inPlace: true,
  options: [
    {
      name: 'method',
      type: 'choice',
      choices: ['sha1', 'md5', 'sha256', 'sha512'],
      default: 'sha1',
      help: 'Checksum algorithm (the index is read by sha1sum, md5sum, sha256sum or sha512sum).',
    },
    {
      name: 'filename',
      type: 'string',
      default: 'hashes.txt',
      help: 'Name of the index file, at the root of the tree; the link index is this name followed by .links.',
    },
  ],
  check: checkFilename,
  rootFiles: (options) => [options.string('filename'), linkIndex(options.string('filename'))],
  backup: (filter, step) => [
    {
      kind: 'hash-index',
      dir: step.output,
      index: filter.options.string('filename'),
      links: linkIndex(filter.options.string('filename')),
      method: method(filter),
      partial: `${step.scratch}/index.partial`,
      excludes: step.excludes,
      origin: filter.origin,
      summary: `write the ${method(filter)} checksums of ${step.what} to ${step.output}/${filter.options.string('filename')}`,
    },
  ],
  restore: (filter, step) => [verify(filter, step)],
};

function verify(filter: BoundFilter, step: FilterStep) {
  return {
    kind: 'verify-hashes' as const,
    dir: step.output,
    index: filter.options.string('filename'),
    links: linkIndex(filter.options.string('filename')),
    method: method(filter),
    excludes: [...step.excludes, ...(step.indexes ?? [])],
    origin: filter.origin,
    summary: `verify every file of ${step.what} against its ${method(filter)} checksums (${step.output}/${filter.options.string('filename')}); a bad file, or one it does not list, stops the restore`,
  };
}

/** The index of the tree's symbolic links and their targets, beside the checksums. */
const linkIndex = (index: string): string => `${index}.links`;

const method = (filter: BoundFilter): HashMethod =>
  filter.options.string('method').toLowerCase() as HashMethod;

function checkFilename(options: OptionValues, diagnostics: Diagnostics): void {
  const name = options.string('filename');
  if (name !== '' && name !== '.' && name !== '..' && !name.includes('/')) return;
  diagnostics.error(
    `filename '${name}' is not a file name`,
    options.origin('filename'),
    'expected a name without slash for the index at the root of the tree, e.g. hashes.txt',
  );
}
