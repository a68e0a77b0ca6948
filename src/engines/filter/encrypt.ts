import type { Diagnostics } from '../../diag/diagnostic.js';
import type { ActionDraft } from '../../graph/action.js';
import type { OptionValues } from '../../options/schema.js';
import { COPY_GUARD_OPTION, copyInPlace } from '../copy-in-place.js';
import type { BoundFilter, FilterEngine, FilterStep } from '../engine.js';

/**
 * Encrypts every file of the tree with gpg (symmetric, AES256) into a directory of its own, one
 * file per file under the same name; a restore decrypts them aside, then updates its input from
 * them in place.
 */
export const encrypt: FilterEngine = {
  role: 'filter',
  name: 'encrypt',
  summary:
    'Encrypt each file with gpg (symmetric, AES256) under the same name, in a directory of its own; only changed files are encrypted again.',
  inPlace: false,
  options: [
    {
      name: 'password',
      type: 'string',
      required: true,
      secret: true,
      help: 'The passphrase (one line). Kept out of argv, plans and scripts: gpg reads it from a private file.',
    },
    {
      name: 'gpg_executable',
      type: 'string',
      default: 'gpg',
      help: 'The gpg program (GnuPG 2.1 or newer).',
    },
  ],
  check: checkPassword,
  backup: (filter, step) => [
    passphraseFile(filter, step),
    {
      kind: 'crypt-tree',
      direction: 'encrypt',
      gpg: filter.options.string('gpg_executable'),
      passphraseFile: workFileOf(filter, step),
      from: step.input,
      to: step.output,
      excludes: step.excludes,
      origin: filter.origin,
      summary: `encrypt the files of ${step.what} that changed into ${step.output}, and remove those it no longer holds`,
    },
  ],
  restore: (filter, step) => {
    const staging = `${step.scratch}/decrypted`;
    const removeStaging = (summary: string): ActionDraft => ({
      kind: 'run',
      argv: ['rm', '-rf', '--', staging],
      origin: filter.origin,
      summary,
    });
    return [
      passphraseFile(filter, step),
      removeStaging('remove what an interrupted restore left'),
      {
        kind: 'crypt-tree',
        direction: 'decrypt',
        gpg: filter.options.string('gpg_executable'),
        passphraseFile: workFileOf(filter, step),
        from: step.output,
        to: staging,
        // The plain text of what the user chose to encrypt: never left behind by a failed restore.
        scratch: [staging],
        // Later filters' indexes beside the encrypted files were never encrypted.
        excludes: step.indexes ?? [],
        origin: filter.origin,
        summary: `decrypt ${step.output} into ${staging} (nothing is restored unless every file decrypts)`,
      },
      ...copyInPlace({
        from: staging,
        target: step.input,
        hardLinks: false,
        metadata: { xattrs: false, acls: false },
        filters: step.excludes.map((path) => ({ rule: 'exclude', pattern: `/${path}/` })),
        origin: filter.origin,
        what: `${step.input}, decrypted from ${step.what}`,
        maxShrinkPercent: Number(COPY_GUARD_OPTION.default),
      }),
      removeStaging(`remove ${staging}`),
    ];
  },
};

function passphraseFile(filter: BoundFilter, step: FilterStep): ActionDraft {
  const secret = step.secrets.password as string;
  return {
    kind: 'private-file',
    workFile: workFileOf(filter, step),
    parts: [{ secret, escape: '' }],
    origin: filter.options.origin('password'),
    summary: `write the passphrase of filter "${filter.name}" to a private file`,
  };
}

/** Named by its secret: units running side by side never share one. */
const workFileOf = (_filter: BoundFilter, step: FilterStep): string =>
  `passphrase-${(step.secrets.password as string).toLowerCase()}`;

function checkPassword(options: OptionValues, diagnostics: Diagnostics): void {
  if (options.string('password') !== '') return;
  diagnostics.error(
    'password is empty',
    options.origin('password'),
    'expected the passphrase gpg encrypts with: set it, and keep the file private',
  );
}
