import type { ActionDraft } from '../../graph/action.js';
import type { Word } from '../../graph/command.js';
import type { OptionValues } from '../../options/schema.js';
import type { BoundCollectPoint, BoundSource, SourceEngine } from '../engine.js';
import { sourceSecret } from '../secrets.js';
import {
  connectionOptions,
  databasePropertiesPath,
  destinationPath,
  destinationPathOption,
  setString,
} from '../toolkit.js';
import { mysqlLoginFailures } from './database-logins.js';
import { definersCheck } from './mysql-definers-check.js';
import { DUMP_CHECK_OPTIONS, dumpCheck, toolRun, verifyDump } from './tool-source.js';

/**
 * mysqldump's last line (`-- Dump completed on DATE`, or without the date with --skip-dump-date),
 * written unless comments are turned off (--skip-comments, --compact), which this engine never
 * asks for: a dump_executable that does must keep it.
 */
export const MYSQLDUMP_COMPLETE = '-- Dump completed';

/** Dumps a MySQL/MariaDB database with mysqldump; restores it with mysql. */
export const mysql: SourceEngine = {
  role: 'source',
  name: 'mysql',
  summary:
    'Dump a MySQL/MariaDB database with mysqldump (one consistent transaction, with routines, triggers and events); restore it with mysql.',
  options: [
    { name: 'database', type: 'string', required: true, help: 'Database to dump.' },
    ...connectionOptions({
      host: 'Server host name; localhost means the default unix socket (ignored when socket is set).',
      port: '3306',
      portHelp: 'Server TCP port (ignored when socket is set).',
      socketHelp: 'Server unix socket file (e.g. /run/mysqld/mysqld.sock); replaces host and port.',
      userHelp: 'User to connect as.',
      passwordHelp: 'Password of that user, given to the tools in a private --defaults-extra-file.',
    }),
    destinationPathOption({
      default: 'mysql_dump.sql',
      help: 'File of the collect point that receives the dump.',
    }),
    {
      name: 'sudo_user',
      type: 'string',
      onHost: 'user',
      help: 'Run the tools as this local user (sudo -u), e.g. mysql.',
    },
    { name: 'dump_executable', type: 'string', default: 'mysqldump', help: 'mysqldump to use.' },
    { name: 'restore_executable', type: 'string', default: 'mysql', help: 'mysql client to use.' },
    {
      name: 'create_database',
      type: 'boolean',
      default: 'true',
      help: 'Before a restore, create the database if it is missing (CREATE DATABASE IF NOT EXISTS), with the character set, collation and comment of its backup.',
    },
    ...DUMP_CHECK_OPTIONS,
  ],
  backup(source, cp) {
    const o = source.options;
    const argv: Word[] = [
      o.string('dump_executable'),
      ...credentials(source, cp),
      ...connection(o),
      // One consistent snapshot of InnoDB tables without locking them, and the whole schema.
      '--single-transaction',
      '--routines',
      '--triggers',
      '--events',
      // BLOBs as hex literals: the dump stays plain text whatever the binary content.
      '--hex-blob',
    ];
    return [
      ...passwordFile(source, cp),
      {
        kind: 'dump',
        ...toolRun(
          [...argv, '--', o.string('database')],
          {},
          o.optionalString('sudo_user'),
          mysqlLoginFailures(o),
        ),
        ...dumpCheck(o, destinationPath(source, cp), cp, MYSQLDUMP_COMPLETE),
        origin: source.origin,
        summary: `dump MySQL database ${o.string('database')} (source "${source.name}")`,
      },
      {
        kind: 'dump',
        ...toolRun(
          [...propertiesDump(source, cp), '--', o.string('database')],
          {},
          o.optionalString('sudo_user'),
          mysqlLoginFailures(o),
        ),
        ...dumpCheck(o, databasePropertiesPath(source, cp), cp, MYSQLDUMP_COMPLETE),
        origin: source.origin,
        summary: `dump the character set, collation and comment of MySQL database ${o.string('database')} (source "${source.name}")`,
      },
    ];
  },
  restore(source, cp) {
    const o = source.options;
    // Batch mode stops at the first failing statement (no --force).
    const argv: Word[] = [
      o.string('restore_executable'),
      ...credentials(source, cp),
      ...connection(o),
      '--batch',
      '--binary-mode',
    ];
    const input = destinationPath(source, cp);
    const definers = definersCheck(source, cp, argv);
    return [
      verifyDump(source, input, MYSQLDUMP_COMPLETE),
      {
        kind: 'confirm',
        warning: `source "${source.name}": the tables of MySQL database ${o.string('database')} that the dump holds are dropped and recreated from it; changes made to them since the backup are lost`,
        origin: source.origin,
        summary: `confirm that restoring source "${source.name}" overwrites MySQL database ${o.string('database')}`,
      },
      ...passwordFile(source, cp),
      definers.before,
      ...(o.boolean('create_database') ? createDatabase(source, cp, argv) : []),
      {
        kind: 'load',
        ...toolRun(
          [...argv, '--', o.string('database')],
          {},
          o.optionalString('sudo_user'),
          mysqlLoginFailures(o),
        ),
        input,
        origin: source.origin,
        summary: `load the dump into MySQL database ${o.string('database')} (source "${source.name}")`,
      },
      definers.after,
    ];
  },
};

/**
 * The database itself (its default character set and collation, its comment), which the main dump
 * does not hold: with --databases, mysqldump writes its CREATE DATABASE; without tables nor
 * triggers, nothing else but its header (with the SET NAMES the comment is written in).
 */
function propertiesDump(source: BoundSource, cp: BoundCollectPoint): Word[] {
  const o = source.options;
  return [
    o.string('dump_executable'),
    ...credentials(source, cp),
    ...connection(o),
    '--databases',
    '--no-create-info',
    '--no-data',
    '--skip-triggers',
  ];
}

/**
 * A restore after the database was dropped, or on a new server, finds no database: it is created
 * with the defaults it had (new tables and string comparisons depend on them), else a database
 * that exists keeps its own (IF NOT EXISTS). The client, with the load's connection and option
 * file, reads the statements sed picks from the properties dump: its SET NAMES and its CREATE
 * DATABASE of this very name (of another, the copy of another database, it creates nothing). A
 * copy made before the properties were dumped gets an empty file, and its database is created as
 * before: in the character set of the dump's `SET NAMES` when one of its first lines has it, else
 * with the server's defaults. The name is a quoted identifier (backticks doubled), escaped for sed.
 */
function createDatabase(source: BoundSource, cp: BoundCollectPoint, client: readonly Word[]): ActionDraft[] {
  const o = source.options;
  const database = o.string('database');
  const quoted = `\`${database.replaceAll('`', '``')}\``;
  const create = `CREATE DATABASE IF NOT EXISTS ${quoted}`;
  const sed = (statement: string) => statement.replace(/[\\&/]/g, '\\$&').replaceAll('\n', '\\n');
  const properties = databasePropertiesPath(source, cp);
  const asClient = toolRun(client, {}, o.optionalString('sudo_user'), mysqlLoginFailures(o));
  return [
    {
      kind: 'run',
      // -a: an existing file keeps its contents and modification time; a missing one is created empty.
      argv: ['touch', '-a', '--', properties],
      readiesCopy: true,
      origin: source.origin,
      summary: `create ${properties} empty if the copy predates it (the database is then created in the character set of the dump)`,
    },
    {
      kind: 'load',
      ...asClient,
      input: properties,
      through: [
        'sed',
        '-n',
        '-e',
        SET_NAMES_LINE,
        '-e',
        `/^CREATE DATABASE \\/\\*!32312 IF NOT EXISTS\\*\\/ ${basicRegex(quoted)} .*;$/{p;q}`,
      ],
      origin: source.origin,
      summary: `create MySQL database ${database} with its character set, collation and comment if it is missing (source "${source.name}")`,
    },
    {
      kind: 'load',
      ...asClient,
      input: destinationPath(source, cp),
      through: [
        'sed',
        '-n',
        '-e',
        `/^\\/\\*!40101 SET NAMES \\([0-9A-Za-z_]*\\) \\*\\/;$/{s//${sed(create)} CHARACTER SET \\1;/p;q}`,
        '-e',
        `${SET_NAMES_WITHIN}{s/.*/${sed(create)};/p;q}`,
        '-e',
        `\${s/.*/${sed(create)};/p}`,
      ],
      origin: source.origin,
      summary: `create MySQL database ${database} in the character set of the dump if it is still missing (source "${source.name}")`,
    },
  ];
}

/** mysqldump's connection character set, which the properties' comment is written in. */
const SET_NAMES_LINE = '/^\\/\\*!40101 SET NAMES [0-9A-Za-z_]* \\*\\/;$/p';

/** `text` matched literally by a sed basic regular expression between slashes. */
const basicRegex = (text: string): string => text.replace(/[\\/.*[\]^$]/g, '\\$&');

/** mysqldump writes its SET NAMES among its first lines: sed reads no further. */
const SET_NAMES_WITHIN = 40;

function connection(o: OptionValues): string[] {
  const socket = setString(o, 'socket');
  const user = setString(o, 'user');
  const where =
    socket === undefined
      ? [`--host=${o.string('host')}`, `--port=${o.integer('port')}`]
      : ['--protocol=socket', `--socket=${socket}`];
  return [...where, ...(user === undefined ? [] : [`--user=${user}`])];
}

const hasPassword = (source: BoundSource): boolean => setString(source.options, 'password') !== undefined;

const optionFile = (source: BoundSource, cp: BoundCollectPoint): string =>
  `my.${encodeURIComponent(cp.name)}.${encodeURIComponent(source.name)}.cnf`;

/** The client tools accept --defaults-extra-file only as their very first argument. */
function credentials(source: BoundSource, cp: BoundCollectPoint): Word[] {
  return hasPassword(source) ? [{ prefix: '--defaults-extra-file=', workFile: optionFile(source, cp) }] : [];
}

/**
 * A `[client]` option file. The value is double-quoted so that `#`, `;`, `'` and spaces are
 * literal; inside the quotes the client unescapes `\\` and `\"`, so those two are escaped.
 */
function passwordFile(source: BoundSource, cp: BoundCollectPoint): ActionDraft[] {
  if (!hasPassword(source)) return [];
  const owner = setString(source.options, 'sudo_user');
  return [
    {
      kind: 'private-file',
      workFile: optionFile(source, cp),
      parts: ['[client]\npassword="', { secret: sourceSecret(cp, source, 'password'), escape: '\\"' }, '"\n'],
      ...(owner === undefined ? {} : { owner }),
      origin: source.options.origin('password'),
      summary: `write the password of source "${source.name}" to a private option file`,
    },
  ];
}
