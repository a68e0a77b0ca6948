import type { ActionDraft } from '../../graph/action.js';
import type { EnvValue, Word } from '../../graph/command.js';
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
import { postgresqlLoginFailures } from './database-logins.js';
import { createDatabase } from './postgresql-create-database.js';
import { rolesCheck } from './postgresql-roles-check.js';
import { DUMP_CHECK_OPTIONS, dumpCheck, toolRun, verifyDump } from './tool-source.js';

/**
 * The comment pg_dump's plain format writes once everything is dumped, whatever its options: near
 * the end, followed by `--` and, in releases since 15.14 (and 13.22, 14.19, 16.10, 17.6), by
 * `\unrestrict` and its key.
 */
export const PG_DUMP_COMPLETE = '-- PostgreSQL database dump complete';

/**
 * Dumps a PostgreSQL database with pg_dump; restores it with psql, with the
 * original's defects fixed: the password travels in a private PGPASSFILE, never
 * in argv or the environment; the default file name is a PostgreSQL one; the restore stops at the
 * first error and runs in one transaction; dry runs connect to nothing.
 */
export const postgresql: SourceEngine = {
  role: 'source',
  name: 'postgresql',
  aliases: ['postgressql'],
  summary: 'Dump a PostgreSQL database with pg_dump; restore it with psql in a single transaction.',
  options: [
    { name: 'database', type: 'string', required: true, help: 'Database to dump.' },
    ...connectionOptions({
      host: 'Server host name (ignored when socket is set).',
      port: '5432',
      portHelp: 'Server port.',
      socketHelp: 'Directory of the server unix socket (e.g. /var/run/postgresql); replaces host.',
      userHelp: 'Role to connect as.',
      passwordHelp: 'Password of that role, given to the tools in a private PGPASSFILE.',
    }),
    destinationPathOption({
      default: 'postgresql.sql',
      help: 'File of the collect point that receives the dump.',
    }),
    {
      name: 'sudo_user',
      type: 'string',
      onHost: 'user',
      help: 'Run the tools as this local user (sudo -u), e.g. postgres.',
    },
    { name: 'dump_executable', type: 'string', default: 'pg_dump', help: 'pg_dump to use.' },
    { name: 'restore_executable', type: 'string', default: 'psql', help: 'psql to use.' },
    {
      name: 'create_database',
      type: 'boolean',
      default: 'true',
      help: 'Before a restore, create the database if it is missing, with the owner, settings and grants of its backup (connects to the postgres database).',
    },
    ...DUMP_CHECK_OPTIONS,
  ],
  backup(source, cp) {
    const o = source.options;
    // --clean --if-exists: the restore replaces the objects it finds instead of failing on them.
    const argv: Word[] = [
      o.string('dump_executable'),
      '--no-password',
      '--clean',
      '--if-exists',
      ...connection(o),
    ];
    return [
      ...passwordFile(source, cp),
      {
        kind: 'dump',
        ...toolRun(
          [...argv, '--', o.string('database')],
          passwordEnv(source, cp),
          setString(o, 'sudo_user'),
          postgresqlLoginFailures(o),
        ),
        ...dumpCheck(o, destinationPath(source, cp), cp, PG_DUMP_COMPLETE),
        origin: source.origin,
        summary: `dump PostgreSQL database ${o.string('database')} (source "${source.name}")`,
      },
      {
        kind: 'dump',
        ...toolRun(
          [...propertiesDump(o), ...connection(o), '--', o.string('database')],
          passwordEnv(source, cp),
          setString(o, 'sudo_user'),
          postgresqlLoginFailures(o),
        ),
        ...dumpCheck(o, databasePropertiesPath(source, cp), cp, PG_DUMP_COMPLETE),
        origin: source.origin,
        summary: `dump the owner, settings and grants of PostgreSQL database ${o.string('database')} (source "${source.name}")`,
      },
    ];
  },
  restore(source, cp) {
    const o = source.options;
    const database = o.string('database');
    const psql: Word[] = [
      o.string('restore_executable'),
      '--no-password',
      '--no-psqlrc',
      '--quiet',
      '--set=ON_ERROR_STOP=1',
      // Command tags and the dump's SELECTs would flood stdout; errors still reach stderr.
      '--output=/dev/null',
      ...connection(o),
    ];
    return [
      verifyDump(source, destinationPath(source, cp), PG_DUMP_COMPLETE),
      {
        kind: 'confirm',
        warning: `source "${source.name}": the objects of PostgreSQL database ${database} that the dump holds are dropped and recreated from it; changes made to them since the backup are lost`,
        origin: source.origin,
        summary: `confirm that restoring source "${source.name}" overwrites PostgreSQL database ${database}`,
      },
      ...passwordFile(source, cp),
      ...rolesCheck(source, cp, psql, passwordEnv(source, cp)),
      ...(o.boolean('create_database') ? createDatabase(source, cp, psql, passwordEnv(source, cp)) : []),
      {
        kind: 'load',
        ...toolRun(
          [...psql, '--single-transaction', '--', database],
          passwordEnv(source, cp),
          setString(o, 'sudo_user'),
          postgresqlLoginFailures(o),
        ),
        input: destinationPath(source, cp),
        origin: source.origin,
        summary: `load the dump into PostgreSQL database ${database} (source "${source.name}")`,
      },
    ];
  },
};

/**
 * The database itself (its owner, per-database settings, grants and comment), which the main dump
 * does not hold: `--create` writes them, and excluding every schema leaves nothing else but what
 * lives outside schemas (extensions, event triggers), which the main dump drops and recreates.
 * Publications and subscriptions stay out: a subscription created here would connect to its
 * publisher before the main dump replaces it.
 */
function propertiesDump(o: OptionValues): Word[] {
  return [
    o.string('dump_executable'),
    '--no-password',
    '--create',
    '--schema-only',
    '--exclude-schema=*',
    '--no-blobs',
    '--no-publications',
    '--no-subscriptions',
  ];
}

function connection(o: OptionValues): string[] {
  const socket = o.optionalString('socket');
  const user = setString(o, 'user');
  return [
    `--host=${socket ?? o.string('host')}`,
    `--port=${o.integer('port')}`,
    ...(user === undefined ? [] : [`--username=${user}`]),
  ];
}

const pgpassFile = (source: BoundSource, cp: BoundCollectPoint): string =>
  `pgpass.${encodeURIComponent(cp.name)}.${encodeURIComponent(source.name)}`;

/** `*:*:*:*:password`, with `\` and `:` escaped as the pgpass format wants. */
function passwordFile(source: BoundSource, cp: BoundCollectPoint): ActionDraft[] {
  if (setString(source.options, 'password') === undefined) return [];
  const owner = setString(source.options, 'sudo_user');
  return [
    {
      kind: 'private-file',
      workFile: pgpassFile(source, cp),
      parts: ['*:*:*:*:', { secret: sourceSecret(cp, source, 'password'), escape: '\\:' }, '\n'],
      ...(owner === undefined ? {} : { owner }),
      origin: source.options.origin('password'),
      summary: `write the password of source "${source.name}" to a private file`,
    },
  ];
}

function passwordEnv(source: BoundSource, cp: BoundCollectPoint): Record<string, EnvValue> {
  return setString(source.options, 'password') === undefined
    ? {}
    : { PGPASSFILE: { workFile: pgpassFile(source, cp) } };
}
