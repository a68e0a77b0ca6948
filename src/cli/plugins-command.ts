import { BACKUP_POINT_OPTIONS, COLLECT_POINT_OPTIONS, GLOBAL_OPTIONS } from '../config/common-options.js';
import { sampleSection } from '../config/sample.js';
import { UsageError } from '../diag/diagnostic.js';
import { didYouMean } from '../diag/did-you-mean.js';
import type { Role } from '../engines/engine.js';
import { ENGINES, enginesOf, plannedEngines, ROLE_TITLES } from '../engines/registry.js';
import type { OptionSpec } from '../options/schema.js';
import { type CommonFlags, configDir } from './common-options.js';
import { EXIT } from './exit-codes.js';

const ROLES: readonly Role[] = ['collect', 'source', 'backup', 'filter', 'hook'];

export function pluginsCommand(flags: CommonFlags & { markdown?: boolean; sample?: string }): number {
  if (flags.sample !== undefined) {
    process.stdout.write(samples(flags.sample));
    return EXIT.ok;
  }
  process.stdout.write(
    flags.markdown ? engineReferenceMarkdown() : pluginsText(flags.verbose === true, configDir(flags)),
  );
  return EXIT.ok;
}

/** Where each kind of engine's section goes, for a sample that names it. */
const SECTION_PLACES: Readonly<Record<Role, string>> = {
  collect: 'a collect point, in a NAME.collect file',
  source: 'a source, in a NAME.collect file',
  backup: 'a backup point, in a NAME.backup file',
  filter: 'a filter, in a NAME.collect or NAME.backup file',
  hook: 'a hook, in a NAME.collect, NAME.backup or NAME.global file',
};

/**
 * `--sample ENGINE` or `--sample ENGINE.ROLE` (`archive.backup`): a name that several kinds of
 * engine share (archive, git: a collect point and a backup point) prints each sample, headed by
 * where it goes and how to print it alone.
 */
function samples(given: string): string {
  const [name = '', role] = given.toLowerCase().split(/\.(?=[^.]*$)/);
  const roleGiven = role !== undefined && (ROLES as readonly string[]).includes(role);
  const wanted = roleGiven ? name : given.toLowerCase();
  const named = ENGINES.filter((e) => e.name === wanted || (e.aliases ?? []).includes(wanted));
  const found = roleGiven ? named.filter((e) => e.role === role) : named;
  if (found.length === 0) {
    const all = ENGINES.flatMap((e) => [e.name, ...(e.aliases ?? [])]);
    const guess = didYouMean(wanted, all);
    const which =
      named.length > 0
        ? `${wanted} is no ${role} engine (it is ${named.map((e) => `${e.name}.${e.role}`).join(', ')})`
        : `no such engine${guess === undefined ? '' : ` (did you mean '${guess}'?)`}`;
    throw new UsageError(
      `--sample ${given}: ${which}; expected ENGINE or ENGINE.KIND (KIND: ${ROLES.join(', ')}), such as ${[...new Set(ENGINES.map((e) => e.name))].join(', ')}`,
    );
  }
  if (found.length === 1) return sampleSection(found[0] as (typeof found)[number]);
  return found
    .map((e) => `; ${SECTION_PLACES[e.role]} (alone: --sample ${e.name}.${e.role})\n${sampleSection(e)}`)
    .join('\n');
}

function pluginsText(verbose: boolean, dir: string): string {
  const lines = [`configuration directory: ${dir}`];
  for (const role of ROLES) {
    lines.push('', `${ROLE_TITLES[role]}:`);
    for (const engine of enginesOf(role)) {
      const aliases = engine.aliases?.length ? ` (also: ${engine.aliases.join(', ')})` : '';
      lines.push(`  ${engine.name}${aliases}: ${engine.summary}`);
      if (verbose)
        for (const option of commonOptions(role).concat(engine.options))
          lines.push(`    ${optionLine(option)}`);
    }
    const planned = plannedEngines(role);
    if (planned.length > 0) lines.push(`  not available in this version: ${planned.join(', ')}`);
  }
  if (verbose) lines.push('', '[*] the value can use {variables}; [required] the option must be set');
  return `${lines.join('\n')}\n`;
}

function commonOptions(role: Role): OptionSpec[] {
  if (role === 'collect') return [...COLLECT_POINT_OPTIONS];
  if (role === 'backup') return [...BACKUP_POINT_OPTIONS];
  return [];
}

function optionLine(o: OptionSpec): string {
  const marks = [
    o.required ? '[required]' : '',
    o.variables !== false ? '[*]' : '',
    o.secret ? '[secret]' : '',
  ]
    .filter(Boolean)
    .join(' ');
  const def =
    o.default === undefined
      ? ''
      : ` (default: ${o.default === '' ? 'empty' : o.default.replaceAll('\n', '\\n')})`;
  const inert = o.inert === undefined ? '' : ` No effect yet: ${o.inert}.`;
  return `${o.name} ${marks}: ${o.help}${def}${inert}`;
}

// A table row is one line: a multi-line default shows its line breaks as \n.
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', '\\n');

function optionTable(options: readonly OptionSpec[]): string[] {
  const rows = ['| option | type | required | default | meaning |', '|---|---|---|---|---|'];
  for (const o of options) {
    const def = o.default === undefined ? '' : o.default === '' ? '(empty)' : `\`${o.default}\``;
    const notes = [
      o.help,
      o.secret ? 'Secret: never shown.' : '',
      o.inert === undefined ? '' : `No effect yet: ${o.inert}.`,
    ];
    rows.push(
      `| \`${o.name}\` | ${o.type} | ${o.required ? 'yes' : ''} | ${cell(def)} | ${cell(notes.filter(Boolean).join(' '))} |`,
    );
  }
  return rows;
}

/** The README's engine reference, generated from the option schema so the two cannot drift. */
export function engineReferenceMarkdown(): string {
  const out: string[] = [
    'Every string option accepts `{variables}` unless its type says otherwise.',
    '',
    '#### Options of every collect point (`[point]` in `NAME.collect`)',
    '',
    ...optionTable(COLLECT_POINT_OPTIONS),
    '',
    '#### Options of every backup point (`[point]` in `NAME.backup`)',
    '',
    ...optionTable(BACKUP_POINT_OPTIONS),
    '',
    '#### `[global]` (in `*.global`)',
    '',
    ...optionTable(GLOBAL_OPTIONS),
  ];
  for (const role of ROLES) {
    for (const engine of enginesOf(role)) {
      const aliases = engine.aliases?.length ? ` (also \`${engine.aliases.join('`, `')}\`)` : '';
      out.push(
        '',
        `#### ${ROLE_TITLES[role].replace(/s$/, '')} \`engine=${engine.name}\`${aliases}`,
        '',
        engine.summary,
        '',
      );
      out.push(...(engine.options.length === 0 ? ['No options of its own.'] : optionTable(engine.options)));
    }
  }
  const planned = ROLES.flatMap((r) =>
    plannedEngines(r).map((n) => `${n} (${ROLE_TITLES[r].replace(/s$/, '')})`),
  );
  if (planned.length > 0) out.push('', `Not available in this version: ${planned.join(', ')}.`);
  return `${out.join('\n')}\n`;
}
