/** Section-level rules shared by the resolvers: kinds per file, engines, names, variables. */
import type { Diagnostics } from '../diag/diagnostic.js';
import { didYouMean } from '../diag/did-you-mean.js';
import type { Origin } from '../diag/origin.js';
import type { Engine, Role, Tags, VariableSources } from '../engines/engine.js';
import { findEngine } from '../engines/registry.js';
import { hasControlCharacters } from '../options/control-characters.js';
import type { OptionValues } from '../options/schema.js';
import type { Variables } from '../options/variables.js';
import { GLOBAL_OPTIONS, type Tool } from './common-options.js';
import type { ConfigFile, FileKind } from './load.js';
import { resolveOptions } from './resolve-options.js';
import type { ScannedEntry, ScannedSection } from './scan.js';

const ALLOWED: Readonly<Record<FileKind, string>> = {
  collect: '[point], [source "NAME"], [filter "NAME"], [hook "NAME"] or [variables]',
  backup: '[point], [filter "NAME"], [hook "NAME"], [variables] or [variables "COLLECT POINT"]',
  global: '[global], [hook "NAME"] or [variables]',
};

/** Sections, engines and typed options from the scanned files; nothing here touches the disk. */
export function pointName(file: ConfigFile, diagnostics: Diagnostics): string | undefined {
  const name = file.name.slice(0, file.name.lastIndexOf('.'));
  if (hasControlCharacters(name) || /[{}]/.test(name)) {
    diagnostics.error(
      `point name '${name}' (from the file name) contains control characters or braces`,
      { file: file.name, line: 0 },
      'rename the file',
    );
    return undefined;
  }
  return name;
}

export function checkSectionKinds(
  file: ConfigFile,
  sections: readonly ScannedSection[],
  diagnostics: Diagnostics,
): void {
  for (const section of sections) {
    if (section.kind === 'invalid') continue;
    const allowed =
      file.kind === 'collect'
        ? ['point', 'source', 'filter', 'hook'].includes(section.kind) ||
          (section.kind === 'variables' && section.label === undefined)
        : file.kind === 'backup'
          ? ['point', 'filter', 'hook', 'variables'].includes(section.kind)
          : ['global', 'hook', 'variables'].includes(section.kind) &&
            !(section.kind === 'variables' && section.label !== undefined);
    if (allowed) continue;
    const home = homeOf(section);
    const message =
      home === undefined || home === file.kind
        ? `unknown section [${section.header}] in a .${file.kind} file`
        : `section [${section.header}] belongs in a .${home} file, not in a .${file.kind} file`;
    diagnostics.error(message, section.origin, `expected ${ALLOWED[file.kind]}`);
  }
}

function homeOf(section: ScannedSection): FileKind | undefined {
  switch (section.kind) {
    case 'source':
      return 'collect';
    case 'global':
      return 'global';
    case 'variables':
      return section.label === undefined ? undefined : 'backup';
    case 'point':
    case 'filter':
    case 'hook':
    case 'other':
    case 'invalid':
      return undefined;
  }
}

export function resolveGlobal(
  sections: readonly ScannedSection[],
  tools: Record<Tool, string>,
  diagnostics: Diagnostics,
): OptionValues[] {
  const globals: OptionValues[] = [];
  for (const section of sections) {
    if (section.kind === 'hook') lookupEngine('hook', section, diagnostics);
    if (section.kind !== 'global') continue;
    const options = resolveOptions({ section, specs: GLOBAL_OPTIONS, variables: {} }, diagnostics);
    globals.push(options);
    for (const tool of Object.keys(tools) as Tool[]) {
      const path = options.optionalString(`${tool}_executable`);
      if (path !== undefined && path !== '') tools[tool] = path;
    }
  }
  return globals;
}

export function userVariables(sections: readonly ScannedSection[], label?: string): Record<string, string> {
  const section = sections.find((s) => s.kind === 'variables' && s.label === label);
  return Object.fromEntries((section?.entries ?? []).map((e) => [e.key, e.value]));
}

/**
 * Where the variables a point has are given, by layers from the weakest (a `[variables]` section,
 * or `--set` for `pinned`), as the variables are laid over each other; none when no layer has any.
 */
export function variableSources(
  layers: readonly (readonly ScannedEntry[] | VariableSources | undefined)[],
  pinned: Variables,
): Map<string, Origin | '--set'> | undefined {
  const sources = new Map<string, Origin | '--set'>();
  for (const layer of layers) {
    if (layer === undefined) continue;
    if (layer instanceof Map) for (const [key, source] of layer) sources.set(key, source);
    else for (const entry of layer as readonly ScannedEntry[]) sources.set(entry.key, entry.origin);
  }
  for (const key of Object.keys(pinned)) sources.set(key, '--set');
  return sources.size === 0 ? undefined : sources;
}

/** The entries of a point's `[variables]` section (with `label`: `[variables "LABEL"]`). */
export function variableEntries(
  sections: readonly ScannedSection[],
  label?: string,
): readonly ScannedEntry[] {
  return sections.find((s) => s.kind === 'variables' && s.label === label)?.entries ?? [];
}

/** The `[variables "COLLECT POINT"]` sections of a backup point's file, by collect point. */
export function labelledVariables(sections: readonly ScannedSection[]): Map<string, Record<string, string>> {
  const byLabel = new Map<string, Record<string, string>>();
  for (const section of sections)
    if (section.kind === 'variables' && section.label !== undefined && !byLabel.has(section.label))
      byLabel.set(section.label, userVariables(sections, section.label));
  return byLabel;
}

export function pointSection(
  file: ConfigFile,
  sections: readonly ScannedSection[],
  diagnostics: Diagnostics,
) {
  const point = sections.find((s) => s.kind === 'point');
  if (point === undefined)
    diagnostics.error(
      `missing [point] section`,
      { file: file.name, line: 0 },
      'every .collect and .backup file defines one point',
    );
  return point;
}

export function lookupEngine<R extends Role>(
  role: R,
  section: ScannedSection,
  diagnostics: Diagnostics,
): Extract<Engine, { role: R }> | undefined {
  const entry = section.entries.find((e) => e.key === 'engine');
  if (entry === undefined) {
    diagnostics.error(
      `missing required option 'engine'`,
      section.origin,
      `the engine of this ${roleWord(role)}`,
    );
    return undefined;
  }
  const found = findEngine(role, entry.value);
  switch (found.kind) {
    case 'found':
      return found.engine as Extract<Engine, { role: R }>;
    case 'not-available':
      diagnostics.error(
        `${roleWord(role)} engine '${found.name}' is not available in this version`,
        entry.origin,
      );
      return undefined;
    case 'unknown': {
      diagnostics.error(`unknown ${roleWord(role)} engine '${entry.value}'`, entry.origin, () => {
        const guess = didYouMean(entry.value.toLowerCase(), found.known);
        return guess !== undefined
          ? `did you mean '${guess}'?`
          : found.known.length > 0
            ? `available: ${found.known.join(', ')}`
            : `no ${roleWord(role)} engine is available in this version`;
      });
      return undefined;
    }
  }
}

const roleWord = (role: Role): string =>
  ({ source: 'source', collect: 'collect point', backup: 'backup point', filter: 'filter', hook: 'hook' })[
    role
  ];

export function tagsOf(options: OptionValues, own: string, included: string, excluded: string): Tags {
  return { own: options.list(own), included: options.list(included), excluded: options.list(excluded) };
}
