import type { Diagnostics } from '../diag/diagnostic.js';
import { formatOrigin } from '../diag/origin.js';
import type { BoundFilter, FilterEngine } from '../engines/engine.js';
import { hasControlCharacters } from '../options/control-characters.js';
import type { Variables } from '../options/variables.js';
import { resolveOptions } from './resolve-options.js';
import type { ScannedSection } from './scan.js';
import { lookupEngine } from './sections.js';

/**
 * The `[filter "NAME"]` sections of a file, in file order, with their options rendered with
 * `variables`. A filter's name names its directories: it holds no slash.
 */
export function resolveFilters(
  sections: readonly ScannedSection[],
  variables: Variables,
  diagnostics: Diagnostics,
  context?: string,
): BoundFilter[] {
  const filters: BoundFilter[] = [];
  for (const section of sections) {
    if (section.kind !== 'filter') continue;
    const engine = lookupEngine('filter', section, diagnostics) as FilterEngine | undefined;
    const name = section.label ?? '';
    if (name === '' || name === '.' || name === '..' || name.includes('/') || hasControlCharacters(name)) {
      diagnostics.error(
        `filter name '${name}' cannot name a directory`,
        section.origin,
        'expected a name without slash or control characters, e.g. [filter "encrypt"]',
      );
      continue;
    }
    if (engine === undefined) continue;
    const errorsBefore = diagnostics.errorCount;
    const options = resolveOptions(
      {
        section,
        specs: engine.options,
        variables,
        reserved: ['engine'],
        ...(context === undefined ? {} : { context }),
      },
      diagnostics,
    );
    if (diagnostics.errorCount === errorsBefore) engine.check?.(options, diagnostics);
    filters.push({ name, origin: section.origin, engine, options });
  }
  return filters;
}

/**
 * Two filters of one chain (a collect point's, then a backup point's for it) writing the same file
 * at the root of the tree: the later one would replace the earlier one's index in what is shipped.
 */
export function checkRootFiles(
  earlier: readonly BoundFilter[],
  filters: readonly BoundFilter[],
  diagnostics: Diagnostics,
): void {
  // Only a filter of `filters` is reported: most pairs have none, and nothing to compare.
  if (filters.length === 0) return;
  const written = new Map<string, BoundFilter>();
  for (const filter of [...earlier, ...filters]) {
    const files = filter.engine.rootFiles?.(filter.options) ?? [];
    // One error per filter: its index and its link index share its filename.
    const clash = files.find((file) => written.has(file));
    const first = clash === undefined ? undefined : written.get(clash);
    if (clash !== undefined && first !== undefined && filters.includes(filter))
      diagnostics.error(
        `filter "${filter.name}" writes ${clash}, which filter "${first.name}" (${formatOrigin(first.origin)}) writes at the root of the same tree`,
        filter.options.origin('filename'),
        'give each index its own filename',
      );
    for (const file of files) if (!written.has(file)) written.set(file, filter);
  }
}
