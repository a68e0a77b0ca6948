import { stringify } from 'ini';
import type { Engine } from '../engines/engine.js';
import type { OptionSpec } from '../options/schema.js';
import { COLLECT_POINT_OPTIONS } from './common-options.js';

/** Placeholder values a user replaces; plain words, so that the ini writer leaves them as they are. */
function placeholder(spec: OptionSpec): string {
  switch (spec.type) {
    case 'absolute-path':
      return spec.name === 'local_path' ? '/var/backups/polyarchiv/{name}' : '/srv/CHANGE-ME';
    case 'inner-path':
      return 'CHANGE-ME';
    case 'url':
      return spec.name === 'source_url'
        ? 'ssh://backup@host.example.org/srv/CHANGE-ME'
        : 'file:///var/backups/mirror/{name}';
    case 'integer':
      return spec.default ?? '0';
    default:
      return spec.default ?? 'CHANGE-ME';
  }
}

/**
 * A sample section for an engine, with its required options set to placeholders, written with the
 * `ini` package: the values are plain, so what it writes is what the scanner reads back.
 */
export function sampleSection(engine: Engine): string {
  const required = [...(engine.role === 'collect' ? COLLECT_POINT_OPTIONS : []), ...engine.options].filter(
    (o) => o.required,
  );
  const header =
    engine.role === 'collect' || engine.role === 'backup'
      ? 'point'
      : `${engine.role} "${engine.name.replaceAll('_', '-')}"`;
  const values = Object.fromEntries([
    ['engine', engine.name],
    ...required.map((o) => [o.name, placeholder(o)]),
  ]);
  return stringify({ [header]: values }, { whitespace: true });
}
