import type { Diagnostics } from '../diag/diagnostic.js';
import { didYouMean } from '../diag/did-you-mean.js';
import { hideUrlPasswords } from '../diag/hide-url-passwords.js';
import type { Origin } from '../diag/origin.js';
import { hasControlCharacters } from '../options/control-characters.js';
import { convertOption } from '../options/option-value.js';
import { type OptionSpec, OptionValues, type ResolvedOption } from '../options/schema.js';
import { type FormatResult, formatTemplate, type Variables } from '../options/variables.js';
import {
  defaultValue,
  formattedDefault,
  type OptionLayout,
  optionLayout,
  templateDefault,
} from './option-layout.js';
import type { ScannedEntry, ScannedSection } from './scan.js';

export interface ResolveOptionsInput {
  readonly section: ScannedSection;
  readonly specs: readonly OptionSpec[];
  readonly variables: Variables;
  /** Keys handled elsewhere (`engine`). */
  readonly reserved?: readonly string[];
  /** Appended to variable errors: "for collect point 'x'". */
  readonly context?: string;
  /**
   * Where an option unknown here belongs instead (the sources' `max_shrink_percent` written in
   * the collect point's section): said in place of a guess at a typo.
   */
  readonly elsewhere?: (key: string) => string | undefined;
}

const NOTHING_RESERVED: readonly string[] = [];

/** Maps a section's keys to typed values through the schema, reporting every problem. */
export function resolveOptions(input: ResolveOptionsInput, diagnostics: Diagnostics): OptionValues {
  const { section, specs, variables } = input;
  const reserved = input.reserved ?? NOTHING_RESERVED;
  const context = input.context === undefined ? '' : ` ${input.context}`;
  const layout = optionLayout(section, specs, reserved);
  if (layout !== undefined) return withLayout(layout, input, context, diagnostics);
  const values = new Map<string, ResolvedOption>();
  for (const entry of section.entries) {
    if (reserved.includes(entry.key)) continue;
    const spec = specs.find((s) => s.name === entry.key);
    if (spec === undefined) {
      if (entry.inherited) continue;
      diagnostics.warning(`unknown option '${entry.key}' is ignored`, entry.origin, () => {
        const place = input.elsewhere?.(entry.key);
        if (place !== undefined) return place;
        const guess = didYouMean(entry.key, [...specs.map((s) => s.name), ...reserved]);
        return guess === undefined ? undefined : `did you mean '${guess}'?`;
      });
      continue;
    }
    if (spec.inert !== undefined)
      diagnostics.warning(`option '${spec.name}' has no effect: ${spec.inert}`, entry.origin);
    const converted = convertText(spec, entry.value, variables, entry.origin, context, diagnostics);
    if (converted !== undefined)
      values.set(spec.name, { spec, value: converted, origin: entry.origin, template: entry.value });
  }
  return new OptionValues(withDefaults(values, input, diagnostics), section.origin);
}

/** The options left out, after those set: their defaults, in the order of the specs. */
function withDefaults(
  values: Map<string, ResolvedOption>,
  input: ResolveOptionsInput,
  diagnostics: Diagnostics,
): Map<string, ResolvedOption> {
  const { section, specs, variables } = input;
  for (const spec of specs) {
    if (values.has(spec.name)) continue;
    if (spec.required && !section.entries.some((e) => e.key === spec.name))
      diagnostics.error(`missing required option '${spec.name}'`, section.origin, spec.help);
    const value = templateDefault(spec) ? formattedDefault(spec, variables) : defaultValue(spec);
    if (value !== undefined) values.set(spec.name, value);
  }
  return values;
}

/**
 * A section whose keys are all known, as others with the same keys: its values are converted and
 * the layout's defaults shared. A value refused takes its default, as the long way gives it.
 */
function withLayout(
  layout: OptionLayout,
  input: ResolveOptionsInput,
  context: string,
  diagnostics: Diagnostics,
): OptionValues {
  const { section, variables } = input;
  const own = new Map<string, ResolvedOption>();
  let refused = false;
  const { entries } = section;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as ScannedEntry;
    const spec = layout.entrySpecs[i];
    if (spec === undefined) continue;
    const converted = convertText(spec, entry.value, variables, entry.origin, context, diagnostics);
    if (converted === undefined) refused = true;
    else own.set(spec.name, { spec, value: converted, origin: entry.origin, template: entry.value });
  }
  if (refused) return new OptionValues(withDefaults(own, input, diagnostics), section.origin);
  return new OptionValues(layout.shared, section.origin, own);
}

function convertText(
  spec: OptionSpec,
  raw: string,
  variables: Variables,
  origin: Origin,
  context: string,
  diagnostics: Diagnostics,
) {
  let text = raw;
  if (spec.variables !== false) {
    const formatted = formatTemplate(raw, variables);
    if (!formatted.ok) {
      const problem = templateProblem(spec, raw, formatted, context);
      diagnostics.error(problem.message, origin, problem.hint);
      return undefined;
    }
    text = formatted.text;
  }
  const converted = convertOption(spec, text);
  if (!converted.ok) {
    const shown = spec.secret
      ? '(value hidden: secret)'
      : text === raw
        ? `'${visible(raw)}'`
        : `'${visible(raw)}' (= '${visible(text)}')`;
    diagnostics.error(
      `bad value for option '${spec.name}'${context}: ${shown}`,
      origin,
      // A secret's value is never echoed, not even as a near miss.
      converted.guess === undefined || spec.secret
        ? `expected ${converted.expected}`
        : `did you mean '${converted.guess}'? expected ${converted.expected}`,
    );
    return undefined;
  }
  return converted.value;
}

/**
 * What is said of an option whose `{variables}` cannot be filled. Text in braces may be part of a
 * password rather than a variable: a secret option's text, and braces inside a URL's password,
 * are never shown, nor is anything worked out from them (a "did you mean").
 */
export function templateProblem(
  option: { readonly name: string; readonly secret?: boolean },
  raw: string,
  failure: Extract<FormatResult, { ok: false }>,
  context: string,
): { readonly message: string; readonly hint?: string } {
  if (option.secret === true)
    return {
      message:
        failure.field === undefined
          ? `${failure.message} in option '${option.name}'${context} (a secret: its value is not shown)`
          : `option '${option.name}'${context} holds text in braces that is not a known variable (a secret: its value is not shown)`,
      hint: 'write {{ and }} for braces that are part of the secret',
    };
  const shown = hideUrlPasswords(raw);
  if (failure.field !== undefined && !shown.includes(`{${failure.field}}`))
    return {
      message: `the password in option '${option.name}'${context} holds text in braces that is not a known variable: '${visible(shown)}'`,
      hint: 'write {{ and }} for braces that are part of the password',
    };
  return {
    message: `${failure.message} in option '${option.name}'${context}: '${visible(shown)}'`,
    ...(failure.hint === undefined ? {} : { hint: failure.hint }),
  };
}

/** How much of a long value a diagnostic shows: its start and its end, around its length. */
const SHOWN_ENDS = 60;

/**
 * Control characters shown as escapes, so that a diagnostic stays on its lines; a value of
 * thousands of characters shown by its ends and its length.
 */
function visible(text: string): string {
  if (text.length > 4 * SHOWN_ENDS)
    return `${visible(text.slice(0, SHOWN_ENDS))}...(${text.length} characters)...${visible(text.slice(-SHOWN_ENDS))}`;
  const named: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r' };
  return [...text]
    .map((c) =>
      hasControlCharacters(c) ? (named[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`) : c,
    )
    .join('');
}
