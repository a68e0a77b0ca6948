import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
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

const awks = ['awk', 'mawk'].filter((awk) => haveTools(awk));

describe.each(awks)('the definers a mysqldump dump names, read by %s', (awk) => {
  it('are those of triggers, events, routines, packages and views, in backquotes or double quotes, each once', () => {
    const run = spawnSync(
      awk,
      ['-v', 'mode=refuse', '-v', 'database=shop', '-v', 'source=shop', DEFINERS_OF_DUMP],
      {
        input: DUMP,
        encoding: 'utf8',
      },
    );
    expect(run.stderr).toBe('');
    const rows = /INTO @polyarchiv_definers FROM \((.*)\) AS d;/.exec(run.stdout)?.[1];
    expect(rows?.split(' UNION ALL ')).toEqual([
      "SELECT 'tdef' AS u, '%' AS h",
      "SELECT 'an\"si' AS u, 'localhost' AS h",
      "SELECT 'edef' AS u, 'localhost' AS h",
      "SELECT 'rdef' AS u, '' AS h",
      "SELECT 'pkg`def' AS u, 'localhost' AS h",
      "SELECT 'odd`q@x' AS u, 'h`st' AS h",
    ]);
  });
});
