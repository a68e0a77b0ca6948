import type { Diagnostics } from '../diag/diagnostic.js';
import { didYouMean } from '../diag/did-you-mean.js';
import {
  type BoundHook,
  HOOK_EVENTS,
  type HookEngine,
  type HookEvent,
  RUNTIME_VARIABLES,
  type RuntimeText,
  type RuntimeVariable,
} from '../engines/engine.js';
import { secretName } from '../engines/secrets.js';
import { formatTemplate, templateFields, type Variables } from '../options/variables.js';
import { resolveOptions, templateProblem } from './resolve-options.js';
import type { ScannedSection } from './scan.js';
import { lookupEngine } from './sections.js';

/** Who a file's hooks belong to: the variables they are filled with and where their secrets go. */
export interface HookOwner {
  readonly variables: Variables;
  /** The point and owner words of a secret's variable name (see secretName). */
  readonly secretPoint: string;
  readonly secretOwner: (hook: string) => string;
  /** Appended to errors: "(for collect point 'x')". */
  readonly context?: string;
}

/** A runtime variable as it stands in a formatted text until it is split into parts. */
const MARK = '\u0000runtime:';
const RUNTIME_MARKS = Object.fromEntries(RUNTIME_VARIABLES.map((v) => [v, `${MARK}${v}\u0000`]));

/** The `[hook "NAME"]` sections of one file, bound to their owner, in file order. */
export function resolveHooks(
  sections: readonly ScannedSection[],
  owner: HookOwner,
  diagnostics: Diagnostics,
): BoundHook[] {
  const hooks: BoundHook[] = [];
  // A name given twice is refused by the scanner (a duplicate section).
  for (const section of sections) {
    if (section.kind !== 'hook') continue;
    const name = section.label ?? '';
    const engine = lookupEngine('hook', section, diagnostics) as HookEngine | undefined;
    if (engine === undefined) continue;
    const hook = resolveHook(section, name, engine, owner, diagnostics);
    if (hook !== undefined) hooks.push(hook);
  }
  return hooks;
}

function resolveHook(
  section: ScannedSection,
  name: string,
  engine: HookEngine,
  owner: HookOwner,
  diagnostics: Diagnostics,
): BoundHook | undefined {
  const errorsBefore = diagnostics.errorCount;
  const context = owner.context === undefined ? '' : ` ${owner.context}`;
  for (const entry of section.entries) {
    if (!engine.ownerTemplates.includes(entry.key)) continue;
    const runtime = templateFields(entry.value).find((f) =>
      (RUNTIME_VARIABLES as readonly string[]).includes(f),
    );
    if (runtime !== undefined)
      diagnostics.error(
        `variable '{${runtime}}' is not available in option '${entry.key}'`,
        entry.origin,
        engine.runtimeTemplates.length > 0
          ? `the run's variables are available in ${engine.runtimeTemplates.join(', ')}`
          : `a ${engine.name} hook receives the run's variables in its environment (POLYARCHIV_STATUS...)`,
      );
  }
  if (diagnostics.errorCount > errorsBefore) return undefined;
  // Texts that may name the run's variables are filled below, with those left as parts.
  const specs = engine.options.map((s) =>
    engine.runtimeTemplates.includes(s.name) ? { ...s, variables: false } : s,
  );
  const options = resolveOptions(
    {
      section,
      specs,
      variables: owner.variables,
      reserved: ['engine'],
      ...(owner.context === undefined ? {} : { context: owner.context }),
    },
    diagnostics,
  );
  // A refused value stands at its default: the events and texts are still checked, so that every
  // mistake of the section is told in one run.
  const events: HookEvent[] = [];
  for (const event of options.list('events')) {
    if ((HOOK_EVENTS as readonly string[]).includes(event)) events.push(event as HookEvent);
    else
      diagnostics.error(`unknown event '${event}' in option 'events'`, options.origin('events'), () => {
        const guess = didYouMean(event, HOOK_EVENTS);
        return guess === undefined ? `expected ${HOOK_EVENTS.join(', ')}` : `did you mean '${guess}'?`;
      });
  }
  const texts: Record<string, RuntimeText> = {};
  for (const option of engine.runtimeTemplates) {
    const raw = options.optionalString(option);
    if (raw === undefined) continue;
    const formatted = formatTemplate(raw, { ...owner.variables, ...RUNTIME_MARKS });
    if (formatted.ok) texts[option] = runtimeParts(formatted.text);
    else {
      const secret = engine.options.some((o) => o.name === option && o.secret === true);
      const problem = templateProblem({ name: option, secret }, raw, formatted, context);
      diagnostics.error(problem.message, options.origin(option), problem.hint);
    }
  }
  if (diagnostics.errorCount > errorsBefore) return undefined;
  engine.check?.(options, diagnostics);
  if (diagnostics.errorCount > errorsBefore) return undefined;
  const secrets: Record<string, string> = {};
  for (const spec of engine.options)
    if (spec.secret === true && (options.optionalString(spec.name) ?? '') !== '')
      secrets[spec.name] = secretName(owner.secretPoint, owner.secretOwner(name), spec.name);
  return {
    name,
    origin: section.origin,
    engine,
    options,
    events,
    timeout: options.integer('timeout'),
    texts,
    secrets,
  };
}

function runtimeParts(text: string): RuntimeText {
  const parts: (string | { runtime: RuntimeVariable })[] = [];
  for (const [i, piece] of text.split(MARK).entries()) {
    if (i === 0) {
      if (piece !== '') parts.push(piece);
      continue;
    }
    const end = piece.indexOf('\u0000');
    parts.push({ runtime: piece.slice(0, end) as RuntimeVariable });
    if (end + 1 < piece.length) parts.push(piece.slice(end + 1));
  }
  return parts;
}
