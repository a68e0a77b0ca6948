import { spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeTree } from '../helpers/remove-tree.js';
import { haveTools } from '../helpers/tools.js';
import { snapshotTree } from '../helpers/tree.js';
import { freePort } from './server-process.js';

/**
 * A private PostgreSQL 15 cluster for the tests: never the system-wide service. It listens on a
 * unix socket in its own temp dir (peer auth, for sudo_user=postgres) and on a free loopback TCP
 * port with scram-sha-256 password auth (for the password tests).
 */
export const PG_BIN = '/usr/lib/postgresql/15/bin';

export function havePostgres(): boolean {
  return haveTools(
    `${PG_BIN}/initdb`,
    `${PG_BIN}/pg_ctl`,
    `${PG_BIN}/postgres`,
    'pg_dump',
    'psql',
    'runuser',
    'sudo',
  );
}

export interface PgServer {
  /** Temp dir owned by postgres: data/, the socket, the log. */
  readonly dir: string;
  readonly socketDir: string;
  readonly port: number;
  /** Runs SQL as the postgres superuser (peer auth over the socket); throws with psql's stderr on error. */
  sql(sql: string, database?: string): string;
  /** A role that logs in over TCP with this password. */
  createRole(name: string, password: string, attributes?: string): void;
  /** A plain SQL dump of a database, for comparing two states of it. */
  dump(database: string): string;
  start(): void;
  stop(): void;
  /** Stops the server and removes its directory. */
  destroy(): void;
}

export async function startPostgres(): Promise<PgServer> {
  const dir = mkdtempSync(join(tmpdir(), 'polyarchiv-pg-'));
  const { uid, gid } = postgresIds();
  chownSync(dir, uid, gid);
  const data = join(dir, 'data');
  const port = await freePort();
  asPostgres([
    `${PG_BIN}/initdb`,
    '--pgdata',
    data,
    '--username=postgres',
    '--encoding=UTF8',
    '--locale=C',
    '--auth-local=peer',
    '--auth-host=scram-sha-256',
  ]);
  const server: PgServer = {
    dir,
    socketDir: dir,
    port,
    sql(sql, database = 'postgres') {
      return asPostgres(
        [
          'psql',
          ...connection(dir, port),
          '--no-psqlrc',
          '--set=ON_ERROR_STOP=1',
          '--quiet',
          '--tuples-only',
          '--no-align',
          `--dbname=${database}`,
        ],
        sql,
      );
    },
    createRole(name, password, attributes = '') {
      // Dollar quoting with a tag that cannot occur in a test password keeps it literal.
      server.sql(
        `CREATE ROLE "${name}" LOGIN ${attributes} PASSWORD $pw_polyarchiv$${password}$pw_polyarchiv$`,
      );
    },
    dump(database) {
      return asPostgres(['pg_dump', ...connection(dir, port), '--no-password', '--', database]);
    },
    start() {
      asPostgres([
        `${PG_BIN}/pg_ctl`,
        '--pgdata',
        data,
        '--log',
        join(dir, 'server.log'),
        '--wait',
        '--options',
        `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off`,
        'start',
      ]);
    },
    stop() {
      asPostgres([`${PG_BIN}/pg_ctl`, '--pgdata', data, '--mode=fast', '--wait', 'stop']);
    },
    destroy() {
      try {
        server.stop();
      } finally {
        removeTree(dir);
      }
    },
  };
  server.start();
  return server;
}

function connection(socketDir: string, port: number): string[] {
  return [`--host=${socketDir}`, `--port=${port}`, '--username=postgres'];
}

/** initdb refuses root, and peer auth maps the OS user postgres to the role postgres. */
function asPostgres(argv: readonly string[], input?: string): string {
  const result = spawnSync('runuser', ['-u', 'postgres', '--', ...argv], {
    encoding: 'utf8',
    cwd: '/',
    ...(input === undefined ? {} : { input }),
  });
  if (result.status !== 0) {
    throw new Error(`${argv.join(' ')} failed (${result.status}): ${result.stderr}${result.error ?? ''}`);
  }
  return result.stdout;
}

function postgresIds(): { uid: number; gid: number } {
  const id = (flag: string) =>
    Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Writes an executable script (a dump_executable wrapper, say). */
export function writeExecutable(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o755 });
}

/**
 * A sample data set that a dump must carry faithfully: unicode, NULLs, bytea, a view, a trigger
 * and its function, a sequence. Run it as the role that will own the objects.
 */
export const SAMPLE_SQL = `
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, city text, note text);
CREATE TABLE orders (
  id serial PRIMARY KEY,
  customer integer NOT NULL REFERENCES customers(id),
  total numeric(10, 2),
  placed timestamptz,
  updated timestamptz
);
CREATE TABLE blobs (id integer PRIMARY KEY, bytes bytea);
INSERT INTO customers (name, city, note) VALUES
  ('Zoë Ærøskøbing', 'Köln', 'naïve café ✓'),
  ('山田 太郎', '東京', NULL),
  ('O''Brien "quoted" \\ back', NULL, E'tab\\tand\\nnewline'),
  ('Ελένη', 'Αθήνα', '🙂 emoji');
INSERT INTO orders (customer, total, placed) VALUES
  (1, 12.50, '2026-01-02 03:04:05+01'), (2, NULL, NULL), (3, 0.01, '1999-12-31 23:59:59+00');
INSERT INTO blobs VALUES (1, '\\x00ff10805c27'::bytea), (2, NULL), (3, ''::bytea);
CREATE VIEW customer_totals AS
  SELECT c.name, sum(o.total) AS total FROM customers c LEFT JOIN orders o ON o.customer = c.id GROUP BY c.name;
CREATE FUNCTION touch_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated := '2000-01-01 00:00:00+00';
  RETURN NEW;
END
$$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch_updated();
UPDATE orders SET total = total WHERE id = 1;
`;

/** pg_dump (15.14 and later) guards each dump with a random `\\restrict` key: the only difference. */
export const withoutKey = (dump: string): string =>
  dump.replace(/^\\(un)?restrict \S+$/gm, '\\$1restrict <key>');
export const sameDump = (a: string, b: string): boolean => withoutKey(a) === withoutKey(b);

/** The tree of one run, dumps compared by content without their restrict key. */
export function comparable(root: string): Record<string, string> {
  const tree = snapshotTree(root);
  for (const key of Object.keys(tree).filter((k) => k.endsWith('.sql'))) {
    tree[key] = withoutKey(readFileSync(`${root}/${key}`, 'utf8'));
  }
  return tree;
}

/**
 * Waits for a process whose command line names `marker`, then reads every process's command line
 * and environment for any of `secrets`, until `done` settles.
 */
export async function scanProcessesWhile(marker: string, secrets: readonly string[], done: Promise<unknown>) {
  let finished = false;
  void done.then(() => {
    finished = true;
  });
  const leaks: string[] = [];
  let scanned = 0;
  while (!finished) {
    const pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
    const texts = pids.flatMap((pid) =>
      ['cmdline', 'environ'].map((file) => {
        try {
          return { where: `${pid}/${file}`, text: readFileSync(`/proc/${pid}/${file}`, 'utf8') };
        } catch {
          return { where: '', text: '' };
        }
      }),
    );
    if (texts.some((t) => t.where.endsWith('cmdline') && t.text.includes(marker))) {
      scanned++;
      for (const t of texts) if (secrets.some((secret) => t.text.includes(secret))) leaks.push(t.where);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { scanned, leaks };
}
