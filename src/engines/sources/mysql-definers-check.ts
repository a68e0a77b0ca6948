import type { ActionDraft } from '../../graph/action.js';
import type { Word } from '../../graph/command.js';
import type { BoundCollectPoint, BoundSource } from '../engine.js';
import { destinationPath, setString } from '../toolkit.js';
import { awkValue } from './awk-value.js';
import { mysqlLoginFailures } from './database-logins.js';
import { toolRun } from './tool-source.js';

/**
 * Views, triggers, routines and events run as their DEFINER account, which lives outside the
 * database: on a rebuilt server that lacks it, the load succeeds (mysqldump turns notes off), then
 * the view fails with error 1449 and every INSERT into the trigger's table too. A view or a routine
 * declared SQL SECURITY INVOKER runs as its caller instead, and works without its definer: that
 * definer is not asked for (triggers and events have no such choice). Before anything changes,
 * the client reads the definers that awk finds in the dump and stops the restore naming every one
 * that mysql.user lacks, and what to do. An account that cannot read mysql.user cannot tell: the
 * restore then goes on, and a last step, after the load, says so: the statements of that warning
 * are written by the check as it reads the dump, so that the dump is read once more, not twice.
 */
export function definersCheck(
  source: BoundSource,
  cp: BoundCollectPoint,
  client: readonly Word[],
): { readonly before: ActionDraft; readonly after: ActionDraft } {
  const o = source.options;
  const database = o.string('database');
  // Batch mode would escape the backslashes of the names the warning prints.
  const run = toolRun(
    [...client, '--skip-column-names', '--raw'],
    {},
    setString(o, 'sudo_user'),
    mysqlLoginFailures(o),
  );
  // The warning's statements, written by the check's own reading of the dump: the load after
  // reads them, not the dump a third time.
  const warnings = `${cp.layout.workDir}/${encodeURIComponent(source.name)}.definers.sql`;
  return {
    before: {
      kind: 'load',
      check: true,
      ...run,
      input: destinationPath(source, cp),
      through: [
        'awk',
        '-v',
        `warnings=${awkValue(warnings)}`,
        '-v',
        `database=${awkValue(database)}`,
        '-v',
        `source=${awkValue(source.name)}`,
        DEFINERS_OF_DUMP,
      ],
      writes: warnings,
      origin: source.origin,
      summary: `check that the accounts defining the views, triggers, routines and events of the dump of source "${source.name}" exist, before anything is replaced`,
    },
    after: {
      kind: 'load',
      ...run,
      input: warnings,
      origin: source.origin,
      summary: `warn if the accounts defining the views, triggers, routines and events of MySQL database ${database} could not be checked (source "${source.name}")`,
    },
  };
}

/**
 * The definers of mysqldump's dump: `DEFINER=` after a `CREATE ` or inside a versioned comment
 * (`/*!50013 DEFINER=`user`@`host` SQL SECURITY DEFINER *\/` of a view, `/*!50017` of a trigger,
 * `/*!50117` of an event, `CREATE DEFINER=` of a routine or a package), each name backquoted with
 * backquotes doubled, or, for a trigger or a routine made under ANSI_QUOTES (its sql_mode, which
 * the server keeps and mysqldump writes it in), in double quotes doubled the same way; a role has
 * no host. The definer of a view or a routine declared SQL SECURITY INVOKER is left out, but only
 * in the form the server writes: the view's comment ending in `SQL SECURITY INVOKER *\/` on its
 * own line; for a function or a procedure, the line `    SQL SECURITY INVOKER` among the
 * characteristics (one a line, four spaces in: data access, `DETERMINISTIC`, then it, then
 * `COMMENT`) that follow the line where its parameters end, `)` alone or before ` RETURNS `
 * (` RETURN ` under ORACLE). The parameters, which the server keeps as written but for comments,
 * can span lines within a quoted string that holds that very line: they are read quote by quote and
 * paren by paren, and a backslash (its meaning hangs on the sql_mode) or a comment ends the
 * reading, the definer kept, as for any other form (a package). Their lines are still read for
 * definers as well, so that a reading gone astray can only ask for more. Table data is passed
 * over: it can be huge and hold any text, from an `INSERT INTO` line to the one that ends the
 * statement (one row a line, each ending with its separator: `),` or, the last, `);`, newlines
 * within values escaped). Writes the statements that set `@polyarchiv_missing` to those
 * mysql.user lacks when this account can read it (its own SELECT grants say so:
 * information_schema shows an account only its own), then signal them; and into the file
 * `warnings`, the statements that print a line when it could not read it. Nothing (an empty file)
 * when the dump has no definer. Each name is a string literal (`\` and `'` doubled).
 */
export const DEFINERS_OF_DUMP = [
  'routine == "characteristics" && characteristic() { next }',
  'routine == "params" { text = $0; at = 1; params() }',
  'data || /^INSERT INTO / { data = !/;$/; next }',
  '/(\\/\\*!5[0-9]+ |CREATE )DEFINER=[`"]/ {',
  '  rest = $0',
  '  while (match(rest, /(\\/\\*!5[0-9]+ |CREATE )DEFINER=/) > 0) {',
  '    first = RSTART == 1 && rest == $0; kind = substr(rest, RSTART, RLENGTH)',
  '    rest = substr(rest, RSTART + RLENGTH)',
  '    user = quoted(); if (user == "") break',
  '    host = ""',
  '    if (substr(rest, 1, 1) == "@") { rest = substr(rest, 2); host = quoted(); if (host == "") break }',
  '    if (first && kind == "/*!50013 DEFINER=" && rest == " SQL SECURITY INVOKER */") continue',
  '    if (first && kind == "CREATE DEFINER=" && match(rest, /^ (AGGREGATE FUNCTION|FUNCTION|PROCEDURE) /) > 0) {',
  '      fn = substr(rest, 1, RLENGTH) ~ /FUNCTION/; rest = substr(rest, RLENGTH + 1)',
  '      if (quoted() != "" && substr(rest, 1, 1) == "(") {',
  '        if (routine != "") needed()',
  '        routine = "params"; definer_user = user; definer_host = host',
  '        depth = 1; quote = ""; text = rest; at = 2; params(); next',
  '      }',
  '    }',
  '    account(user, host)',
  '  }',
  '}',
  // A position rather than the rest of the line: a reading gone astray may meet a line of megabytes.
  'function params(   c, n) {',
  '  n = length(text)',
  '  while (at <= n) {',
  '    c = substr(text, at, 1); at++',
  '    if (quote != "") {',
  '      if (c == "\\\\") { needed(); return }',
  '      if (c == quote) { if (substr(text, at, 1) == quote) at++; else quote = "" }',
  '    } else if (c == "\'" || c == "\\"" || c == "`") quote = c',
  '    else if (c == "(") depth++',
  '    else if (c == ")") {',
  '      depth--',
  '      if (depth > 0) continue',
  '      rest = substr(text, at)',
  '      if (fn ? rest ~ /^ RETURNS? [^ ]/ : rest == "") routine = "characteristics"; else needed()',
  '      return',
  '    } else if (c == "#" || (c == "-" && substr(text, at, 1) == "-") || (c == "/" && substr(text, at, 1) == "*")) { needed(); return }',
  '  }',
  '}',
  'function characteristic() {',
  '  if ($0 == "    SQL SECURITY INVOKER") { routine = ""; return 1 }',
  '  if ($0 ~ /^    (NO SQL|CONTAINS SQL|READS SQL DATA|MODIFIES SQL DATA|DETERMINISTIC)$/) return 1',
  '  needed()',
  '  return 0',
  '}',
  'function needed() {',
  '  routine = ""',
  '  account(definer_user, definer_host)',
  '}',
  'function quoted(   q, name, i) {',
  '  q = substr(rest, 1, 1)',
  '  if (q != "`" && q != "\\"") return ""',
  '  name = ""; rest = substr(rest, 2)',
  '  while ((i = index(rest, q)) > 0) {',
  '    name = name substr(rest, 1, i - 1); rest = substr(rest, i + 1)',
  '    if (substr(rest, 1, 1) != q) return name',
  '    name = name q; rest = substr(rest, 2)',
  '  }',
  '  return ""',
  '}',
  'function literal(text,   out, i) {',
  '  out = ""',
  "  while ((i = match(text, /[\\\\']/)) > 0) { out = out substr(text, 1, i) substr(text, i, 1); text = substr(text, i + 1) }",
  '  return "\'" out text "\'"',
  '}',
  'function both(line) { print line; print line > warnings }',
  'function account(user, host,   key) {',
  '  key = user "@" host',
  '  if (key in seen) return',
  '  seen[key] = 1',
  '  rows = rows (rows == "" ? "" : " UNION ALL ") "SELECT " literal(user) " AS u, " literal(host) " AS h"',
  '}',
  'END {',
  '  if (routine != "") needed()',
  '  printf "" > warnings',
  '  if (rows == "") exit',
  "  named = \"IF(h = '', QUOTE(u), CONCAT(QUOTE(u), '@', QUOTE(h)))\"",
  '  both("SELECT GROUP_CONCAT(" named " ORDER BY u, h SEPARATOR \', \') INTO @polyarchiv_definers FROM (" rows ") AS d;")',
  '  both("SET @polyarchiv_me = CURRENT_USER();")',
  '  both("SET @polyarchiv_host = SUBSTRING_INDEX(@polyarchiv_me, \'@\', -1);")',
  '  both("SET @polyarchiv_grantee = CONCAT(QUOTE(LEFT(@polyarchiv_me, CHAR_LENGTH(@polyarchiv_me) - CHAR_LENGTH(@polyarchiv_host) - 1)), \'@\', QUOTE(@polyarchiv_host));")',
  '  both("SET @polyarchiv_can_tell =")',
  '  both("  EXISTS (SELECT 1 FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = @polyarchiv_grantee AND PRIVILEGE_TYPE = \'SELECT\')")',
  "  both(\"  OR EXISTS (SELECT 1 FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = @polyarchiv_grantee AND TABLE_SCHEMA = 'mysql' AND PRIVILEGE_TYPE = 'SELECT')\")",
  "  both(\"  OR EXISTS (SELECT 1 FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = @polyarchiv_grantee AND TABLE_SCHEMA = 'mysql' AND TABLE_NAME = 'user' AND PRIVILEGE_TYPE = 'SELECT');\")",
  '  print "SELECT CONCAT(\'warning: source \', " literal("\\"" source "\\"") ", \': this account cannot read mysql.user, so the accounts defining the views, triggers, routines or events of MySQL database \', " literal(database) ", \' were not checked: \', @polyarchiv_definers, \'; one this server lacks makes them fail (error 1449): create it, then restore again\') FROM DUAL WHERE NOT @polyarchiv_can_tell;" > warnings',
  '  lookup = "SELECT GROUP_CONCAT(" named " ORDER BY u, h SEPARATOR \', \') INTO @polyarchiv_missing FROM (" rows ") AS d WHERE NOT EXISTS (SELECT 1 FROM mysql.user AS a WHERE a.User = d.u AND a.Host = d.h)"',
  '  print "SET @polyarchiv_missing = NULL;"',
  '  print "SET @polyarchiv_query = IF(@polyarchiv_can_tell, " literal(lookup) ", \'DO 0\');"',
  '  print "PREPARE polyarchiv_lookup FROM @polyarchiv_query; EXECUTE polyarchiv_lookup; DEALLOCATE PREPARE polyarchiv_lookup;"',
  '  print "SET @polyarchiv_message = CONCAT(\'the dump of MySQL database \', " literal(database) ", \' holds views, triggers, routines or events defined by accounts this server lacks: \',"',
  '  print "  IF(CHAR_LENGTH(@polyarchiv_missing) > 250, CONCAT(LEFT(@polyarchiv_missing, 250), \'...\'), @polyarchiv_missing),"',
  '  print "  \'; nothing was restored. Create them (SHOW CREATE USER and SHOW GRANTS on the server backed up give them), then restore again.\');"',
  "  print \"SET @polyarchiv_query = IF(@polyarchiv_missing IS NULL, 'DO 0', 'SIGNAL SQLSTATE ''45000'' SET MESSAGE_TEXT = @polyarchiv_message');\"",
  '  print "PREPARE polyarchiv_refusal FROM @polyarchiv_query; EXECUTE polyarchiv_refusal;"',
  '}',
  '',
].join('\n');
