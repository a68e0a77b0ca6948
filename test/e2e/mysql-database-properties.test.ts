import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { MARIADB_TOOLS, type MariaDb, startMariaDb } from '../servers/mariadb.js';

// The database itself, which mysqldump's dump of its tables leaves out: its defaults and comment.
const canRun = haveTools(...MARIADB_TOOLS, 'rsync', 'flock', 'bash', 'sed', 'touch');

/** Neither the server's defaults (utf8mb4, utf8mb4_unicode_ci) nor those of the dump's SET NAMES. */
const CREATE_SHOP =
  "CREATE DATABASE shop CHARACTER SET latin1 COLLATE latin1_german2_ci COMMENT 'the shöp''s data'";

describe.runIf(canRun)('a dropped MySQL database restored with its own character set and collation', () => {
  let db: MariaDb;
  let box: Sandbox;
  let args: string[];
  beforeAll(async () => {
    db = await startMariaDb();
  }, 60_000);
  afterAll(async () => db?.stop());
  beforeEach(() => {
    db.sql(`DROP DATABASE IF EXISTS shop; ${CREATE_SHOP};`);
    // A table of the database's defaults, and a comparison they decide (latin1_german2_ci: ä = ae).
    db.sql("CREATE TABLE words (word VARCHAR(20)); INSERT INTO words VALUES ('Bär'), ('baer');", 'shop');
    box = makeSandbox('polyarchiv-mysql-properties-');
    box.write({
      'config/site.collect': `[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "shop"]\nengine = mysql\nsocket = ${db.socket}\nuser = root\ndatabase = shop\ndestination_path = shop.sql\n`,
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = file://{root}/mirror/{name}\n',
    });
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
  });
  afterEach(() => box.remove());

  /** What a dropped database must get back besides its tables. */
  const defaults = () =>
    db.sql(
      "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME, SCHEMA_COMMENT FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'shop'",
    );
  /** A machine rebuilt: the database gone, the collect point's directory and states with it. */
  const rebuilt = () => {
    db.sql('DROP DATABASE shop;');
    rmSync(box.path('collect'), { recursive: true, force: true });
  };
  function restore(backend: 'apply' | 'script') {
    if (backend === 'apply') return runCli(['restore', '--yes', '--from', 'mirror', ...args]);
    const plan = runCli(['plan', '--restore', '--from', 'mirror', ...args]);
    expect(plan.code, plan.stderr).toBe(0);
    writeFileSync(box.path('restore.sh'), plan.stdout);
    const run = spawnSync('bash', [box.path('restore.sh'), '--yes'], { encoding: 'utf8' });
    return { code: run.status, stderr: run.stderr };
  }

  it.each(['apply', 'script'] as const)(
    'creates it with the character set, collation and comment it had through %s',
    (backend) => {
      const before = { tables: db.dump('shop'), defaults: defaults() };
      expect(before.defaults).toBe("latin1\tlatin1_german2_ci\tthe shöp's data\n");
      expect(runCli(['backup', ...args]).code).toBe(0);
      expect(readFileSync(box.path('mirror/site/shop.sql.database.sql'), 'utf8')).toContain(
        'CREATE DATABASE /*!32312 IF NOT EXISTS*/ `shop` /*!40100 DEFAULT CHARACTER SET latin1 COLLATE latin1_german2_ci */',
      );

      rebuilt();
      const restored = restore(backend);
      expect(restored.code, restored.stderr).toBe(0);
      expect(defaults()).toBe(before.defaults);
      expect(db.dump('shop')).toBe(before.tables);
      // A table created after the restore, and a comparison, behave as before the loss.
      db.sql('CREATE TABLE later (word VARCHAR(20))', 'shop');
      expect(db.sql("SHOW TABLE STATUS WHERE Name = 'later'", 'shop')).toContain('latin1_german2_ci');
      expect(db.sql("SELECT COUNT(*) FROM words WHERE word = 'Baer'", 'shop')).toBe('2\n');

      // A database that is there keeps its own defaults: only its tables are replaced.
      db.sql('DROP TABLE later; ALTER DATABASE shop COLLATE latin1_swedish_ci;', 'shop');
      const changed = defaults();
      rmSync(box.path('collect'), { recursive: true, force: true });
      const again = restore(backend);
      expect(again.code, again.stderr).toBe(0);
      expect(defaults()).toBe(changed);
      expect(db.dump('shop')).toBe(before.tables);
    },
  );

  it.each(['apply', 'script'] as const)(
    'creates it as before from a copy made without its properties through %s',
    (backend) => {
      const before = db.dump('shop');
      expect(runCli(['backup', ...args]).code).toBe(0);
      rmSync(box.path('mirror/site/shop.sql.database.sql'));
      rebuilt();
      const restored = restore(backend);
      expect(restored.code, restored.stderr).toBe(0);
      expect(db.dump('shop')).toBe(before);
      // The character set of the dump's SET NAMES, in its default collation.
      expect(defaults()).toBe('utf8mb4\tutf8mb4_general_ci\t\n');
    },
  );

  it('creates nothing from the properties of another database', () => {
    expect(runCli(['backup', ...args]).code).toBe(0);
    const file = box.path('mirror/site/shop.sql.database.sql');
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll('`shop`', '`other`'));
    rebuilt();
    const restored = restore('apply');
    expect(restored.code, restored.stderr).toBe(0);
    expect(db.sql("SHOW DATABASES LIKE 'other'")).toBe('');
    expect(defaults()).toBe('utf8mb4\tutf8mb4_general_ci\t\n');
  });
});
