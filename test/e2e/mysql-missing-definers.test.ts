import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { MARIADB_TOOLS, type MariaDb, startMariaDb } from '../servers/mariadb.js';

// Definers are accounts of the server: a rebuilt one lacks those of a dump's views and triggers.
const canRun = haveTools(...MARIADB_TOOLS, 'rsync', 'flock', 'bash', 'sed', 'touch', 'awk');

/** The account the view and the trigger run as, with what they read and write. */
const CREATE_APP = "CREATE USER 'app''s'@'localhost'; GRANT ALL ON shop.* TO 'app''s'@'localhost';";

const MARK = 'collect/site/metadata/collect_point/restore-unfinished';

/** A view and a trigger defined by `app`, whose name needs quoting, and data the trigger writes. */
const SHOP_SQL = `
CREATE TABLE orders (id INT PRIMARY KEY, total INT);
CREATE TABLE audit (message VARCHAR(100));
INSERT INTO orders VALUES (1, 10), (2, 20);
INSERT INTO audit VALUES ('CREATE DEFINER=\`ghost\`@\`nowhere\` in data is not a definer');
CREATE DEFINER = 'app''s'@'localhost' VIEW totals AS SELECT SUM(total) AS total FROM orders;
CREATE DEFINER = 'app''s'@'localhost' TRIGGER orders_audit AFTER INSERT ON orders FOR EACH ROW
  INSERT INTO audit VALUES (CONCAT('order ', NEW.id));
`;

/**
 * A view, a procedure (its parameters over two lines, a comment naming the other security) and a
 * function that run as their caller, defined by `inv`, and the same kinds, a trigger and an event
 * that run as their definer, each defined by an account of its own.
 */
const SECURITY_SQL = `
CREATE DEFINER = 'inv'@'localhost' SQL SECURITY INVOKER VIEW caller_totals AS SELECT SUM(total) AS total FROM orders;
DELIMITER ;;
CREATE DEFINER = 'inv'@'localhost' PROCEDURE caller_add(IN p_id INT,
    IN p_total DECIMAL(10, 0))
  COMMENT 'not SQL SECURITY DEFINER'
  SQL SECURITY INVOKER
BEGIN
  INSERT INTO orders VALUES (p_id, p_total);
END;;
DELIMITER ;
CREATE DEFINER = 'inv'@'localhost' FUNCTION caller_count() RETURNS INT READS SQL DATA SQL SECURITY INVOKER
  RETURN (SELECT COUNT(*) FROM orders);
`;
const DEFINER_SQL = `
CREATE DEFINER = 'dview'@'localhost' SQL SECURITY DEFINER VIEW definer_totals AS SELECT SUM(total) AS total FROM orders;
CREATE DEFINER = 'dproc'@'localhost' PROCEDURE definer_add(p_id INT) SQL SECURITY DEFINER INSERT INTO orders VALUES (p_id, 1);
CREATE DEFINER = 'dfunc'@'localhost' FUNCTION definer_count() RETURNS INT READS SQL DATA RETURN (SELECT COUNT(*) FROM orders);
CREATE DEFINER = 'dtrigger'@'localhost' TRIGGER orders_check BEFORE INSERT ON orders FOR EACH ROW SET NEW.total = NEW.total;
CREATE DEFINER = 'devent'@'localhost' EVENT purge_audit ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM audit WHERE 0;
`;
const SECURITY_ACCOUNTS = ['inv', 'dview', 'dproc', 'dfunc', 'dtrigger', 'devent', 'clerk'];
const accounts = (names: readonly string[]) => names.map((name) => `'${name}'@'localhost'`).join(', ');

describe.runIf(canRun)(
  'a MySQL dump restored onto a server that lacks the accounts defining its views and triggers',
  () => {
    let db: MariaDb;
    let box: Sandbox;
    let args: string[];
    beforeAll(async () => {
      db = await startMariaDb();
    }, 60_000);
    afterAll(async () => db?.stop());
    beforeEach(() => {
      db.sql(`DROP DATABASE IF EXISTS shop; CREATE DATABASE shop; ${CREATE_APP}`);
      db.sql(SHOP_SQL, 'shop');
      box = makeSandbox('polyarchiv-mysql-definers-');
      configure('root');
      args = ['-C', box.path('config'), '--set', `root=${box.root}`];
    });
    afterEach(() => {
      box.remove();
      db.sql(
        `DROP USER IF EXISTS 'app''s'@'localhost', 'restorer'@'localhost', ${accounts(SECURITY_ACCOUNTS)};`,
      );
    });

    function configure(user: string, before = '') {
      box.write({
        'config/site.collect': `[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n${before}[source "shop"]\nengine = mysql\nsocket = ${db.socket}\nuser = ${user}\ndatabase = shop\ndestination_path = shop.sql\n`,
        'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = file://{root}/mirror/{name}\n',
      });
    }
    /** A machine rebuilt: the database gone, the collect point's directory and states with it. */
    const rebuilt = () => {
      db.sql('DROP DATABASE shop;');
      rmSync(box.path('collect'), { recursive: true, force: true });
    };
    function restore(backend: 'apply' | 'script') {
      if (backend === 'apply') {
        const run = runCli(['restore', '--yes', '--from', 'mirror', ...args]);
        return { code: run.code, output: run.stdout + run.stderr };
      }
      const plan = runCli(['plan', '--restore', '--from', 'mirror', ...args]);
      expect(plan.code, plan.stderr).toBe(0);
      writeFileSync(box.path('restore.sh'), plan.stdout);
      const run = spawnSync('bash', [box.path('restore.sh'), '--yes'], { encoding: 'utf8' });
      return { code: run.status, output: run.stdout + run.stderr };
    }

    it.each(['apply', 'script'] as const)(
      'stops before anything changes, naming every missing definer, through %s',
      (backend) => {
        const before = db.dump('shop');
        expect(runCli(['backup', ...args]).code).toBe(0);
        rebuilt();
        db.sql("DROP USER 'app''s'@'localhost';");

        const refused = restore(backend);
        expect(refused.code, refused.output).toBe(1);
        expect(refused.output).toContain(
          "the dump of MySQL database shop holds views, triggers, routines or events defined by accounts this server lacks: 'app\\'s'@'localhost'; nothing was restored. Create them (SHOW CREATE USER and SHOW GRANTS on the server backed up give them), then restore again.",
        );
        expect(refused.output).toMatch(/step \d+ of \d+ at site\.collect:\d+ \[source "shop"\]/);
        // Neither the database nor the mark of a restore begun: nothing was changed.
        expect(db.sql("SHOW DATABASES LIKE 'shop'")).toBe('');
        expect(existsSync(box.path(MARK))).toBe(false);

        db.sql(CREATE_APP);
        const again = restore(backend);
        expect(again.code, again.output).toBe(0);
        expect(again.output).not.toContain('warning: source');
        expect(db.dump('shop')).toBe(before);
        // The view and the trigger work.
        db.sql('INSERT INTO orders VALUES (3, 30);', 'shop');
        expect(db.sql('SELECT total FROM totals;', 'shop')).toBe('60\n');
        expect(db.sql("SELECT COUNT(*) FROM audit WHERE message = 'order 3';", 'shop')).toBe('1\n');
      },
    );

    it.each(['apply', 'script'] as const)(
      'stops for the definers of triggers and routines made under ANSI_QUOTES, through %s',
      (backend) => {
        // Under ANSI_QUOTES, mysqldump writes these definers in double quotes (doubled within).
        const createAnsi = `CREATE USER 'an"si'@'localhost'; GRANT ALL ON shop.* TO 'an"si'@'localhost';`;
        db.sql(createAnsi);
        db.sql(
          `SET sql_mode = 'ANSI_QUOTES';
           CREATE DEFINER = 'an"si'@'localhost' TRIGGER orders_count BEFORE INSERT ON orders FOR EACH ROW SET NEW.total = NEW.total;
           CREATE DEFINER = 'an"si'@'localhost' PROCEDURE add_order(id INT) INSERT INTO orders VALUES (id, 1);`,
          'shop',
        );
        const before = db.dump('shop');
        expect(before).toContain('DEFINER="an""si"@"localhost"');
        expect(runCli(['backup', ...args]).code).toBe(0);
        rebuilt();
        db.sql(`DROP USER 'an"si'@'localhost';`);

        const refused = restore(backend);
        expect(refused.code, refused.output).toBe(1);
        expect(refused.output).toContain(
          `accounts this server lacks: 'an"si'@'localhost'; nothing was restored.`,
        );
        expect(db.sql("SHOW DATABASES LIKE 'shop'")).toBe('');
        expect(existsSync(box.path(MARK))).toBe(false);

        db.sql(createAnsi);
        const again = restore(backend);
        expect(again.code, again.output).toBe(0);
        expect(db.dump('shop')).toBe(before);
        db.sql('CALL add_order(3);', 'shop');
        expect(db.sql('SELECT COUNT(*) FROM orders;', 'shop')).toBe('3\n');
        db.sql(`DROP USER 'an"si'@'localhost';`);
      },
    );

    /** Runs SQL in shop as `clerk`, who may read and write orders and run its routines. */
    function asClerk(query: string) {
      const run = spawnSync(
        'mysql',
        ['--no-defaults', '--user=clerk', `--socket=${db.socket}`, '--skip-column-names', '--batch', 'shop'],
        { input: query, encoding: 'utf8' },
      );
      return { code: run.status, output: run.stdout + run.stderr };
    }
    const createSecurityAccounts = (names: readonly string[]) =>
      db.sql(`CREATE USER ${accounts(names)}; GRANT ALL ON shop.* TO ${accounts(names)};`);

    it.each(['apply', 'script'] as const)(
      'restores views and routines that run as their caller without their definer, through %s',
      (backend) => {
        createSecurityAccounts(['inv']);
        db.sql(SECURITY_SQL, 'shop');
        const before = db.dump('shop');
        expect(before).toContain('DEFINER=`inv`@`localhost` SQL SECURITY INVOKER */');
        expect(before).toMatch(
          /PROCEDURE `caller_add`\(IN p_id INT,\n {4}IN p_total DECIMAL\(10, 0\)\)\n {4}SQL SECURITY INVOKER\n/,
        );
        expect(runCli(['backup', ...args]).code).toBe(0);
        rebuilt();
        db.sql("DROP USER 'inv'@'localhost';");

        const restored = restore(backend);
        expect(restored.code, restored.output).toBe(0);
        expect(restored.output).not.toContain('warning: source');
        expect(db.dump('shop')).toBe(before);
        // Run by an account that may use the tables, they work without `inv`.
        db.sql(
          "CREATE USER 'clerk'@'localhost'; GRANT SELECT, INSERT ON shop.orders TO 'clerk'@'localhost'; GRANT SELECT ON shop.caller_totals TO 'clerk'@'localhost'; GRANT EXECUTE ON shop.* TO 'clerk'@'localhost';",
        );
        const used = asClerk(
          'CALL caller_add(3, 7); SELECT total FROM caller_totals; SELECT caller_count();',
        );
        expect(used).toEqual({ code: 0, output: '37\n3\n' });
      },
    );

    it.each(['apply', 'script'] as const)(
      'stops for views and routines that run as their definer, for triggers and events, through %s',
      (backend) => {
        const definers = ['dview', 'dproc', 'dfunc', 'dtrigger', 'devent'];
        createSecurityAccounts(['inv', ...definers]);
        db.sql(SECURITY_SQL + DEFINER_SQL, 'shop');
        const before = db.dump('shop');
        expect(runCli(['backup', ...args]).code).toBe(0);
        rebuilt();
        db.sql(`DROP USER ${accounts(['inv', ...definers])};`);

        const refused = restore(backend);
        expect(refused.code, refused.output).toBe(1);
        expect(refused.output).toContain(
          "accounts this server lacks: 'devent'@'localhost', 'dfunc'@'localhost', 'dproc'@'localhost', 'dtrigger'@'localhost', 'dview'@'localhost'; nothing was restored.",
        );
        expect(db.sql("SHOW DATABASES LIKE 'shop'")).toBe('');
        expect(existsSync(box.path(MARK))).toBe(false);

        createSecurityAccounts(definers);
        const again = restore(backend);
        expect(again.code, again.output).toBe(0);
        expect(db.dump('shop')).toBe(before);
      },
    );

    it.each(['apply', 'script'] as const)(
      'leaves the database of another source as it was, through %s',
      (backend) => {
        db.sql('DROP DATABASE IF EXISTS stock; CREATE DATABASE stock; CREATE TABLE stock.items (id INT);');
        configure(
          'root',
          `[source "stock"]\nengine = mysql\nsocket = ${db.socket}\nuser = root\ndatabase = stock\ndestination_path = stock.sql\n\n`,
        );
        expect(runCli(['backup', ...args]).code).toBe(0);
        db.sql('DROP DATABASE stock;');
        rebuilt();
        db.sql("DROP USER 'app''s'@'localhost';");

        const refused = restore(backend);
        expect(refused.code, refused.output).toBe(1);
        expect(refused.output).toContain(
          "accounts this server lacks: 'app\\'s'@'localhost'; nothing was restored.",
        );
        // Every source's check comes before any source's changes: stock, listed first, was not restored.
        expect(db.sql("SHOW DATABASES LIKE 'stock'")).toBe('');
        expect(existsSync(box.path(MARK))).toBe(false);
      },
    );

    it.each(['apply', 'script'] as const)(
      'restores, then warns, when its account cannot read mysql.user, through %s',
      (backend) => {
        expect(runCli(['backup', ...args]).code).toBe(0);
        // SET USER lets it recreate objects of other definers; nothing lets it read mysql.user.
        db.sql(
          "CREATE USER 'restorer'@'localhost'; GRANT ALL ON shop.* TO 'restorer'@'localhost'; GRANT SET USER ON *.* TO 'restorer'@'localhost';",
        );
        configure('restorer');
        rebuilt();

        const restored = restore(backend);
        expect(restored.code, restored.output).toBe(0);
        expect(restored.output).toContain(
          "warning: source \"shop\": this account cannot read mysql.user, so the accounts defining the views, triggers, routines or events of MySQL database shop were not checked: 'app\\'s'@'localhost'; one this server lacks makes them fail (error 1449): create it, then restore again",
        );
        expect(db.sql('SELECT total FROM totals;', 'shop')).toBe('30\n');
        // The warning's statements, written by the check, are gone with the unit.
        expect(existsSync(box.path('collect/site/metadata/work/shop.definers.sql'))).toBe(false);
      },
    );
  },
);
