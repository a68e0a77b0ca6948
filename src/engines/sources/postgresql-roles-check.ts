import type { ActionDraft } from '../../graph/action.js';
import type { EnvValue, Word } from '../../graph/command.js';
import type { BoundCollectPoint, BoundSource } from '../engine.js';
import { databasePropertiesPath, destinationPath, setString } from '../toolkit.js';
import { awkValue } from './awk-value.js';
import { postgresqlLoginFailures } from './database-logins.js';
import { toolRun } from './tool-source.js';

/**
 * A dump that names roles this server lacks (a rebuilt server: roles live outside databases, and
 * pg_dump holds none) fails its load at the first of them, in its transaction, but only after a
 * missing database was created empty and the collect point marked as being restored; a missing
 * database created from the properties dump (`create_database`) lacks the grants and settings of
 * roles that are missing too. Before anything changes, psql reads the roles that awk finds in the
 * dump, and in the properties dump when the database is missing, and stops the restore naming
 * every missing one, and what to do. It reads the dump once more, and connects to the postgres
 * database (roles are the server's).
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
        postgresqlLoginFailures(o),
      ),
      input: destinationPath(source, cp),
      through: [
        'awk',
        ...(o.boolean('create_database')
          ? ['-v', `properties=${awkValue(databasePropertiesPath(source, cp))}`]
          : []),
        ROLES_OF_DUMP,
      ],
      origin: source.origin,
      summary: `check that the roles the dump of source "${source.name}" gives objects to exist, before anything is replaced`,
    },
  ];
}

/**
 * The roles pg_dump's plain dump names, in what its statements say (read from its output, as no
 * grammar of it is written down):
 * - the owner that the header comment of each entry gives (`-- Name: …; Type: …; Schema: …;
 *   Owner: NAME`, the name as it is): the role of its `ALTER … OWNER TO`, and of a default ACL's
 *   `ALTER DEFAULT PRIVILEGES FOR ROLE`;
 * - in an ACL or a default ACL, the grantees of `GRANT … TO`, the roles of `REVOKE … FROM`, of
 *   `FOR ROLE`, of `GRANTED BY`, and the grantor that `SET SESSION AUTHORIZATION` becomes for the
 *   grants it made;
 * - the roles of a policy (`CREATE POLICY … TO a, b USING …`) and of a user mapping
 *   (`CREATE USER MAPPING FOR a SERVER …`);
 * - in the properties dump (awk's `properties`, when set), the same, and the roles of
 *   `ALTER ROLE a IN DATABASE … SET`.
 * A name in a statement is an identifier, in double quotes when it must be (`""` for a quote);
 * PUBLIC and the like are no roles. Statements are read only in the entries that hold them, and a
 * policy's or a mapping's first line only: a function's body, a policy's expression or a table's
 * data (COPY … FROM stdin up to `\.`, passed over) can hold any text. Writes one SELECT that sets
 * `polyarchiv_missing_roles` to those the server lacks (unset when none is), each name a string
 * literal, a role that only the properties name only when the database is missing.
 */
export const ROLES_OF_DUMP = [
  '{ scan() }',
  'function scan() {',
  '  if (copying) { if ($0 == "\\\\.") copying = 0; return }',
  '  if ($0 ~ /^COPY .* FROM stdin;$/) { copying = 1; return }',
  '  if ($0 ~ /^-- (Data for )?Name: .*; Type: .*; Schema: .*; Owner: /) {',
  '    name = $0; sub(/^.*; Owner: /, "", name)',
  '    if (name != "-") role(name)',
  '    entry = ""',
  '    if (match($0, /; Type: (ACL|DEFAULT ACL|POLICY|USER MAPPING|DATABASE PROPERTIES); Schema: /)) entry = substr($0, RSTART + 8, RLENGTH - 18)',
  '  } else if (entry ~ /ACL$/ && $0 ~ /^(GRANT|REVOKE|ALTER DEFAULT PRIVILEGES|SET SESSION AUTHORIZATION) /) {',
  '    roles_after("TO|FROM|ROLE|BY|AUTHORIZATION", "")',
  '  } else if (entry == "POLICY" && $0 ~ /^CREATE POLICY /) {',
  '    roles_after("TO", "USING|WITH"); entry = ""',
  '  } else if (entry == "USER MAPPING" && $0 ~ /^CREATE USER MAPPING FOR /) {',
  '    roles_after("FOR", "SERVER"); entry = ""',
  '  } else if (entry == "DATABASE PROPERTIES" && $0 ~ /^ALTER ROLE /) {',
  '    roles_after("ROLE", "IN")',
  '  }',
  '}',
  // pg_dump writes its keywords in capitals and quotes every name that has one, or is a keyword
  // (fmtId, quote_ident): a bare word in capitals is a keyword, a bare PUBLIC or CURRENT_USER no role.
  'function roles_after(keywords, stop,   w, listing) {',
  '  rest = $0; listing = 0',
  '  while ((w = word()) != "" || quoted) {',
  '    if (listing == 1) {',
  '      if (quoted || tolower(w) !~ /^(public|current_user|session_user|current_role|[,;()])$/) role(w)',
  '      listing = 2',
  '    } else if (listing == 2 && !quoted && w == ",") listing = 1',
  '    else {',
  '      listing = 0',
  '      if (quoted) continue',
  '      if (stop != "" && w ~ ("^(" stop ")$")) return',
  '      if (w ~ ("^(" keywords ")$")) listing = 1',
  '    }',
  '  }',
  '}',
  // A word taken off `rest`: a name in double quotes or a string in single quotes (`quoted` set,
  // undoubled), one of , ; ( ), or a run of other characters. Words in quotes are never keywords.
  'function word(   q, w, i) {',
  '  sub(/^[ \\t]+/, "", rest); quoted = 0',
  '  q = substr(rest, 1, 1)',
  '  if (q == "\\"" || q == "\'") {',
  '    w = ""; rest = substr(rest, 2)',
  '    while ((i = index(rest, q)) > 0) {',
  '      w = w substr(rest, 1, i - 1); rest = substr(rest, i + 1)',
  '      if (substr(rest, 1, 1) != q) { quoted = 1; return w }',
  '      w = w q; rest = substr(rest, 2)',
  '    }',
  '    rest = ""; return ""',
  '  }',
  '  if (q ~ /[,;()]/) { rest = substr(rest, 2); return q }',
  '  if (!match(rest, /^[^ \\t,;()"\']+/)) return ""',
  '  w = substr(rest, 1, RLENGTH); rest = substr(rest, RLENGTH + 1); return w',
  '}',
  // A role the properties name only matters when they create the database (`late`).
  'function role(name) {',
  '  if (name == "") return',
  '  if (!(name in always)) { roles[++count] = name; always[name] = !late }',
  '  else if (!late) always[name] = 1',
  '}',
  // The properties dump is read last, from END: getline finds no file (a copy that predates it)
  // without an error.
  'END {',
  '  copying = 0; entry = ""; late = 1',
  '  if (properties != "") { while ((getline < properties) > 0) scan(); close(properties) }',
  '  if (count == 0) exit',
  '  for (i = 1; i <= count; i++) {',
  "    name = roles[i]; gsub(/'/, \"''\", name)",
  '    values = values (i == 1 ? "" : ", ") "(\'" name "\', " (always[roles[i]] ? "true" : "false") ")"',
  '  }',
  "  print \"SELECT string_agg(format('%I', name), ', ' ORDER BY name) AS polyarchiv_missing_roles\"",
  '  print "FROM (VALUES " values ") AS roles(name, always)"',
  '  print "WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = roles.name)"',
  '  print "  AND (always OR NOT EXISTS (SELECT FROM pg_database WHERE datname = :\'polyarchiv_database\')) \\\\gset"',
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
