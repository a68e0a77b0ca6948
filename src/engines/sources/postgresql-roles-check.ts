import type { ActionDraft } from '../../graph/action.js';
import type { EnvValue, Word } from '../../graph/command.js';
import type { BoundCollectPoint, BoundSource } from '../engine.js';
import { destinationPath, setString } from '../toolkit.js';
import { toolRun } from './tool-source.js';

/**
 * A dump whose objects belong or are granted to roles this server lacks (a rebuilt server: roles
 * live outside databases, and pg_dump holds none) fails its load at the first of them, in its
 * transaction. Before anything changes, psql reads the roles that awk finds in the dump and stops
 * the restore naming every missing one, and what to do. It reads the dump once more, and connects
 * to the postgres database (roles are the server's).
 */
export function rolesCheck(
  source: BoundSource,
  cp: BoundCollectPoint,
  psql: readonly Word[],
  env: Record<string, EnvValue>,
): ActionDraft[] {
  const o = source.options;
  const database = o.string('database');
  const sqlFile = `roles.${encodeURIComponent(cp.name)}.${encodeURIComponent(source.name)}.sql`;
  const owner = setString(o, 'sudo_user');
  return [
    {
      kind: 'private-file',
      workFile: sqlFile,
      parts: REFUSE_MISSING_ROLES,
      ...(owner === undefined ? {} : { owner }),
      origin: source.origin,
      summary: `write the check of the roles the dump of PostgreSQL database ${database} needs`,
    },
    {
      kind: 'load',
      check: true,
      ...toolRun(
        [
          ...psql,
          `--set=polyarchiv_database=${database}`,
          { prefix: '--file=', workFile: sqlFile },
          '--dbname=postgres',
        ],
        env,
        owner,
      ),
      input: destinationPath(source, cp),
      through: ['awk', ROLES_OF_DUMP],
      origin: source.origin,
      summary: `check that the roles the dump of source "${source.name}" gives objects to exist, before anything is replaced`,
    },
  ];
}

/**
 * The roles of pg_dump's plain dump: the owner its header comment gives each entry
 * (`-- Name: …; Type: …; Schema: …; Owner: NAME`, the name as it is), and the grantees of its ACL
 * entries (`GRANT … TO NAME;`, an identifier, quoted when it must be). Table data (COPY … FROM
 * stdin up to `\.`) is passed over. Writes one SELECT that sets `polyarchiv_missing_roles` to those
 * the server lacks (unset when none is), each name a string literal.
 */
const ROLES_OF_DUMP = [
  'copying { if ($0 == "\\\\.") copying = 0; next }',
  '/^COPY .* FROM stdin;$/ { copying = 1; next }',
  '/^-- Name: .*; Type: .*; Schema: .*; Owner: / {',
  '  acl = ($0 ~ /; Type: ACL; /)',
  '  name = $0; sub(/^.*; Owner: /, "", name)',
  '  if (name != "" && name != "-") role(name)',
  '  next',
  '}',
  'acl && /^GRANT .* TO .*;$/ {',
  '  name = $0; sub(/^.* TO /, "", name); sub(/;$/, "", name); sub(/ WITH GRANT OPTION$/, "", name)',
  '  if (name == "PUBLIC") next',
  '  if (name ~ /^".*"$/) { name = substr(name, 2, length(name) - 2); gsub(/""/, "\\"", name) }',
  '  role(name)',
  '}',
  'function role(name) { if (!(name in seen)) { seen[name] = 1; gsub(/\'/, "\'\'", name); names = names (names == "" ? "" : ", ") "(\'" name "\')" } }',
  'END {',
  '  if (names == "") exit',
  "  print \"SELECT string_agg(format('%I', name), ', ' ORDER BY name) AS polyarchiv_missing_roles\"",
  '  print "FROM (VALUES " names ") AS roles(name)"',
  '  print "WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = roles.name) \\\\gset"',
  '}',
  '',
].join('\n');

/** psql's variables travel into the error through settings of the session: DO sees no variables. */
const REFUSE_MISSING_ROLES = [
  '\\i -\n',
  '\\if :{?polyarchiv_missing_roles}\n',
  '\\set SHOW_CONTEXT never\n',
  "SELECT set_config('polyarchiv.database', :'polyarchiv_database', false),\n",
  "  set_config('polyarchiv.roles', :'polyarchiv_missing_roles', false);\n",
  'DO $polyarchiv$ BEGIN RAISE EXCEPTION USING\n',
  "  MESSAGE = format('the dump of PostgreSQL database %s gives objects to roles this server lacks: %s; nothing was restored',\n",
  "    quote_ident(current_setting('polyarchiv.database')), current_setting('polyarchiv.roles')),\n",
  "  HINT = 'Create them (pg_dumpall --roles-only on the server backed up writes every role), then restore again.';\n",
  'END $polyarchiv$;\n',
  '\\endif\n',
];
