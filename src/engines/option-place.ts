import { formatOrigin } from '../diag/origin.js';
import type { OptionValues } from '../options/schema.js';
import { templateFields } from '../options/variables.js';
import type { VariableSources } from './engine.js';

/**
 * An option as a failure that its value causes names it: its line, and the variables its value is
 * made of, which may be set elsewhere (`option 'password' (site.collect:4 [db], made of {dbpw})`),
 * with the line or `--set` that gives each when `sources` tells them, never the value itself (a
 * secret).
 */
export function optionPlace(options: OptionValues, name: string, sources?: VariableSources): string {
  const variable = (field: string) => {
    const source = sources?.get(field);
    if (source === undefined) return `{${field}}`;
    return `{${field}} from ${source === '--set' ? source : formatOrigin(source)}`;
  };
  const variables = templateFields(options.template(name) ?? '');
  const made =
    variables.length === 0
      ? ''
      : `, made of ${variables.map(variable).join(sources === undefined ? ' ' : ', ')}`;
  return `option '${name}' (${formatOrigin(options.origin(name))}${made})`;
}
