import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFINERS_OF_DUMP } from '../../../src/engines/sources/mysql-definers-check.js';
import { haveTools } from '../../helpers/tools.js';

// Lines as MariaDB 10.11's mysqldump writes them (--routines --triggers --events), and data that only looks like them.
const DUMP = `INSERT INTO \`audit\` VALUES
('CREATE DEFINER=\`ghost\`@\`nowhere\` in data'),
('/*!50017 DEFINER="ghost"@"nowhere"*/');
/*!50003 CREATE*/ /*!50017 DEFINER=\`tdef\`@\`%\`*/ /*!50003 TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.id = NEW.id */;;
/*!50003 CREATE*/ /*!50017 DEFINER="an""si"@"localhost"*/ /*!50003 TRIGGER tra BEFORE INSERT ON t2 FOR EACH ROW SET NEW.id = NEW.id */;;
/*!50106 CREATE*/ /*!50117 DEFINER=\`edef\`@\`localhost\`*/ /*!50106 EVENT \`e\` ON SCHEDULE EVERY 1 DAY DO DELETE FROM t */ ;;
CREATE DEFINER=\`rdef\` FUNCTION \`g\`() RETURNS int(11)
CREATE DEFINER="an""si"@"localhost" PROCEDURE "pa"()
CREATE DEFINER="pkg\`def"@"localhost" PACKAGE "pk" AS FUNCTION f1 RETURN INT; END
/*!50013 DEFINER=\`odd\`\`q@x\`@\`h\`\`st\` SQL SECURITY DEFINER */
`;

/**
 * Views and routines as MariaDB 10.11's mysqldump writes them: those declared SQL SECURITY INVOKER
 * run as their caller, the others as their definer, and some only look like the first.
 */
const SECURITY = String.raw`/*!50001 CREATE ALGORITHM=UNDEFINED */
/*!50013 DEFINER=${'`'}iview${'`'}@${'`'}localhost${'`'} SQL SECURITY INVOKER */
/*!50001 VIEW ${'`'}inv_totals${'`'} AS select sum(${'`'}orders${'`'}.${'`'}total${'`'}) AS ${'`'}total${'`'} from ${'`'}orders${'`'} */;
/*!50001 CREATE ALGORITHM=UNDEFINED */
/*!50013 DEFINER=${'`'}dview${'`'}@${'`'}localhost${'`'} SQL SECURITY DEFINER */
/*!50001 VIEW ${'`'}def_totals${'`'} AS select 1 AS ${'`'}1${'`'} */;
DELIMITER ;;
CREATE DEFINER=${'`'}iproc${'`'}@${'`'}localhost${'`'} PROCEDURE ${'`'}inv_add${'`'}(IN p_id INT,
   IN p_total INT)
    SQL SECURITY INVOKER
    COMMENT 'adds; SQL SECURITY DEFINER in a comment'
BEGIN
  INSERT INTO orders VALUES (p_id, p_total);
END
;;
CREATE DEFINER=${'`'}ifunc${'`'}@${'`'}localhost${'`'} FUNCTION ${'`'}inv_det${'`'}(x INT) RETURNS int(11)
    NO SQL
    DETERMINISTIC
    SQL SECURITY INVOKER
    COMMENT 'c'
RETURN x*2
;;
CREATE DEFINER=${'`'}iagg${'`'}@${'`'}localhost${'`'} AGGREGATE FUNCTION ${'`'}agg${'`'}(x INT) RETURNS int(11)
    SQL SECURITY INVOKER
BEGIN DECLARE CONTINUE HANDLER FOR NOT FOUND RETURN 0; LOOP FETCH GROUP NEXT ROW; END LOOP; END
;;
CREATE DEFINER="ian""si"@"localhost" PROCEDURE "ansi_inv"()
    SQL SECURITY INVOKER
SELECT 1
;;
CREATE DEFINER="iora"@"localhost" FUNCTION "oraf"(a IN INT) RETURN int(11)
    SQL SECURITY INVOKER
AS BEGIN RETURN 1; END
;;
CREATE DEFINER=${'`'}dproc${'`'}@${'`'}localhost${'`'} PROCEDURE ${'`'}def_add${'`'}(p INT)
    MODIFIES SQL DATA
INSERT INTO orders VALUES (p, 1)
;;
CREATE DEFINER=${'`'}dfunc${'`'}@${'`'}localhost${'`'} FUNCTION ${'`'}fenum${'`'}(a INT) RETURNS enum('p\n    SQL SECURITY INVOKER','q') CHARSET latin1 COLLATE latin1_swedish_ci
RETURN 'q'
;;
CREATE DEFINER=${'`'}dparams${'`'}@${'`'}localhost${'`'} PROCEDURE ${'`'}tricky${'`'}(a INT, b ENUM('x)', 'y''
    SQL SECURITY INVOKER
'), c ENUM("(", ${'`'}
CREATE DEFINER=${'`'}fake${'`'}@${'`'}x${'`'} PROCEDURE ${'`'}p${'`'}(
    SQL SECURITY INVOKER
${'`'}))
SELECT 1
;;
CREATE DEFINER=${'`'}dslash${'`'}@${'`'}localhost${'`'} PROCEDURE ${'`'}slash${'`'}(b ENUM('a\'', ')
    SQL SECURITY INVOKER
'))
SELECT 1
;;
CREATE DEFINER=${'`'}dcomment${'`'}@${'`'}localhost${'`'} PROCEDURE ${'`'}we${'`'}${'`'}ird "p"${'`'}(a INT)
    COMMENT 'x\nSQL SECURITY INVOKER'
SELECT a
;;
CREATE DEFINER="dpkg"@"localhost" PACKAGE "pk"    SQL SECURITY INVOKER
 AS FUNCTION f1 RETURN INT; END
;;
CREATE DEFINER=${'`'}dlast${'`'}@${'`'}localhost${'`'} PROCEDURE ${'`'}unended${'`'}(a ENUM('
    SQL SECURITY INVOKER
`;

const awks = ['awk', 'mawk'].filter((awk) => haveTools(awk));

describe.each(awks)('the definers a mysqldump dump names, read by %s', (awk) => {
  const dir = mkdtempSync(join(tmpdir(), 'polyarchiv-definers-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const warnings = join(dir, 'warnings.sql');
  /** The statements of the check (its output) and of the warning (the file it writes). */
  const read = (dump: string) => {
    rmSync(warnings, { force: true });
    const run = spawnSync(
      awk,
      ['-v', `warnings=${warnings}`, '-v', 'database=shop', '-v', 'source=shop', DEFINERS_OF_DUMP],
      // Killed past its time: a reading that copies the rest of a line at each character takes minutes.
      { input: dump, encoding: 'utf8', timeout: 10_000 },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    return { check: run.stdout, warning: readFileSync(warnings, 'utf8') };
  };
  const definers = (dump: string) =>
    /INTO @polyarchiv_definers FROM \((.*)\) AS d;/.exec(read(dump).check)?.[1]?.split(' UNION ALL ');

  it('write the check and the warning of the same accounts, the warning without the refusal', () => {
    const { check, warning } = read(DUMP);
    const statements = (sql: string) => sql.split('\n').filter((line) => line !== '');
    expect(check).toContain('SIGNAL SQLSTATE');
    expect(check).not.toContain('warning: source');
    expect(warning).not.toContain('SIGNAL SQLSTATE');
    expect(warning).not.toContain('@polyarchiv_missing');
    expect(warning).toContain(
      "SELECT CONCAT('warning: source ', '\"shop\"', ': this account cannot read mysql.user",
    );
    // Both begin with the same statements: the definers and whether this account can read mysql.user.
    const shared = statements(warning).slice(0, -1);
    expect(shared).toHaveLength(8);
    expect(statements(check).slice(0, shared.length)).toEqual(shared);
  });

  it('write no statement, and an empty warning, for a dump without definers', () => {
    expect(read('INSERT INTO `t` VALUES\n(1);\nCREATE TABLE `u` (a int);\n')).toEqual({
      check: '',
      warning: '',
    });
  });

  it('leave out those of views and routines that run as their caller, and only those', () => {
    expect(definers(SECURITY)).toEqual([
      "SELECT 'dview' AS u, 'localhost' AS h",
      "SELECT 'dproc' AS u, 'localhost' AS h",
      "SELECT 'dfunc' AS u, 'localhost' AS h",
      // Its parameters hold lines that look like a characteristic and a routine: both kept.
      "SELECT 'dparams' AS u, 'localhost' AS h",
      "SELECT 'fake' AS u, 'x' AS h",
      "SELECT 'dslash' AS u, 'localhost' AS h",
      "SELECT 'dcomment' AS u, 'localhost' AS h",
      "SELECT 'dpkg' AS u, 'localhost' AS h",
      "SELECT 'dlast' AS u, 'localhost' AS h",
    ]);
  });

  it('keeps the definer of parameters it cannot end, and reads on in time through a line of megabytes', () => {
    const dump = [
      "CREATE DEFINER=`lost`@`h` PROCEDURE `p`(a ENUM('",
      'INSERT INTO `t` VALUES',
      `(1,'${"ab(c'd".repeat(200_000)}'),`,
      "(2,'x');",
      '/*!50013 DEFINER=`after`@`h` SQL SECURITY DEFINER */',
      '',
    ].join('\n');
    expect(definers(dump)).toEqual(["SELECT 'after' AS u, 'h' AS h", "SELECT 'lost' AS u, 'h' AS h"]);
  }, 30_000);

  it('are those of triggers, events, routines, packages and views, in backquotes or double quotes, each once', () => {
    expect(definers(DUMP)).toEqual([
      "SELECT 'tdef' AS u, '%' AS h",
      "SELECT 'an\"si' AS u, 'localhost' AS h",
      "SELECT 'edef' AS u, 'localhost' AS h",
      "SELECT 'rdef' AS u, '' AS h",
      "SELECT 'pkg`def' AS u, 'localhost' AS h",
      "SELECT 'odd`q@x' AS u, 'h`st' AS h",
    ]);
  });
});
