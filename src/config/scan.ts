import type { Diagnostics } from '../diag/diagnostic.js';
import type { Origin } from '../diag/origin.js';
import { shellSplit } from '../options/shell-split.js';

/**
 * The original's dialect is Python's RawConfigParser: no interpolation, values kept
 * literally (quotes and inline `#`/`;` included), full-line comments only, indented continuation
 * lines, case-insensitive option names, `=` or `:` delimiters, `[DEFAULT]` keys inherited by every
 * section. The `ini` package reads none of that faithfully, so the lines are scanned here.
 */

/** `invalid` marks a header already reported (ambiguous name): later passes skip it silently. */
export type SectionKind =
  | 'point'
  | 'source'
  | 'filter'
  | 'hook'
  | 'variables'
  | 'global'
  | 'other'
  | 'invalid';

export interface ScannedEntry {
  /** Lower-cased, as configparser does. */
  readonly key: string;
  readonly value: string;
  readonly origin: Origin;
  /** From `[DEFAULT]`: it applies to every section, so sections that have no such option ignore it. */
  readonly inherited?: boolean;
}

export interface ScannedSection {
  readonly kind: SectionKind;
  /** The header between the brackets, as written. */
  readonly header: string;
  /** The quoted name of `[source "db"]`-style sections; absent for `[point]`, `[global]`, `[variables]`. */
  readonly label?: string;
  readonly origin: Origin;
  readonly entries: readonly ScannedEntry[];
}

export interface ScannedFile {
  readonly file: string;
  readonly sections: readonly ScannedSection[];
}

const HASH = '#'.charCodeAt(0);
const SEMICOLON = ';'.charCodeAt(0);
const OPEN_BRACKET = '['.charCodeAt(0);

const LABELLED_KINDS = ['source', 'filter', 'hook', 'variables'] as const;

interface OpenSection {
  header: string;
  line: number;
  entries: ScannedEntry[];
  keys: Set<string>;
}

export function scanIni(file: string, text: string, diagnostics: Diagnostics): ScannedFile {
  const sections: OpenSection[] = [];
  const defaults: OpenSection = { header: 'DEFAULT', line: 0, entries: [], keys: new Set() };
  const seenHeaders = new Map<string, number>();
  let current: OpenSection | undefined;
  // The entry the next, deeper indented line would continue, where it is, and its indent.
  let continued: ScannedEntry | undefined;
  let continuedIn: OpenSection | undefined;
  let continuedIndent = 0;
  let blankLines = 0;

  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const rawLine = lines[index] as string;
    const line = index + 1;
    const trimmed = rawLine.trim();
    if (trimmed === '') {
      // configparser keeps empty lines inside a multi-line value when an indented line follows.
      blankLines++;
      continue;
    }
    const firstCode = trimmed.charCodeAt(0);
    if (firstCode === HASH || firstCode === SEMICOLON) continue;
    // Where the text starts, found without a copy of the line.
    const indent = rawLine.length === trimmed.length ? 0 : rawLine.indexOf(trimmed);
    if (continued !== undefined && continuedIn !== undefined && indent > continuedIndent) {
      const entries = continuedIn.entries;
      const value = `${continued.value}${'\n'.repeat(blankLines + 1)}${trimmed}`;
      const extended: ScannedEntry = { ...continued, value };
      blankLines = 0;
      entries[entries.indexOf(continued)] = extended;
      continued = extended;
      continue;
    }
    continued = undefined;
    blankLines = 0;
    // As configparser reads a header: up to its last ']', whatever follows ignored.
    const header = firstCode === OPEN_BRACKET ? /^\[(.+)\](.*)$/.exec(trimmed) : null;
    if (header !== null && indent === 0) {
      const name = header[1] ?? '';
      const after = header[2]?.trim() ?? '';
      if (after !== '')
        diagnostics.warning(
          `text after the section header [${name}] is ignored: ${after}`,
          { file, line, section: name },
          'a comment takes a line of its own, starting with # or ;',
        );
      const firstLine = seenHeaders.get(name);
      if (firstLine !== undefined) {
        diagnostics.error(`duplicate section [${name}] (first defined on line ${firstLine})`, {
          file,
          line,
          section: name,
        });
        // Keep scanning its keys into a section nobody reads, so they are not reported again.
        current = { header: name, line, entries: [], keys: new Set() };
        continue;
      }
      seenHeaders.set(name, line);
      current = name === 'DEFAULT' ? defaults : { header: name, line, entries: [], keys: new Set() };
      if (current !== defaults) sections.push(current);
      continue;
    }
    if (indent === 0 && firstCode === OPEN_BRACKET) {
      diagnostics.error(
        trimmed === '[]' ? 'section header [] has no name' : `section header ${trimmed} has no closing ']'`,
        { file, line },
      );
      // Its options belong to the section it meant: kept away from the one above, whose own
      // options they are not (no false duplicates there), and read by nobody.
      current = { header: trimmed, line, entries: [], keys: new Set() };
      continue;
    }
    const delimiter = trimmed.search(/[=:]/);
    if (delimiter < 0) {
      diagnostics.error(`line is neither a section header, an option 'key = value' nor a comment`, {
        file,
        line,
      });
      continue;
    }
    if (current === undefined) {
      diagnostics.error('option before any section header (expected a line like [point])', { file, line });
      current = { header: '', line, entries: [], keys: new Set() };
      continue;
    }
    const rawKey = trimmed.slice(0, delimiter).trim();
    const key = rawKey.toLowerCase();
    const value = trimmed.slice(delimiter + 1).trim();
    const origin: Origin = { file, line, section: current.header, key };
    if (key === '') {
      diagnostics.error('option with an empty name', origin);
      continue;
    }
    if (current.keys.has(key)) {
      const first = current.entries.find((e) => e.key === key);
      diagnostics.error(
        `duplicate option '${key}' in [${current.header}] (first set on line ${first?.origin.line})`,
        origin,
      );
      continue;
    }
    current.keys.add(key);
    const entry: ScannedEntry = { key, value, origin };
    current.entries.push(entry);
    continued = entry;
    continuedIn = current;
    continuedIndent = indent;
  }

  return {
    file,
    sections: sections.map((section) => finishSection(file, section, defaults, diagnostics)),
  };
}

function finishSection(
  file: string,
  section: OpenSection,
  defaults: OpenSection,
  diagnostics: Diagnostics,
): ScannedSection {
  // Most files have no [DEFAULT]: their sections keep the entries as scanned.
  const entries =
    defaults.entries.length === 0
      ? section.entries
      : [
          ...section.entries,
          ...defaults.entries
            .filter((d) => !section.keys.has(d.key))
            .map((d) => ({ ...d, inherited: true, origin: { ...d.origin, section: section.header } })),
        ];
  const origin: Origin = { file, line: section.line, section: section.header };
  const { kind, label } = classifyHeader(section.header, origin, diagnostics);
  return { kind, header: section.header, ...(label === undefined ? {} : { label }), origin, entries };
}

function classifyHeader(
  header: string,
  origin: Origin,
  diagnostics: Diagnostics,
): { kind: SectionKind; label?: string } {
  if (header === 'point' || header === 'global' || header === 'variables') return { kind: header };
  for (const kind of LABELLED_KINDS) {
    if (!header.startsWith(`${kind} `)) continue;
    const words = shellSplit(header.slice(kind.length + 1));
    if (words === undefined || words.length !== 1 || words[0] === '') {
      diagnostics.error(
        `ambiguous section name [${header}]: expected exactly one name, e.g. [${kind} "my name"]`,
        origin,
      );
      return { kind: 'invalid' };
    }
    return { kind, label: words[0] ?? '' };
  }
  return { kind: 'other' };
}
