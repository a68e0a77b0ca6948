import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyProcess, freePort, stopChild } from './server-process.js';

/**
 * A private MariaDB server for one test file: data directory, unix socket, pid file and error log
 * in a temporary directory, plus a loopback TCP port. As root it runs as the `mysql` user (mariadbd
 * refuses root); otherwise as the current user. Administration goes through `root` without a
 * password over the socket, which only the test can reach.
 */
export interface MariaDb {
  readonly dir: string;
  readonly socket: string;
  readonly port: number;
  /** Runs SQL as the server's root (in `database` when given) and returns the tab-separated rows. */
  sql(query: string, database?: string): string;
  /** mysqldump as root, for comparing database contents independently of polyarchiv. */
  dump(database: string): string;
  stop(): Promise<void>;
}

export const MARIADB_TOOLS = ['mariadbd', 'mariadb-install-db', 'mysqldump', 'mysql'];

const isRoot = process.getuid?.() === 0;

export async function startMariaDb(): Promise<MariaDb> {
  const dir = mkdtempSync(join(tmpdir(), 'polyarchiv-mariadb-'));
  // Other local users (the server's, a sudo_user) must reach the socket inside.
  chmodSync(dir, 0o755);
  const asUser = isRoot ? ['--user=mysql'] : [];
  if (isRoot) chownSync(dir, userId('mysql', '-u'), userId('mysql', '-g'));
  const datadir = join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  const install = spawnSync(
    'mariadb-install-db',
    [
      '--no-defaults',
      `--datadir=${datadir}`,
      ...asUser,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
    ],
    { encoding: 'utf8' },
  );
  if (install.status !== 0) throw new Error(`mariadb-install-db failed:\n${install.stdout}${install.stderr}`);
  const port = await freePort();
  const server = spawn(
    'mariadbd',
    [
      '--no-defaults',
      `--datadir=${datadir}`,
      `--socket=${socket}`,
      `--pid-file=${join(dir, 'mysqld.pid')}`,
      `--log-error=${join(dir, 'error.log')}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_unicode_ci',
      ...asUser,
    ],
    { stdio: 'ignore' },
  );
  const admin = (args: string[], input?: string) =>
    spawnSync(
      'mysql',
      [
        '--no-defaults',
        '--user=root',
        `--socket=${socket}`,
        '--default-character-set=utf8mb4',
        '--batch',
        ...args,
      ],
      {
        encoding: 'utf8',
        ...(input === undefined ? {} : { input }),
      },
    );
  await waitFor(() => admin(['--skip-column-names', '--execute=SELECT 1']).status === 0, server, dir);
  return {
    dir,
    socket,
    port,
    sql(query, database) {
      const result = admin(['--skip-column-names', ...(database === undefined ? [] : [database])], query);
      if (result.status !== 0) throw new Error(`SQL failed: ${result.stderr}\n${query}`);
      return result.stdout;
    },
    dump(database) {
      const result = spawnSync(
        'mysqldump',
        [
          '--no-defaults',
          '--user=root',
          `--socket=${socket}`,
          '--routines',
          '--triggers',
          '--events',
          '--hex-blob',
          '--skip-dump-date',
          database,
        ],
        { encoding: 'utf8' },
      );
      if (result.status !== 0) throw new Error(`mysqldump failed: ${result.stderr}`);
      return result.stdout;
    },
    stop: () => destroyProcess(server, dir),
  };
}

function userId(user: string, flag: '-u' | '-g'): number {
  return Number(spawnSync('id', [flag, user], { encoding: 'utf8' }).stdout.trim());
}

async function waitFor(ready: () => boolean, server: ChildProcess, dir: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (server.exitCode !== null) break;
    if (ready()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  const log = spawnSync('cat', [join(dir, 'error.log')], { encoding: 'utf8' }).stdout;
  await stopChild(server);
  throw new Error(`MariaDB did not start:\n${log}`);
}

/**
 * A sample database that exercises what a dump must carry: utf8mb4 text, NULLs, binary data, a
 * foreign key, a view, a trigger, a function, a procedure and an event.
 */
export const SAMPLE_SQL = String.raw`
CREATE TABLE customers (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL,
  city VARCHAR(100) NULL, note TEXT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO customers (name, city, note) VALUES
  ('Zoë Ørsted', 'Zürich', 'emoji 🎉 and 日本語'),
  ('Bob "the" O''Brien', NULL, NULL),
  ('back\\slash', 'tab\there', 'line\nbreak');
CREATE TABLE files (id INT PRIMARY KEY, content BLOB NULL, digest BINARY(4) NULL) ENGINE=InnoDB;
INSERT INTO files VALUES (1, UNHEX('00FF10800D0A1A27225C'), UNHEX('DEADBEEF')), (2, NULL, NULL),
  (3, '', UNHEX('00000000'));
CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL,
  total DECIMAL(10,2) NULL, placed_at DATETIME NULL,
  FOREIGN KEY (customer_id) REFERENCES customers (id)) ENGINE=InnoDB;
CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, message VARCHAR(200)) ENGINE=InnoDB;
CREATE TRIGGER orders_audit AFTER INSERT ON orders FOR EACH ROW
  INSERT INTO audit (message) VALUES (CONCAT('order ', NEW.id));
INSERT INTO orders (customer_id, total, placed_at) VALUES (1, 12.50, '2026-01-02 03:04:05'), (2, NULL, NULL);
CREATE VIEW customer_totals AS SELECT c.name, SUM(o.total) AS total
  FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.name;
CREATE FUNCTION with_tax(amount DECIMAL(10,2)) RETURNS DECIMAL(10,2) DETERMINISTIC RETURN amount * 1.2;
CREATE PROCEDURE count_orders(OUT n INT) SELECT COUNT(*) INTO n FROM orders;
CREATE EVENT purge_audit ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM audit WHERE id < 0;
`;

/** A password as a SQL string literal. */
export const sqlString = (text: string): string => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
