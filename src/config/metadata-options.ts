import type { Diagnostics } from '../diag/diagnostic.js';
import { targetOptionNames } from '../engines/backup/service-target.js';
import { checkTarget, shownTarget, TRANSPORT_OPTIONS, targetOf } from '../engines/backup/target.js';
import type { BoundBackupPoint, StateMirror, VariableSources } from '../engines/engine.js';
import type { SecretOwner } from '../engines/secrets.js';
import type { OptionSpec, OptionValues } from '../options/schema.js';
import { builtinVariables, type Variables } from '../options/variables.js';

/** The options of metadata_url's transport: the names of remote_url's, behind this prefix. */
const PREFIX = 'metadata_';

const METADATA_NAMES = targetOptionNames('metadata_url', PREFIX);

/** The `metadata_*` options of every backup point, rendered for each collect point. */
export const METADATA_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'metadata_url',
    type: 'url',
    urlPasswordSecret: true,
    help: "Where the state file of each collect point is mirrored after each run of this backup point, and read back from when it is missing here (a rebuilt machine): any remote_url form, /path, file:///path, ssh://[user@]host[:port]/path, user@host:/path, http(s)://[user[:password]@]host[:port]/path (WebDAV), ftp(s)://[user[:password]@]host[:port]/path or s3://bucket/key; a trailing / appends <collect point>.json. Its transport options are remote_url's, prefixed with metadata_ (metadata_password, metadata_ca_cert, metadata_endpoint_url...). A password in it is a secret, as in remote_url. Time and host variables take fixed values (2016-01-01 00:00:00, localhost, polyarchiv) so that the URL does not change with them.",
  },
  ...TRANSPORT_OPTIONS.map(
    (spec): OptionSpec => ({
      ...spec,
      name: `${PREFIX}${spec.name}`,
      help: `metadata_url's ${spec.name}: ${spec.help}`,
    }),
  ),
];

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

/**
 * Where `metadata_url` mirrors the pair's state file; undefined when unset or after an error at its
 * line. `sources`: where the variables of its options are set.
 */
export function checkStateMirror(
  options: OptionValues,
  owner: SecretOwner,
  diagnostics: Diagnostics,
  sources?: VariableSources,
): StateMirror | undefined {
  const url = options.optionalString('metadata_url');
  if (url === undefined) return undefined;
  if (checkTarget(options, diagnostics, METADATA_NAMES) === undefined) return undefined;
  const target = targetOf(options, METADATA_NAMES, owner, sources);
  const path = url.endsWith('/')
    ? `${target.path.replace(/\/$/, '')}/${owner.collectPoint}.json`
    : target.path;
  const file = { ...target, path };
  return { target: file, shown: shownTarget(file), origin: options.origin('metadata_url'), options };
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
