import { convertOption } from '../options/option-value.js';
import type { OptionSpec, ResolvedOption } from '../options/schema.js';
import { formatTemplate, type Variables } from '../options/variables.js';
import type { ScannedSection } from './scan.js';

/**
 * What every section with the same keys resolves alike: the order of its options and the
 * defaults of those it leaves out. Thousands of sources of one engine, and the pairs of one
 * backup point, share it, and each keeps only the values it sets.
 */
export interface OptionLayout {
  /** Every key in the order of the resolved options: the default, or undefined where the section sets it. */
  readonly shared: ReadonlyMap<string, ResolvedOption | undefined>;
  /** The spec of each of the section's entries, undefined for a reserved one. */
  readonly entrySpecs: readonly (OptionSpec | undefined)[];
}

/**
 * Layouts by the specs, by the reserved keys (callers keep one array for many sections), then by
 * the section's keys. `null`: sections with these keys take the long way, for what they are told
 * (an unknown or inert option, a required one missing) or for a default made of their variables.
 */
const layouts = new WeakMap<
  readonly OptionSpec[],
  WeakMap<readonly string[], Map<string, OptionLayout | null>>
>();

export function optionLayout(
  section: ScannedSection,
  specs: readonly OptionSpec[],
  reserved: readonly string[],
): OptionLayout | undefined {
  let byReserved = layouts.get(specs);
  if (byReserved === undefined) {
    byReserved = new WeakMap();
    layouts.set(specs, byReserved);
  }
  let byKeys = byReserved.get(reserved);
  if (byKeys === undefined) {
    byKeys = new Map();
    byReserved.set(reserved, byKeys);
  }
  let key = '';
  for (const entry of section.entries) key += `${entry.key}\u0000`;
  let layout = byKeys.get(key);
  if (layout === undefined) {
    layout = newLayout(section, specs, reserved);
    byKeys.set(key, layout);
  }
  return layout ?? undefined;
}

function newLayout(
  section: ScannedSection,
  specs: readonly OptionSpec[],
  reserved: readonly string[],
): OptionLayout | null {
  const shared = new Map<string, ResolvedOption | undefined>();
  const entrySpecs: (OptionSpec | undefined)[] = [];
  for (const entry of section.entries) {
    if (reserved.includes(entry.key)) {
      entrySpecs.push(undefined);
      continue;
    }
    const spec = specs.find((s) => s.name === entry.key);
    if (spec === undefined || spec.inert !== undefined) return null;
    entrySpecs.push(spec);
    shared.set(spec.name, undefined);
  }
  for (const spec of specs) {
    if (shared.has(spec.name)) continue;
    if (spec.required && !section.entries.some((e) => e.key === spec.name)) return null;
    if (templateDefault(spec)) return null;
    const value = defaultValue(spec);
    if (value !== undefined) shared.set(spec.name, value);
  }
  return { shared, entrySpecs };
}

/** A default with `{variables}` (the git collect point's commit message) is formatted per section. */
export const templateDefault = (spec: OptionSpec): boolean =>
  spec.variables !== false && spec.default?.includes('{') === true;

export function formattedDefault(spec: OptionSpec, variables: Variables): ResolvedOption | undefined {
  const formatted = formatTemplate(spec.default ?? '', variables);
  const converted = formatted.ok ? convertOption(spec, formatted.text) : undefined;
  return converted?.ok === true ? { spec, value: converted.value } : undefined;
}

/**
 * A schema default, converted once for every section that leaves the option out: the resolved
 * option is immutable, so thousands of points share it.
 */
const defaults = new WeakMap<OptionSpec, ResolvedOption | null>();

export function defaultValue(spec: OptionSpec): ResolvedOption | undefined {
  let known = defaults.get(spec);
  if (known === undefined) {
    const converted = spec.default === undefined ? undefined : convertOption(spec, spec.default);
    known = converted?.ok === true ? { spec, value: converted.value } : null;
    defaults.set(spec, known);
  }
  return known ?? undefined;
}
