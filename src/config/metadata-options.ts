import type { Diagnostics } from '../diag/diagnostic.js';
import { checkTarget, shownTarget, type TargetOptionNames, targetOf } from '../engines/backup/target.js';
import type { BoundBackupPoint, StateMirror } from '../engines/engine.js';
import type { OptionSpec, OptionValues } from '../options/schema.js';
import { builtinVariables, type Variables } from '../options/variables.js';

const KEYTAB_NOT_SUPPORTED = 'Kerberos authentication of metadata_url is not available in this version';
const HTTPS_LATER = 'it applies to https:// metadata_url, which is not available in this version';

/** The `metadata_*` options of every backup point, rendered for each collect point. */
export const METADATA_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'metadata_url',
    type: 'url',
    help: 'Where the state file of each collect point is mirrored after each run of this backup point, and read back from when it is missing here (a rebuilt machine): /path, file:///path, ssh://[user@]host[:port]/path or user@host:/path; a trailing / appends <collect point>.json. Time and host variables take fixed values (2016-01-01 00:00:00, localhost, polyarchiv) so that the URL does not change with them.',
  },
  {
    name: 'metadata_private_key',
    type: 'absolute-path',
    help: 'ssh identity file (ssh -i) for an ssh metadata_url.',
  },
  {
    name: 'metadata_ssh_options',
    type: 'string',
    help: 'Extra ssh arguments for an ssh metadata_url, split like a shell would; ssh always runs with -o BatchMode=yes.',
  },
  { name: 'metadata_ca_cert', type: 'string', help: 'CA for metadata_url.', inert: HTTPS_LATER },
  {
    name: 'metadata_keytab',
    type: 'absolute-path',
    help: 'Keytab for metadata_url.',
    inert: KEYTAB_NOT_SUPPORTED,
  },
];

const METADATA_NAMES: TargetOptionNames = {
  url: 'metadata_url',
  services: false,
  privateKey: 'metadata_private_key',
  sshOptions: 'metadata_ssh_options',
};

/**
 * The variables metadata options are rendered with: the pair's, with fixed time and host values,
 * so that a rebuilt machine (another day, maybe another name) finds the same file.
 */
export function metadataVariables(variables: Variables): Variables {
  fixedVariables ??= {
    ...builtinVariables(new Date(2016, 0, 1, 0, 0, 0), {
      fqdn: 'localhost',
      hostname: 'localhost',
      username: 'polyarchiv',
    }),
    Z: '',
    z: '',
  };
  return { ...variables, ...fixedVariables };
}

let fixedVariables: Variables | undefined;

/** Where `metadata_url` mirrors the pair's state file; undefined when unset or after an error at its line. */
export function checkStateMirror(
  options: OptionValues,
  collectPoint: string,
  diagnostics: Diagnostics,
): StateMirror | undefined {
  const url = options.optionalString('metadata_url');
  if (url === undefined) return undefined;
  if (checkTarget(options, diagnostics, METADATA_NAMES) === undefined) return undefined;
  const target = targetOf(options, METADATA_NAMES);
  const path = url.endsWith('/') ? `${target.path.replace(/\/$/, '')}/${collectPoint}.json` : target.path;
  const file = { ...target, path };
  return { target: file, shown: shownTarget(file), origin: options.origin('metadata_url') };
}

/**
 * Two pairs mirrored to one file would overwrite each other's state, and a restore would read
 * another collect point's: refused at the second one's line.
 */
export function checkStateMirrorClashes(pairs: readonly BoundBackupPoint[], diagnostics: Diagnostics): void {
  const seen = new Map<string, BoundBackupPoint>();
  for (const pair of pairs) {
    if (pair.metadata === undefined) continue;
    const first = seen.get(pair.metadata.shown);
    if (first === undefined) {
      seen.set(pair.metadata.shown, pair);
      continue;
    }
    diagnostics.error(
      `metadata_url of backup point ${pair.name} for collect point ${pair.collectPoint} is ${pair.metadata.shown}, already the state file of backup point ${first.name} for collect point ${first.collectPoint}`,
      pair.metadata.origin,
      'each pair needs its own file: put {name} (the collect point) in the URL, or end it with /',
    );
  }
}
