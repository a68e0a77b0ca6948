/** Pieces every source engine shares: where its output lands, its server options, unset values. */
import type { OptionSpec, OptionValues } from '../options/schema.js';
import type { BoundCollectPoint, BoundSource } from './engine.js';

/** The `destination_path` option: the file or directory of the collect point a source writes. */
export function destinationPathOption(spec: {
  default?: string;
  required?: boolean;
  help: string;
}): OptionSpec {
  return { name: 'destination_path', type: 'inner-path', ...spec };
}

/** Where a source writes: its destination_path below the collect point's import directory. */
export function destinationPath(source: BoundSource, cp: BoundCollectPoint): string {
  return `${cp.layout.importDir}/${source.options.string('destination_path')}`;
}

/**
 * Beside a database source's dump, what the dump of its objects leaves out, the database itself:
 * `shop.sql` has its database's properties in `shop.sql.database.sql`.
 */
export function databasePropertiesPath(source: BoundSource, cp: BoundCollectPoint): string {
  return `${destinationPath(source, cp)}.database.sql`;
}

/** A string option that is set and not empty; an empty value (`key =`) means "not set". */
export function setString(options: OptionValues, name: string): string | undefined {
  const value = options.optionalString(name);
  return value === '' ? undefined : value;
}

/**
 * An option's text as the user wrote it (`{variables}` unexpanded), for a message about the text
 * itself: a backup point's options are resolved for each of its collect points, and a mistake
 * quoted as resolved would be one error per collect point.
 */
export function asWritten(options: OptionValues, name: string): string {
  return options.template(name) ?? options.string(name);
}

/** The engine's own wording of each connection option. */
export interface ConnectionWording {
  readonly port: string;
  readonly host: string;
  readonly portHelp: string;
  readonly socketHelp: string;
  readonly userHelp: string;
  readonly passwordHelp: string;
}

/** host, port, socket, user and a secret password: how a source reaches a database server. */
export function connectionOptions(wording: ConnectionWording): OptionSpec[] {
  return [
    { name: 'host', type: 'string', default: 'localhost', help: wording.host },
    { name: 'port', type: 'integer', range: [1, 65535], default: wording.port, help: wording.portHelp },
    { name: 'socket', type: 'absolute-path', help: wording.socketHelp },
    { name: 'user', type: 'string', help: wording.userHelp },
    { name: 'password', type: 'string', secret: true, help: wording.passwordHelp },
  ];
}

/** A restore's --at as its steps and messages show it: UTC, whole seconds without a fraction. */
export function atText(at: Date): string {
  return at.toISOString().replace(/\.000Z$/, 'Z');
}
