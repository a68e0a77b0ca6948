import type { ActionDraft } from '../../graph/action.js';
import type { EnvValue, Word } from '../../graph/command.js';
import type { BoundCollectPoint, BoundSource } from '../engine.js';
import { databasePropertiesPath, setString } from '../toolkit.js';
import { postgresqlLoginFailures } from './database-logins.js';
import { toolRun } from './tool-source.js';

/**
 * A restore after the database was dropped, or on a new server, finds no database: it is created
 * as the backup found it, from the properties dump (owner, settings, grants, comment), so that the
 * application's role owns it again. CREATE DATABASE cannot run in a transaction, nor be made
 * conditional in plain SQL, so psql reads a work file that includes the properties dump (its
 * standard input, as the load's: a sudo_user may not read the collect point) only when the
 * database is missing, then creates it plainly if it is still missing (a copy made before the
 * properties were dumped, whose empty file the first step leaves). The name travels as a psql
 * variable (quoted by `:'name'` and `%I`), never spliced into SQL.
 *
 * A statement of the properties that fails is shown and the restore goes on (a role the restoring
 * role may not give the database to), except their CREATE DATABASE (a locale this server lacks):
 * then the rest of the properties is skipped (its `\connect` to the database would end psql), and
 * the restore stops before it creates or loads anything, saying what to do.
 */
export function createDatabase(
  source: BoundSource,
  cp: BoundCollectPoint,
  psql: readonly Word[],
  env: Record<string, EnvValue>,
): ActionDraft[] {
  const o = source.options;
  const database = o.string('database');
  const sqlFile = `createdb.${encodeURIComponent(cp.name)}.${encodeURIComponent(source.name)}.sql`;
  const owner = setString(o, 'sudo_user');
  const properties = databasePropertiesPath(source, cp);
  return [
    {
      kind: 'run',
      // -a: an existing file keeps its contents and modification time; a missing one is created empty.
      argv: ['touch', '-a', '--', properties],
      readiesCopy: true,
      origin: source.origin,
      summary: `create ${properties} empty if the copy predates it (it then creates the database with the server's defaults)`,
    },
    {
      kind: 'private-file',
      workFile: sqlFile,
      parts: [
        "SELECT NOT EXISTS (SELECT FROM pg_database WHERE datname = :'polyarchiv_database') AS polyarchiv_database_missing \\gset\n",
        '\\if :polyarchiv_database_missing\n',
        '\\set ON_ERROR_STOP off\n',
        '\\i -\n',
        '\\set ON_ERROR_STOP on\n',
        ...REFUSE_UNCREATED,
        '\\endif\n',
        "SELECT format('CREATE DATABASE %I', :'polyarchiv_database')\n",
        "WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'polyarchiv_database')\n",
        '\\gexec\n',
      ],
      ...(owner === undefined ? {} : { owner }),
      origin: source.origin,
      summary: `write the statements that create PostgreSQL database ${database} if it is missing`,
    },
    {
      kind: 'load',
      ...toolRun(
        [
          ...psql,
          `--set=polyarchiv_database=${database}`,
          `--set=polyarchiv_properties=${properties}`,
          { prefix: '--file=', workFile: sqlFile },
          '--dbname=postgres',
        ],
        env,
        owner,
        postgresqlLoginFailures(o),
      ),
      input: properties,
      through: ['awk', MARK_CREATED],
      origin: source.origin,
      summary: `create PostgreSQL database ${database} with its owner, settings and grants if it is missing (source "${source.name}")`,
    },
  ];
}

/**
 * Copies the properties dump; before its first `\connect`, which follows its CREATE DATABASE and
 * ALTER DATABASE (and pg_dump's `\unrestrict`, after which psql runs meta-commands again), sets
 * `polyarchiv_created` to whether the database is there, and skips the rest (the `\connect`,
 * the settings and the grants) when it is not; keeps in `polyarchiv_locales` the locales of the
 * CREATE DATABASE line (only names of the characters locales have, which psql's quotes hold as
 * they are).
 */
const MARK_CREATED = [
  '/^CREATE DATABASE / {',
  '  options = $0; sub(/^CREATE DATABASE .* WITH /, "", options)',
  "  while (match(options, /(LOCALE|LC_COLLATE|LC_CTYPE) = '[A-Za-z0-9_.@-]+'/)) {",
  '    value = substr(options, RSTART, RLENGTH); sub(/^[^\']*\'/, "", value); sub(/\'$/, "", value)',
  '    if (!(value in seen)) { seen[value] = 1; locales = locales (locales == "" ? "" : ", ") value }',
  '    options = substr(options, RSTART + RLENGTH)',
  '  }',
  '}',
  '!marked && /^\\\\connect / {',
  '  printf "\\\\set polyarchiv_locales \'%s\'\\n", locales',
  '  print "SELECT EXISTS (SELECT FROM pg_database WHERE datname = :\'polyarchiv_database\') AS polyarchiv_created \\\\gset"',
  '  print "\\\\if :polyarchiv_created"',
  '  marked = 1',
  '}',
  '{ print }',
  'END { if (marked) print "\\\\endif" }',
  '',
].join('\n');

/**
 * After the properties: a CREATE DATABASE of theirs that failed stops the restore, nothing created
 * nor loaded (a database made with the server's defaults instead would sort and compare text
 * otherwise), naming the database, the recorded locales and what to do. psql's variables travel
 * into the error through settings of the session: DO sees no variables.
 */
const REFUSE_UNCREATED = [
  '\\if :{?polyarchiv_created}\n',
  '\\if :polyarchiv_created\n',
  '\\else\n',
  '\\set SHOW_CONTEXT never\n',
  "SELECT set_config('polyarchiv.database', :'polyarchiv_database', false),\n",
  "  set_config('polyarchiv.locales', :'polyarchiv_locales', false),\n",
  "  set_config('polyarchiv.properties', :'polyarchiv_properties', false);\n",
  'DO $polyarchiv$ BEGIN RAISE EXCEPTION USING\n',
  "  MESSAGE = format('PostgreSQL database %s could not be created as its backup recorded it, with locale %s (the errors above say why): nothing was restored',\n",
  "    quote_ident(current_setting('polyarchiv.database')), current_setting('polyarchiv.locales')),\n",
  "  HINT = format('If this machine lacks that locale, generate it (e.g. in /etc/locale.gen, then locale-gen) and restart PostgreSQL; or create the database by hand with a locale it has. Then restore again: a database that exists is kept as it is (its owner, settings and grants as recorded are in %s).',\n",
  "    current_setting('polyarchiv.properties'));\n",
  'END $polyarchiv$;\n',
  '\\endif\n',
  '\\endif\n',
];
