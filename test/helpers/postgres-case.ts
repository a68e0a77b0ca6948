import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { type PgServer, SAMPLE_SQL, startPostgres } from '../servers/postgresql.js';
import { makeSandbox, type Sandbox } from './sandbox.js';

export const SECRET_VARIABLE = 'POLYARCHIV_SECRET_SITE_DB_PASSWORD';
export const NOW = ['--now', '2026-03-10T04:05:06+01:00'];

/** What each test of a postgresql file works with; read it in the test, once the hooks have run. */
export interface PostgresCase {
  readonly pg: PgServer;
  readonly box: Sandbox;
  /** A database of this test, with the sample data, owned by `app`. */
  readonly database: string;
  /** -C and --set root for the sandbox's configuration. */
  readonly args: string[];
  /** The number of this test in its file. */
  readonly serial: number;
  /**
   * Every character the pgpass format, ini values and shells treat specially; unique to the file's
   * run, so that a /proc scan does not see another file's (a parity script exports it).
   */
  readonly password: string;
  /** The source over TCP with the password, as the `app` role. */
  passwordSource(extra?: readonly string[]): string[];
  /** The collect point `site` with `source` as its source "db", and a synchronize mirror. */
  writeConfig(source: readonly string[], more?: Record<string, string>): void;
  dumpFile(): string;
  dropDatabase(): void;
}

/**
 * Starts one PostgreSQL 15 for the tests of the calling `describe` (a role `app` with the
 * password), and gives each test a sandbox and a database of its own, with the source configured.
 */
export function usePostgresCase(): PostgresCase {
  const password = `p:a\\ss w'o"rd $HOME ${randomBytes(6).toString('hex')}:\\`;
  let pg: PgServer;
  let box: Sandbox;
  let database = '';
  let args: string[] = [];
  let serial = 0;

  beforeAll(async () => {
    pg = await startPostgres();
    pg.createRole('app', password, 'CREATEDB');
  }, 60_000);
  afterAll(() => pg?.destroy());

  const passwordSource = (extra: readonly string[] = []): string[] => [
    'engine = postgressql',
    'host = 127.0.0.1',
    `port = ${pg.port}`,
    'user = app',
    `password = ${password}`,
    `database = ${database}`,
    ...extra,
  ];
  const writeConfig = (source: readonly string[], more: Record<string, string> = {}) => {
    box.write({
      'config/site.collect': `[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "db"]\n${source.join('\n')}\n`,
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = file://{root}/mirror/{name}\n',
      ...more,
    });
  };

  beforeEach(() => {
    box = makeSandbox('polyarchiv-pg-e2e-');
    database = `shop ${++serial} ünï`;
    pg.sql(`CREATE DATABASE "${database}" OWNER app`);
    pg.sql(`SET ROLE app;\n${SAMPLE_SQL}`, database);
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
    writeConfig(passwordSource());
  });
  afterEach(() => box.remove());

  return {
    get pg() {
      return pg;
    },
    get box() {
      return box;
    },
    get database() {
      return database;
    },
    get args() {
      return args;
    },
    get serial() {
      return serial;
    },
    password,
    passwordSource,
    writeConfig,
    dumpFile: () => box.path('collect/site/backups/postgresql.sql'),
    dropDatabase: () => pg.sql(`DROP DATABASE "${database}"`),
  };
}

/** From a file: `bash -c` would put the script, and an embedded secret, on a command line. */
export function runScript(box: Sandbox, script: string, env: Record<string, string>) {
  writeFileSync(box.path('plan.sh'), script, { mode: 0o600 });
  return spawnSync('bash', [box.path('plan.sh'), '--yes'], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
}
