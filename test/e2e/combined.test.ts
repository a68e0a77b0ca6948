import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { fileContents } from '../helpers/tree.js';
import {
  MARIADB_TOOLS,
  type MariaDb,
  SAMPLE_SQL as MYSQL_SAMPLE,
  sqlString,
  startMariaDb,
} from '../servers/mariadb.js';
import {
  havePostgres,
  SAMPLE_SQL as PG_SAMPLE,
  type PgServer,
  sameDump,
  startPostgres,
} from '../servers/postgresql.js';

const canRun = havePostgres() && haveTools(...MARIADB_TOOLS, 'rsync', 'flock', 'bash', 'sha256sum');

/** One password for both servers, with what ini values, shells and option files treat specially. */
const PASSWORD = `c0mb:ined \\ 'pw' "x" $HOME`;
const FILES: Record<string, string> = {
  'index.html': '<p>site</p>\n',
  'uploads/photo 1.jpg': 'not really a photo\n',
  'unicodé ✓.txt': 'unicode\n',
};
/** mysqldump stamps its end; nothing else differs between two dumps of the same data. */
const undated = (dump: string) => dump.replace(/^-- Dump completed on .*$/m, '-- Dump completed');

/**
 * The original README's example: one collect point gathering a directory, a MySQL
 * database and a PostgreSQL database, mirrored by a synchronize backup point; one command backs
 * everything up, one command restores everything.
 */
describe.runIf(canRun)('a collect point with local files, MySQL and PostgreSQL sources', () => {
  let pg: PgServer;
  let maria: MariaDb;
  let box: Sandbox;
  let args: string[];

  beforeAll(async () => {
    [pg, maria] = await Promise.all([startPostgres(), startMariaDb()]);
    pg.createRole('app', PASSWORD, 'CREATEDB');
    maria.sql(
      `CREATE USER 'backup'@'localhost' IDENTIFIED BY ${sqlString(PASSWORD)};
       GRANT ALL ON crm.* TO 'backup'@'localhost'; GRANT SET USER ON *.* TO 'backup'@'localhost';
       GRANT SELECT ON mysql.proc TO 'backup'@'localhost';`,
    );
  }, 90_000);
  afterAll(async () => {
    pg?.destroy();
    await maria?.stop();
  });

  beforeEach(() => {
    box = makeSandbox('polyarchiv-combined-');
    pg.sql('CREATE DATABASE shop OWNER app');
    pg.sql(`SET ROLE app;\n${PG_SAMPLE}`, 'shop');
    maria.sql('CREATE DATABASE crm CHARACTER SET utf8mb4');
    maria.sql(MYSQL_SAMPLE, 'crm');
    box.write(Object.fromEntries(Object.entries(FILES).map(([name, text]) => [`www/${name}`, text])));
    box.write({
      'config/site.collect': [
        '[point]',
        'engine = files',
        'local_path = {root}/collect/{name}',
        '',
        '[source "www"]',
        'engine = local_files',
        'source_path = {root}/www',
        'destination_path = www',
        '',
        '[source "crm"]',
        'engine = mysql',
        `socket = ${maria.socket}`,
        'user = backup',
        `password = ${PASSWORD}`,
        'database = crm',
        'destination_path = crm.sql',
        '',
        '[source "shop"]',
        'engine = postgressql',
        'host = 127.0.0.1',
        `port = ${pg.port}`,
        'user = app',
        `password = ${PASSWORD}`,
        'database = shop',
        'destination_path = shop.sql',
        '',
      ].join('\n'),
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = file://{root}/mirror/{name}\n',
    });
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
  });
  afterEach(() => {
    pg.sql('DROP DATABASE IF EXISTS shop');
    maria.sql('DROP DATABASE IF EXISTS crm');
    box.remove();
  });

  /** What a disaster leaves: no directory, an empty MySQL database, no PostgreSQL database. */
  function loseEverything() {
    rmSync(box.path('www'), { recursive: true });
    maria.sql('DROP DATABASE crm; CREATE DATABASE crm CHARACTER SET utf8mb4;');
    pg.sql('DROP DATABASE shop');
  }

  function expectRestored(before: { shop: string; crm: string }) {
    expect(fileContents(box.path('www'))).toEqual(fileContents(box.path('mirror/site/www')));
    expect(Object.keys(fileContents(box.path('www'))).sort()).toEqual(Object.keys(FILES).sort());
    expect(sameDump(pg.dump('shop'), before.shop)).toBe(true);
    expect(undated(maria.dump('crm'))).toBe(undated(before.crm));
  }

  it('backs up and restores the three sources with one command each, through apply', () => {
    const before = { shop: pg.dump('shop'), crm: maria.dump('crm') };
    const backup = runCli(['backup', ...args]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(Object.keys(fileContents(box.path('mirror/site'))).sort()).toEqual(
      [
        'crm.sql',
        'crm.sql.database.sql',
        'shop.sql',
        'shop.sql.database.sql',
        ...Object.keys(FILES).map((name) => `www/${name}`),
      ].sort(),
    );

    loseEverything();
    const restore = runCli(['restore', '--yes', ...args]);
    expect(restore.code, restore.stderr).toBe(0);
    expectRestored(before);
  });

  it('backs up and restores the three sources with one script each', () => {
    const before = { shop: pg.dump('shop'), crm: maria.dump('crm') };
    const run = (mode: string[]) => {
      const plan = runCli(['plan', ...mode, '--include-secrets', ...args]);
      expect(plan.code, plan.stderr).toBe(0);
      // A file, not bash -c: the embedded secrets stay off every command line.
      writeFileSync(box.path('plan.sh'), plan.stdout, { mode: 0o600 });
      return spawnSync('bash', [box.path('plan.sh'), '--yes'], { encoding: 'utf8' });
    };
    const backup = run([]);
    expect(backup.status, backup.stderr).toBe(0);

    loseEverything();
    const restore = run(['--restore']);
    expect(restore.status, restore.stderr).toBe(0);
    expectRestored(before);
  });

  it.each(['apply', 'script'] as const)(
    'restores everything through %s on a rebuilt machine: both databases and the collect point gone',
    (backend) => {
      const before = { shop: pg.dump('shop'), crm: maria.dump('crm') };
      expect(runCli(['backup', ...args]).code).toBe(0);
      rmSync(box.path('www'), { recursive: true });
      rmSync(box.path('collect'), { recursive: true });
      maria.sql('DROP DATABASE crm');
      pg.sql('DROP DATABASE shop');
      let code: number | null;
      let stderr: string;
      if (backend === 'apply') {
        ({ code, stderr } = runCli(['restore', '--yes', ...args]));
      } else {
        const plan = runCli(['plan', '--restore', '--include-secrets', ...args]);
        expect(plan.code, plan.stderr).toBe(0);
        writeFileSync(box.path('plan.sh'), plan.stdout, { mode: 0o600 });
        ({ status: code, stderr } = spawnSync('bash', [box.path('plan.sh'), '--yes'], { encoding: 'utf8' }));
      }
      expect(code, stderr).toBe(0);
      expect(stderr).toContain(
        'create MySQL database crm with its character set, collation and comment if it is missing (source "crm")',
      );
      expect(stderr).toContain(
        'create PostgreSQL database shop with its owner, settings and grants if it is missing (source "shop")',
      );
      expectRestored(before);
    },
  );
});
