import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runAsync, runCli, runCliAsync } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { scanCommandLines } from '../helpers/secret-scan.js';
import { haveTools } from '../helpers/tools.js';
import { snapshotTree } from '../helpers/tree.js';
import { MARIADB_TOOLS, type MariaDb, SAMPLE_SQL, sqlString, startMariaDb } from '../servers/mariadb.js';

const canRun = haveTools(...MARIADB_TOOLS, 'rsync', 'flock', 'bash', 'sha256sum');
const canSudo = process.getuid?.() === 0 && haveTools('sudo');

/** Quotes, a backslash, comment characters, a command substitution and a space. */
const PASSWORD = String.raw`pa"ss\wo'rd #;$(id) x`;
const SECRET_ENV = { POLYARCHIV_SECRET_SITE_SHOP_PASSWORD: PASSWORD };
/** The line of `[source "shop"]` in site.collect, which every failure must name. */
/** How a failed step names its source: its config line and section. */
const SOURCE_LINE = /failed with exit code \d+: step \d+ of \d+ at site\.collect:\d+ \[source "shop"\]/;

/** mysqldump's only run-dependent line. */
const undated = (dump: string) => dump.replace(/^-- Dump completed on .*$/m, '-- Dump completed');

describe.runIf(canRun)('mysql source against a real MariaDB server', () => {
  let db: MariaDb;
  let box: Sandbox;
  let args: string[];
  beforeAll(async () => {
    db = await startMariaDb();
    db.sql('CREATE DATABASE shop CHARACTER SET utf8mb4; CREATE DATABASE bulk;');
    db.sql(SAMPLE_SQL, 'shop');
    for (const host of ['localhost', '127.0.0.1']) {
      // mysql.proc lets mysqldump read routines defined by root; SET USER lets a restore recreate them.
      db.sql(
        `CREATE USER 'backup'@'${host}' IDENTIFIED BY ${sqlString(PASSWORD)};
         GRANT ALL ON shop.* TO 'backup'@'${host}'; GRANT ALL ON bulk.* TO 'backup'@'${host}';
         GRANT SET USER ON *.* TO 'backup'@'${host}'; GRANT SELECT ON mysql.proc TO 'backup'@'${host}';`,
      );
    }
  }, 60_000);
  afterAll(async () => db?.stop());
  beforeEach(() => {
    box = makeSandbox('polyarchiv-mysql-');
    configure();
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
  });
  afterEach(() => {
    box.remove();
    // Restores in these tests replace, cut or drop the database: each test starts from the sample.
    db.sql('DROP DATABASE IF EXISTS shop; CREATE DATABASE shop CHARACTER SET utf8mb4;');
    db.sql(SAMPLE_SQL, 'shop');
  });

  /** site: the mysql source "shop" (line 5); docs: another point that must run whatever happens. */
  function configure(shop: string[] = [], extra: Record<string, string> = {}) {
    const options = new Map<string, string>([
      ['socket', db.socket],
      ['user', 'backup'],
      ['password', PASSWORD],
      ['database', 'shop'],
      ['destination_path', 'shop.sql'],
    ]);
    for (const line of shop) {
      const [key = '', value = ''] = line.split(/=(.*)/s);
      if (value === '') options.delete(key);
      else options.set(key, value);
    }
    box.write({
      'config/site.collect': `[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "shop"]\nengine = mysql\n${[...options].map(([k, v]) => `${k} = ${v}\n`).join('')}`,
      'config/docs.collect': `[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "notes"]\nengine = local_files\nsource_path = {root}/notes\ndestination_path = notes\n`,
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = file://{root}/mirror/{name}\n',
      'notes/todo.txt': 'back up the shop\n',
      ...extra,
    });
  }

  const dumpFile = () => box.path('collect/site/backups/shop.sql');
  const wipeShop = () => db.sql('DROP DATABASE shop; CREATE DATABASE shop CHARACTER SET utf8mb4;');

  function script(mode: 'backup' | 'restore', more: string[] = []): string {
    const plan = runCli(['plan', ...(mode === 'restore' ? ['--restore'] : []), ...args, ...more]);
    expect(plan.code, plan.stderr).toBe(0);
    const file = box.path(`${mode}.sh`);
    writeFileSync(file, plan.stdout);
    return file;
  }
  const runScript = (file: string) =>
    spawnSync('bash', [file, '--yes'], { encoding: 'utf8', env: { ...process.env, ...SECRET_ENV } });

  it('backs up over TCP, and restores a dropped database to an identical dump', () => {
    configure(['socket=', 'host=127.0.0.1', `port=${db.port}`]);
    const before = db.dump('shop');
    const backup = runCli(['backup', ...args]);
    expect(backup.code, backup.stderr).toBe(0);
    const dump = readFileSync(dumpFile(), 'utf8');
    for (const part of ['Zoë Ørsted', 'emoji 🎉', '0x00FF10800D0A1A27225C', 'VIEW `customer_totals`']) {
      expect(dump).toContain(part);
    }
    for (const part of [/TRIGGER `?orders_audit/, /FUNCTION `with_tax`/, /PROCEDURE `count_orders`/]) {
      expect(dump).toMatch(part);
    }
    expect(dump).toMatch(/EVENT `purge_audit`/);

    wipeShop();
    const restore = runCli(['restore', '--yes', ...args]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(db.dump('shop')).toBe(before);
    expect(db.sql('SELECT HEX(content) FROM files WHERE id = 1', 'shop')).toBe('00FF10800D0A1A27225C\n');
    expect(runCli(['backup', ...args]).code).toBe(0);
    expect(undated(readFileSync(dumpFile(), 'utf8'))).toBe(undated(dump));
  });

  it('leaves the same dump and state with the rendered script as with apply, and restores with it', () => {
    // Two roots, one configuration, one pinned time: only the dump date line may differ.
    const now = ['--now', '2026-03-10T04:05:06+01:00'];
    const applied = runCli(['backup', ...args, ...now]);
    expect(applied.code, applied.stderr).toBe(0);
    const other = makeSandbox('polyarchiv-mysql-script-');
    try {
      other.write({ 'notes/todo.txt': 'back up the shop\n' });
      const scripted = runScript(script('backup', ['--set', `root=${other.root}`, ...now]));
      expect(scripted.status, scripted.stderr).toBe(0);
      for (const [dir, dump] of [
        ['collect', 'site/backups/shop.sql'],
        ['mirror', 'site/shop.sql'],
      ] as const) {
        const properties = `${dump}.database.sql`;
        const masked = (root: string) => ({
          ...snapshotTree(`${root}/${dir}`, root),
          [dump]: '',
          [properties]: '',
        });
        expect(masked(other.root)).toEqual(masked(box.root));
        for (const file of [dump, properties]) {
          const dumped = (root: string) => undated(readFileSync(`${root}/${dir}/${file}`, 'utf8'));
          expect(dumped(other.root)).toBe(dumped(box.root));
        }
      }
    } finally {
      other.remove();
    }

    const before = db.dump('shop');
    wipeShop();
    const restored = runScript(script('restore'));
    expect(restored.status, restored.stderr).toBe(0);
    expect(db.dump('shop')).toBe(before);
  });

  it('never puts the password on a command line, in the plan, the script or the output', async () => {
    for (const format of ['text', 'json', 'bash']) {
      const plan = runCli(['plan', '--format', format, ...args]);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).not.toContain(PASSWORD);
      expect(plan.stdout).toContain('--defaults-extra-file=');
    }
    const holdsLock = () =>
      db.sql("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'DO SLEEP%'").trim() !==
      '0';
    for (const backend of ['apply', 'script'] as const) {
      // A client holding a write lock on a table keeps mysqldump running while /proc is scanned.
      const locker = runAsync('mysql', [
        '--no-defaults',
        '--user=root',
        `--socket=${db.socket}`,
        '--execute=LOCK TABLES customers WRITE; DO SLEEP(1.5); UNLOCK TABLES;',
        'shop',
      ]);
      // Started once the client holds the lock: it sleeps with it.
      let locked = holdsLock();
      for (let i = 0; i < 200 && !locked; i++) {
        await new Promise((r) => setTimeout(r, 50));
        locked = holdsLock();
      }
      expect(locked, 'the client never took its lock').toBe(true);
      const run =
        backend === 'apply'
          ? runCliAsync(['backup', '--show-commands', ...args])
          : runAsync('bash', [script('backup')], SECRET_ENV);
      const seen = await scanCommandLines(
        (line) => line.includes('mysqldump') && line.includes('--single-transaction'),
        [PASSWORD, "wo'rd #"],
        run,
      );
      const result = await run;
      await locker;
      expect(result.code, result.stderr).toBe(0);
      expect(seen.scanned, `${backend}: mysqldump was never seen running`).toBeGreaterThan(0);
      expect(seen.leaks, backend).toEqual([]);
      expect(result.stdout + result.stderr).not.toContain(PASSWORD);
    }
    const files = Object.keys(snapshotTree(box.root)).filter((f) => !f.startsWith('config/'));
    for (const file of files.filter((f) => statSync(box.path(f)).isFile())) {
      expect(readFileSync(box.path(file), 'utf8'), file).not.toContain(PASSWORD);
    }
  });

  it('shows, with --show-commands, the mysqldump command line that runs', () => {
    const result = runCli(['backup', '--show-commands', ...args]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      `mysqldump --defaults-extra-file="\${polyarchiv_work}"/my.site.shop.cnf --protocol=socket --socket=${db.socket} --user=backup --single-transaction --routines --triggers --events --hex-blob -- shop > ${box.path('collect/site/metadata/work/shop.sql.partial')}`,
    );
  });

  it('neither connects nor writes anything with --dry', () => {
    const connections = () => Number(db.sql("SHOW GLOBAL STATUS LIKE 'Connections'").split('\t')[1]);
    const before = connections();
    const dry = runCli(['backup', '--dry', ...args]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain('mysqldump --defaults-extra-file=');
    // The only new connection is the one that reads the counter.
    expect(connections()).toBe(before + 1);
    expect(existsSync(box.path('collect'))).toBe(false);
  });

  it.each([
    ['the server is down', (): string[] => ['socket=/nonexistent/mysqld.sock'], /Can't connect/],
    ['the password is wrong', (): string[] => ['password=wrong'], /Access denied for user 'backup'/],
    ['the database does not exist', (): string[] => ['database=nosuchdb'], /database 'nosuchdb'/],
    ['mysqldump is missing', (): string[] => ['dump_executable=/nonexistent/mysqldump'], /nonexistent/],
  ])('fails the point and keeps the previous dump when %s, while other points run', (_, broken, why) => {
    expect(runCli(['backup', ...args]).code).toBe(0);
    const good = readFileSync(dumpFile(), 'utf8');
    configure(broken());
    const failed = runCli(['backup', ...args]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(why);
    expect(failed.stderr).toMatch(SOURCE_LINE);
    expect(failed.stderr).toMatch(/failed\s+collect:site/);
    expect(failed.stderr).toMatch(/ok\s+collect:docs/);
    expect(readFileSync(dumpFile(), 'utf8')).toBe(good);
    expect(readFileSync(box.path('mirror/docs/notes/todo.txt'), 'utf8')).toBe('back up the shop\n');
    expect(readdirSync(box.path('collect/site/backups'))).toContain('shop.sql');
  });

  it('fails a restore into a database that does not exist, naming the source', () => {
    expect(runCli(['backup', ...args]).code).toBe(0);
    configure(['database=nosuchdb', 'create_database=false']);
    const restore = runCli(['restore', '--yes', ...args]);
    expect(restore.code).toBe(1);
    expect(restore.stderr).toMatch(/database 'nosuchdb'/);
    expect(restore.stderr).toMatch(SOURCE_LINE);
  });

  it('fails a restore that may not create its missing database, naming the source', () => {
    expect(runCli(['backup', ...args]).code).toBe(0);
    // The backup user holds no privilege on that database, so cannot create it.
    configure(['database=nosuchdb']);
    const restore = runCli(['restore', '--yes', ...args]);
    expect(restore.code).toBe(1);
    expect(restore.stderr).toMatch(/Access denied for user 'backup'@'localhost' to database 'nosuchdb'/);
    // The properties of shop create nothing: the statement made of the dump's SET NAMES is refused.
    expect(restore.stderr).toContain(
      'create MySQL database nosuchdb in the character set of the dump if it is still missing',
    );
    expect(restore.stderr).toMatch(SOURCE_LINE);
  });

  /** A machine rebuilt: the database gone, the collect point's directory and states with it. */
  const freshServer = () => {
    db.sql('DROP DATABASE IF EXISTS shop;');
    rmSync(box.path('collect'), { recursive: true, force: true });
  };
  const restoreBy = (backend: 'apply' | 'script', more: string[] = []) => {
    if (backend === 'apply') return runCli(['restore', '--yes', '--from', 'mirror', ...more, ...args]);
    const run = runScript(script('restore', ['--from', 'mirror', ...more]));
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
  };
  const charsetOf = (database: string) =>
    db.sql(
      `SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${database}'`,
    );

  it.each(['apply', 'script'] as const)(
    'restores onto a fresh server through %s: creates the database, in the character set it had',
    (backend) => {
      const before = db.dump('shop');
      expect(runCli(['backup', ...args]).code).toBe(0);
      expect(readFileSync(dumpFile(), 'utf8')).toMatch(/^\/\*!40101 SET NAMES utf8mb4 \*\/;$/m);
      const plan = runCli(['plan', '--format', 'text', '--restore', '--from', 'mirror', ...args]);
      expect(plan.stdout).toContain(
        'create MySQL database shop in the character set of the dump if it is still missing (source "shop")',
      );
      // In bash's double quotes, as the script holds it.
      expect(plan.stdout).toContain('CREATE DATABASE IF NOT EXISTS \\`shop\\` CHARACTER SET \\\\1;');
      expect(plan.stdout).not.toContain(PASSWORD);
      freshServer();
      const restore = restoreBy(backend);
      expect(restore.code, restore.stderr).toBe(0);
      expect(restore.stderr).toMatch(/ok +restore:site/);
      expect(db.dump('shop')).toBe(before);
      expect(charsetOf('shop')).toBe('utf8mb4\n');
      // On a server that has it, the database is left as it is: its tables are replaced.
      db.sql("UPDATE customers SET city = 'changed' WHERE id = 1", 'shop');
      const again = restoreBy(backend);
      expect(again.code, again.stderr).toBe(0);
      expect(db.dump('shop')).toBe(before);
    },
  );

  it('creates a database whose name needs quoting, and one the dump names no character set for', () => {
    const odd = 'odd`name; DROP DATABASE shop; --';
    db.sql(
      `CREATE DATABASE \`${odd.replaceAll('`', '``')}\`; GRANT ALL ON \`${odd.replaceAll('`', '``').replaceAll('_', '\\_')}\`.* TO 'backup'@'localhost';`,
    );
    try {
      db.sql('CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (7);', odd);
      configure([`database=${odd}`]);
      expect(runCli(['backup', ...args]).code).toBe(0);
      db.sql(`DROP DATABASE \`${odd.replaceAll('`', '``')}\`;`);
      const restore = runCli(['restore', '--yes', ...args]);
      expect(restore.code, restore.stderr).toBe(0);
      expect(db.sql('SELECT id FROM t', odd)).toBe('7\n');
      expect(db.sql("SHOW DATABASES LIKE 'shop'")).toBe('shop\n');

      // Without SET NAMES (mysqldump --skip-set-charset), the server's default.
      db.sql(`DROP DATABASE \`${odd.replaceAll('`', '``')}\`;`);
      const dump = readFileSync(box.path('mirror/site/shop.sql'), 'utf8');
      writeFileSync(box.path('mirror/site/shop.sql'), dump.replace(/^\/\*!40101 SET NAMES .*$/m, ''));
      rmSync(box.path('collect'), { recursive: true, force: true });
      const plain = runCli(['restore', '--yes', '--from', 'mirror', '--allow-shrink', ...args]);
      expect(plain.code, plain.stderr).toBe(0);
      expect(db.sql('SELECT id FROM t', odd)).toBe('7\n');
    } finally {
      db.sql(`DROP DATABASE IF EXISTS \`${odd.replaceAll('`', '``')}\`;`);
    }
  });

  /** The dump the mirror holds, replaced, on a machine whose collect point is gone. */
  function mirroredDump(text: (dump: string) => string) {
    expect(runCli(['backup', ...args]).code).toBe(0);
    const file = box.path('mirror/site/shop.sql');
    writeFileSync(file, text(readFileSync(file, 'utf8')));
    rmSync(box.path('collect'), { recursive: true, force: true });
    // Changed after the backup: a refused restore leaves it so.
    db.sql("UPDATE customers SET city = 'after the backup' WHERE id = 1", 'shop');
  }
  const cityOfFirst = () => db.sql('SELECT city FROM customers WHERE id = 1', 'shop');
  const REFUSED_STEP = /failed with exit code 1: step \d+ of \d+ at site\.collect:5 \[source "shop"\]/;

  it.each(['apply', 'script'] as const)('refuses to restore an empty dump through %s', (backend) => {
    mirroredDump(() => '');
    const restore = restoreBy(backend);
    expect(restore.code).toBe(1);
    expect(restore.stderr).toContain(`dump ${box.path('collect/site/backups/shop.sql')} is empty`);
    expect(restore.stderr).toContain(
      'refused: nothing was changed; run with --allow-shrink if this is expected',
    );
    expect(restore.stderr).toMatch(REFUSED_STEP);
    expect(restore.stderr).toMatch(/failed +restore:site/);
    expect(restore.stderr).toMatch(/ok +restore:docs/);
    expect(cityOfFirst()).toBe('after the backup\n');
  });

  it.each(['apply', 'script'] as const)(
    'refuses to restore a dump cut before its end through %s, and loads it with --allow-shrink',
    (backend) => {
      mirroredDump((dump) => dump.slice(0, dump.indexOf('INSERT INTO `customers`')));
      const restore = restoreBy(backend);
      expect(restore.code).toBe(1);
      expect(restore.stderr).toContain(
        `dump ${box.path('collect/site/backups/shop.sql')} is incomplete: no line of its last 4096 bytes starts with '-- Dump completed'`,
      );
      expect(restore.stderr).toContain('refused: nothing was changed');
      expect(restore.stderr).toMatch(REFUSED_STEP);
      expect(cityOfFirst()).toBe('after the backup\n');

      const allowed = restoreBy(backend, ['--allow-shrink']);
      expect(allowed.code, allowed.stderr).toBe(0);
      expect(allowed.stderr).toContain('accepted: --allow-shrink');
      expect(db.sql('SELECT COUNT(*) FROM customers', 'shop')).toBe('0\n');
    },
  );

  it('refuses to record a dump that lacks its last line, whatever on_suspicious_dump says', () => {
    expect(runCli(['backup', ...args]).code).toBe(0);
    const good = readFileSync(dumpFile(), 'utf8');
    const cut = box.path('cut_mysqldump');
    writeFileSync(cut, '#!/bin/sh\nmysqldump "$@" | head -n 30\n', { mode: 0o755 });
    configure([`dump_executable=${cut}`]);
    const failed = runCli(['backup', ...args]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      /refused: dump .*shop\.sql\.partial is incomplete: .*; the previous dump is kept/,
    );
    expect(failed.stderr).toMatch(SOURCE_LINE);
    expect(readFileSync(dumpFile(), 'utf8')).toBe(good);
  });

  it.each(['apply', 'script'] as const)(
    'fails the fetch of a mirror that holds nothing for the collect point through %s',
    (backend) => {
      expect(runCli(['backup', ...args]).code).toBe(0);
      const before = db.dump('shop');
      rmSync(box.path('mirror/site'), { recursive: true });
      mkdirSync(box.path('mirror/site'));
      rmSync(box.path('collect'), { recursive: true, force: true });
      const restore = restoreBy(backend);
      expect(restore.code).toBe(1);
      expect(restore.stderr).toContain(
        `backup point "mirror" holds no copy of collect point "site": ${box.path('mirror/site')} is missing or empty`,
      );
      expect(restore.stderr).toMatch(
        /failed with exit code 1: step \d+ of \d+ at mirror\.backup:3 \[point\]/,
      );
      expect(restore.stderr).toMatch(/failed +fetch:mirror\/site/);
      expect(restore.stderr).toMatch(/skipped +restore:site/);
      expect(restore.stderr).toMatch(/ok +restore:docs/);
      expect(restore.stderr).not.toContain('cannot measure');
      expect(db.dump('shop')).toBe(before);

      // A copy that holds something, but not the source's dump.
      writeFileSync(box.path('mirror/site/other.txt'), 'not a dump\n');
      rmSync(box.path('collect'), { recursive: true, force: true });
      const partial = restoreBy(backend);
      expect(partial.code).toBe(1);
      expect(partial.stderr).toContain(
        `the copy fetched from backup point "mirror" holds nothing for source "shop": ${dumpFile()} is missing`,
      );
      expect(partial.stderr).toMatch(REFUSED_STEP);
      expect(partial.stderr).toMatch(/ok +fetch:mirror\/site/);
      expect(db.dump('shop')).toBe(before);
    },
  );

  it('reports a dump that shrank, and keeps the previous one with on_suspicious_dump=fail', () => {
    db.sql(
      `CREATE TABLE filler (id INT PRIMARY KEY, text VARCHAR(250));
       INSERT INTO filler SELECT seq, REPEAT('x', 200) FROM seq_1_to_2000;`,
      'bulk',
    );
    configure(['database=bulk']);
    expect(runCli(['backup', ...args]).code).toBe(0);
    const big = statSync(dumpFile()).size;
    db.sql('DELETE FROM bulk.filler WHERE id > 10;');

    configure(['database=bulk', 'on_suspicious_dump=fail']);
    const refused = runCli(['backup', ...args]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /warning: dump .*shop\.sql\.partial shrank by more than \d+%: bytes: \d+ before, \d+ now/,
    );
    expect(statSync(dumpFile()).size).toBe(big);

    configure(['database=bulk']);
    // The dump is kept with a warning, but the mirror's copy guard refuses to let it replace the
    // good copy of a much larger one: that takes --allow-shrink.
    const warned = runCli(['backup', ...args]);
    expect(warned.code, warned.stderr).toBe(1);
    expect(warned.stderr).toContain('shrank');
    expect(warned.stderr).toMatch(/would shrink by more than 50%/);
    expect(runCli(['backup', '--allow-shrink', ...args]).code).toBe(0);
    expect(statSync(dumpFile()).size).toBeLessThan(big / 2);
    db.sql('DROP TABLE bulk.filler;');
  });

  it.runIf(canSudo)('runs mysqldump as sudo_user, reading the password file given to that user', () => {
    // unix_socket authentication proves the identity: only the OS user mysql is let in as mysql.
    db.sql(
      "CREATE USER IF NOT EXISTS 'mysql'@'localhost' IDENTIFIED VIA unix_socket; GRANT ALL ON shop.* TO 'mysql'@'localhost'; GRANT SELECT ON mysql.proc TO 'mysql'@'localhost';",
    );
    configure(['user=', 'password=', 'sudo_user=mysql']);
    const asMysql = runCli(['backup', ...args]);
    expect(asMysql.code, asMysql.stderr).toBe(0);
    expect(readFileSync(dumpFile(), 'utf8')).toContain('Zoë Ørsted');

    configure(['sudo_user=nobody']);
    for (const run of [() => runCli(['backup', ...args]), () => runScript(script('backup'))]) {
      const result = run();
      const code = 'code' in result ? result.code : result.status;
      expect(code, result.stderr).toBe(0);
    }
    expect(readFileSync(dumpFile(), 'utf8')).toContain('Zoë Ørsted');
  });
});
