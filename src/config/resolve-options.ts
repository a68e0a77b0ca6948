import type { Diagnostics } from '../diag/diagnostic.js';
import { didYouMean } from '../diag/did-you-mean.js';
import { hideUrlPasswords } from '../diag/hide-url-passwords.js';
import type { Origin } from '../diag/origin.js';
import { hasControlCharacters } from '../options/control-characters.js';
import { convertOption } from '../options/option-value.js';
import { type OptionSpec, OptionValues, type ResolvedOption } from '../options/schema.js';
import { type FormatResult, formatTemplate, type Variables } from '../options/variables.js';
import type { ScannedSection } from './scan.js';

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

/** Maps a section's keys to typed values through the schema, reporting every problem. */
export function resolveOptions(input: ResolveOptionsInput, diagnostics: Diagnostics): OptionValues {
  const { section, specs, variables } = input;
  const values = new Map<string, ResolvedOption>();
  const reserved = input.reserved ?? [];
  const context = input.context === undefined ? '' : ` ${input.context}`;
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
  for (const spec of specs) {
    if (values.has(spec.name)) continue;
    if (spec.required && !section.entries.some((e) => e.key === spec.name))
      diagnostics.error(`missing required option '${spec.name}'`, section.origin, spec.help);
    const value = templateDefault(spec) ? formattedDefault(spec, variables) : defaultValue(spec);
    if (value !== undefined) values.set(spec.name, value);
  }
  return new OptionValues(values, section.origin);
}

/** A default with `{variables}` (the git collect point's commit message) is formatted per section. */
const templateDefault = (spec: OptionSpec): boolean =>
  spec.variables !== false && spec.default?.includes('{') === true;

function formattedDefault(spec: OptionSpec, variables: Variables): ResolvedOption | undefined {
  const formatted = formatTemplate(spec.default ?? '', variables);
  const converted = formatted.ok ? convertOption(spec, formatted.text) : undefined;
  return converted?.ok === true ? { spec, value: converted.value } : undefined;
}

/**
 * A schema default, converted once for every section that leaves the option out: the resolved
 * option is immutable, so thousands of points share it.
 */
const defaults = new WeakMap<OptionSpec, ResolvedOption | null>();

function defaultValue(spec: OptionSpec): ResolvedOption | undefined {
  let known = defaults.get(spec);
  if (known === undefined) {
    const converted = spec.default === undefined ? undefined : convertOption(spec, spec.default);
    known = converted?.ok === true ? { spec, value: converted.value } : null;
    defaults.set(spec, known);
  }
  return known ?? undefined;
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
