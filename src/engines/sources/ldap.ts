import { formatOrigin } from '../../diag/origin.js';
import type { Word } from '../../graph/command.js';
import type { OptionValues } from '../../options/schema.js';
import { shellSplit } from '../../options/shell-split.js';
import type { SourceEngine } from '../engine.js';
import { destinationPath, setString } from '../toolkit.js';
import { DUMP_CHECK_OPTIONS, dumpCheck, toolRun, verifyDump } from './tool-source.js';

/**
 * The line that ends every export this source writes: LDIF has no end mark of its own, so an export
 * cut between two entries (a dumper killed after writing part of it, a file truncated later) would
 * otherwise load as a smaller directory. A comment for slapadd; the count of entries that follows
 * it is checked by a restore.
 */
export const LDIF_EXPORT_END = '# polyarchiv: end of export';

/** The status of the awk programs below for an export cut or miscounted, which `explains` words. */
const LDIF_CUT_STATUS = 3;

/**
 * Copies slapcat's output and appends the end line after its last line; an empty export stays
 * empty (judged as such). The step fails when slapcat fails, so the line never ends a cut export;
 * and slapcat ends every entry with a blank line, so an export whose last line is not blank was
 * cut inside an entry, whatever slapcat's status says: it exits LDIF_CUT_STATUS, without the line.
 */
export const LDIF_END_WRITER: readonly string[] = [
  'awk',
  `/^dn:/ { n++ } { print; last = $0 } END { if (NR == 0) exit; if (last != "") exit ${LDIF_CUT_STATUS}; printf "${LDIF_EXPORT_END}, %d entries\\n", n }`,
];

/**
 * Counts an export's entries as LDIF_END_WRITER did, and exits LDIF_CUT_STATUS, saying both
 * figures, when its end line says another number; an export without the line passes (the restore's
 * first step refused it unless --allow-shrink).
 */
const LDIF_COUNT_CHECK = `/^dn:/ { n++ } index($0, "${LDIF_EXPORT_END}, ") == 1 { said = substr($0, ${LDIF_EXPORT_END.length + 3}) + 0; marked = 1 } END { if (marked && said != n) { printf "%s: %d entries, its end line counts %d\\n", FILENAME, n, said > "/dev/stderr"; exit ${LDIF_CUT_STATUS} } }`;

/**
 * Exports an OpenLDAP database with slapcat; restores it with slapadd into the stopped, emptied
 * database directory, with the original's defects fixed: slapcat runs once and its status counts,
 * slapadd gets the database number, data_directory works, the previous database files survive a
 * failed load.
 */
export const ldap: SourceEngine = {
  role: 'source',
  name: 'ldap',
  summary:
    'Export an OpenLDAP database with slapcat; restore it with slapadd into the stopped, emptied database directory.',
  options: [
    {
      name: 'destination_path',
      type: 'inner-path',
      default: 'ldap.ldif',
      help: 'File of the collect point that receives the LDIF export.',
    },
    {
      name: 'database',
      type: 'integer',
      range: [0, 9999],
      default: '1',
      help: 'Number of the database (slapcat/slapadd -n); 0 is cn=config.',
    },
    {
      name: 'ldap_base',
      type: 'string',
      help: 'Suffix that selects the database instead of its number (slapcat/slapadd -b).',
    },
    {
      name: 'data_directory',
      type: 'absolute-path',
      help: 'Directory of the database (its olcDbDirectory, e.g. /var/lib/ldap; it may be a mount point). Required to restore: its contents are moved aside inside it, rebuilt by slapadd, and put back if the load fails.',
    },
    {
      name: 'config_dir',
      type: 'absolute-path',
      help: 'slapd configuration directory (slapcat/slapadd -F), e.g. /etc/ldap/slapd.d; default: the tools’ own.',
    },
    {
      name: 'config_file',
      type: 'absolute-path',
      help: 'slapd.conf configuration file (slapcat/slapadd -f), instead of config_dir.',
    },
    {
      name: 'use_sudo',
      type: 'boolean',
      default: 'false',
      help: 'Run slapcat, slapadd and the stop and start commands through sudo (as root).',
    },
    {
      name: 'stop_command',
      type: 'string',
      default: 'service slapd stop',
      help: 'Command that stops slapd before a restore (split like a shell would, never run by one), returning once slapd has ended; when it fails, the restore changes nothing and starts nothing; empty: none.',
    },
    {
      name: 'start_command',
      type: 'string',
      default: 'service slapd start',
      help: 'Command that starts slapd after a restore, whether the load succeeded or not; not run when the stop command fails or slapd still has the database open (it was not stopped); empty: none.',
    },
    { name: 'dump_executable', type: 'string', default: 'slapcat', help: 'slapcat to use.' },
    { name: 'restore_executable', type: 'string', default: 'slapadd', help: 'slapadd to use.' },
    ...DUMP_CHECK_OPTIONS,
  ],
  check(options, diagnostics) {
    if (
      options.optionalString('config_dir') !== undefined &&
      options.optionalString('config_file') !== undefined
    ) {
      diagnostics.error(
        "options 'config_dir' and 'config_file' exclude each other",
        options.origin('config_file'),
        'slapd reads either a slapd.d directory (-F) or a slapd.conf file (-f)',
      );
    }
    // ldap_base selects the database (-b): a database number written beside it would be ignored.
    if (options.template('database') !== undefined && setString(options, 'ldap_base') !== undefined) {
      diagnostics.error(
        "options 'database' and 'ldap_base' exclude each other",
        options.origin('database'),
        'ldap_base selects the database by its suffix, database by its number: keep one',
      );
    }
    if (options.integer('database') < 0) {
      diagnostics.error(
        `bad value for option 'database': ${options.integer('database')}`,
        options.origin('database'),
        'expected the number of a database: 0 for cn=config, 1 for the first one',
      );
    }
    for (const name of ['stop_command', 'start_command']) {
      if (shellSplit(options.string(name)) === undefined) {
        diagnostics.error(`bad value for option '${name}': unterminated quote`, options.origin(name));
      }
    }
  },
  backup(source, cp) {
    const o = source.options;
    return [
      {
        kind: 'dump',
        ...tool(o, [o.string('dump_executable'), ...databaseArgs(o)]),
        ...dumpCheck(o, destinationPath(source, cp), cp),
        through: LDIF_END_WRITER,
        explains: [
          {
            status: LDIF_CUT_STATUS,
            message:
              'the export ends inside an entry (its last line is not blank): it was cut; the previous export is kept',
          },
        ],
        origin: source.origin,
        summary: `export LDAP ${which(o)} with slapcat (source "${source.name}")`,
      },
    ];
  },
  restoreProblem(source) {
    if (source.options.has('data_directory')) return undefined;
    // Planning reads nothing, so the directory cannot be looked up: the restore is refused.
    return {
      message: `cannot restore source "${source.name}" without data_directory`,
      hint: `set it to the directory of ${which(source.options)}`,
    };
  },
  restore(source, cp) {
    const o = source.options;
    // restoreProblem refuses the plan when it is missing.
    const target = o.string('data_directory');
    const stop = command(o, 'stop_command');
    const input = destinationPath(source, cp);
    return [
      // An empty or cut export (without the end line its backup appended) is refused before the
      // question and before slapd is stopped.
      verifyDump(source, input, LDIF_EXPORT_END),
      {
        kind: 'run',
        check: true,
        argv: ['awk', LDIF_COUNT_CHECK, input],
        explains: [
          {
            status: LDIF_CUT_STATUS,
            message: `the export's entries are not those its end line counts: it was changed or damaged since the backup; nothing was changed (without its end line, --allow-shrink loads it all the same)`,
          },
        ],
        origin: source.origin,
        summary: `check that the export of source "${source.name}" holds the entries its end line counts`,
      },
      {
        kind: 'confirm',
        warning: `source "${source.name}": the LDAP ${which(o)} in ${target} is replaced by the export; changes made since the backup are lost`,
        origin: source.origin,
        summary: `confirm that restoring source "${source.name}" replaces the LDAP ${which(o)}`,
      },
      // One step from the stop to the start: an interruption between them would leave slapd stopped.
      {
        kind: 'reload-dir',
        target,
        // Inside the directory, which never moves itself: it may be a mount point.
        previous: `${target}/.polyarchiv-old`,
        input,
        load: tool(o, [o.string('restore_executable'), ...databaseArgs(o)]).argv,
        stop: stop.length === 0 ? [] : tool(o, stop).argv,
        stopOrigin: formatOrigin(o.origin('stop_command')),
        start: command(o, 'start_command').length === 0 ? [] : tool(o, command(o, 'start_command')).argv,
        origin: o.origin('data_directory'),
        summary: `${stop.length === 0 ? '' : 'stop slapd, '}rebuild ${target} from the export with slapadd, then start slapd (source "${source.name}")`,
      },
    ];
  },
};

/** Where the configuration is, then which database: `-b` selects it by suffix, else `-n`. */
function databaseArgs(o: OptionValues): string[] {
  const configDir = o.optionalString('config_dir');
  const configFile = o.optionalString('config_file');
  const base = setString(o, 'ldap_base');
  return [
    ...(configDir === undefined ? [] : ['-F', configDir]),
    ...(configFile === undefined ? [] : ['-f', configFile]),
    ...(base === undefined ? ['-n', String(o.integer('database'))] : ['-b', base]),
  ];
}

function which(o: OptionValues): string {
  const base = setString(o, 'ldap_base');
  return base === undefined ? `database ${o.integer('database')}` : `database ${base}`;
}

function command(o: OptionValues, name: string): string[] {
  return shellSplit(o.string(name)) ?? [];
}

function tool(o: OptionValues, argv: readonly Word[]) {
  return toolRun(argv, {}, o.boolean('use_sudo') ? 'root' : undefined);
}
