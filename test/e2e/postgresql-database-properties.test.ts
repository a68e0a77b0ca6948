import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { type PostgresCase, runScript, usePostgresCase } from '../helpers/postgres-case.js';
import { haveTools } from '../helpers/tools.js';
import { havePostgres, sameDump } from '../servers/postgresql.js';

// The database itself, which pg_dump's dump of its objects leaves out: owner, settings, grants.
const canRun = havePostgres() && haveTools('rsync', 'flock', 'bash', 'sudo', 'touch');

/** What a dropped database must get back besides its objects, one line (its grants sorted). */
function properties(t: PostgresCase): string {
  return t.pg
    .sql(
      `SELECT pg_get_userbyid(d.datdba), array(SELECT a::text FROM unnest(d.datacl) a ORDER BY 1), s.setconfig, shobj_description(d.oid, 'pg_database')
       FROM pg_database d LEFT JOIN pg_db_role_setting s ON s.setdatabase = d.oid AND s.setrole = 0
       WHERE d.datname = '${t.database}'`,
    )
    .trim();
}

/** The superuser over the socket, as most servers' backups run: it may give the database to anyone. */
function asPostgres(t: PostgresCase): void {
  t.writeConfig([
    'engine = postgresql',
    `socket = ${t.pg.socketDir}`,
    `port = ${t.pg.port}`,
    'sudo_user = postgres',
    `database = ${t.database}`,
  ]);
}

function restore(t: PostgresCase, backend: 'apply' | 'script', more: readonly string[] = []) {
  if (backend === 'apply') {
    const run = runCli(['restore', '--yes', ...more, ...t.args]);
    return { code: run.code, stderr: run.stderr };
  }
  const run = runScript(t.box, runCli(['plan', '--restore', ...more, ...t.args]).stdout, {});
  return { code: run.status, stderr: run.stderr };
}

describe.runIf(canRun)('a dropped PostgreSQL database restored with what the database itself holds', () => {
  const t = usePostgresCase();

  it.each(['apply', 'script'] as const)(
    'gives it back its owner, settings, grants and comment through %s',
    (backend) => {
      const { pg, database, box } = t;
      pg.sql(
        'DO $$ BEGIN CREATE ROLE reader; EXCEPTION WHEN duplicate_object THEN NULL; END $$;\n' +
          `ALTER DATABASE "${database}" SET work_mem = '8MB';\n` +
          `REVOKE CONNECT ON DATABASE "${database}" FROM PUBLIC;\n` +
          `GRANT CONNECT, TEMPORARY ON DATABASE "${database}" TO reader;\n` +
          `COMMENT ON DATABASE "${database}" IS 'the shop''s data';\n`,
      );
      pg.sql('GRANT SELECT ON customers TO reader', database);
      pg.sql("SELECT setval('orders_id_seq', 41)", database);
      asPostgres(t);
      const before = { objects: pg.dump(database), database: properties(t) };
      expect(before.database).toContain('app|');
      expect(before.database).toContain('reader=Tc/app');
      expect(runCli(['backup', ...t.args]).code).toBe(0);
      expect(readFileSync(box.path('mirror/site/postgresql.sql.database.sql'), 'utf8')).toContain(
        'OWNER TO app',
      );

      t.dropDatabase();
      const restored = restore(t, backend);
      expect(restored.code, restored.stderr).toBe(0);
      expect(properties(t)).toBe(before.database);
      expect(sameDump(pg.dump(database), before.objects)).toBe(true);
      expect(pg.sql('SELECT last_value FROM orders_id_seq', database).trim()).toBe('41');

      // A database that is there keeps what it has become: only its objects are replaced.
      pg.sql(`ALTER DATABASE "${database}" OWNER TO postgres`);
      const changed = properties(t);
      const again = restore(t, backend);
      expect(again.code, again.stderr).toBe(0);
      expect(properties(t)).toBe(changed);
      expect(sameDump(pg.dump(database), before.objects)).toBe(true);
    },
  );

  it.each(['apply', 'script'] as const)(
    'creates it as before from a copy made without its properties through %s',
    (backend) => {
      const { pg, database, box } = t;
      asPostgres(t);
      const before = pg.dump(database);
      expect(runCli(['backup', ...t.args]).code).toBe(0);
      rmSync(box.path('mirror/site/postgresql.sql.database.sql'));
      rmSync(box.path('collect'), { recursive: true });
      t.dropDatabase();
      const restored = restore(t, backend, ['--from', 'mirror']);
      expect(restored.code, restored.stderr).toBe(0);
      expect(sameDump(pg.dump(database), before)).toBe(true);
      // The role the restore connects as, as the server creates any database.
      expect(properties(t)).toMatch(/^postgres\|/);
    },
  );

  it.each(['apply', 'script'] as const)(
    'restores the objects through %s when the owner cannot be given back, saying so',
    (backend) => {
      const { pg, database } = t;
      pg.sql(
        'DO $$ BEGIN CREATE ROLE reader; EXCEPTION WHEN duplicate_object THEN NULL; END $$;\n' +
          `ALTER DATABASE "${database}" OWNER TO reader;\n`,
      );
      // app may create databases, not give them to a role it is not a member of.
      t.writeConfig(t.passwordSource());
      const before = pg.dump(database);
      expect(runCli(['backup', ...t.args]).code).toBe(0);
      t.dropDatabase();
      const restored =
        backend === 'apply'
          ? runCli(['restore', '--yes', ...t.args])
          : (() => {
              const run = runScript(t.box, runCli(['plan', '--restore', ...t.args]).stdout, {
                POLYARCHIV_SECRET_SITE_DB_PASSWORD: t.password,
              });
              return { code: run.status, stderr: run.stderr };
            })();
      expect(restored.code, restored.stderr).toBe(0);
      expect(restored.stderr).toContain('must be member of role "reader"');
      expect(sameDump(pg.dump(database), before)).toBe(true);
      expect(properties(t)).toMatch(/^app\|/);
    },
  );

  it.each(['apply', 'script'] as const)(
    'stops before creating or loading anything when the server lacks the recorded locale, through %s',
    (backend) => {
      const { pg, database, box } = t;
      asPostgres(t);
      const before = pg.dump(database);
      expect(runCli(['backup', ...t.args]).code).toBe(0);
      // The copy of a server that had a locale this one lacks.
      const file = box.path('mirror/site/postgresql.sql.database.sql');
      const recorded = readFileSync(file, 'utf8');
      expect(recorded).toContain("LOCALE = 'C';");
      writeFileSync(file, recorded.replace("LOCALE = 'C';", "LOCALE = 'xx_XX.UTF-8';"));
      rmSync(box.path('collect'), { recursive: true });
      t.dropDatabase();

      const refused = restore(t, backend, ['--from', 'mirror']);
      expect(refused.code, refused.stderr).toBe(1);
      expect(refused.stderr).toContain('invalid locale name: "xx_XX.UTF-8"');
      expect(refused.stderr).toContain(
        `PostgreSQL database "${database}" could not be created as its backup recorded it, with locale xx_XX.UTF-8 (the errors above say why): nothing was restored`,
      );
      expect(refused.stderr).toMatch(/HINT: +If this machine lacks that locale, generate it .*locale-gen/);
      expect(refused.stderr).toContain('postgresql.sql.database.sql).');
      expect(refused.stderr).toMatch(/step \d+ of \d+ at site\.collect:\d+ \[source "db"\]/);
      expect(pg.sql(`SELECT count(*) FROM pg_database WHERE datname = '${database}'`).trim()).toBe('0');

      // The remedy it gives: the database made by hand with a locale this server has is kept.
      pg.sql(`CREATE DATABASE "${database}" OWNER app TEMPLATE template0 LOCALE 'C.utf8'`);
      const again = restore(t, backend, ['--from', 'mirror']);
      expect(again.code, again.stderr).toBe(0);
      expect(sameDump(pg.dump(database), before)).toBe(true);
      expect(pg.sql(`SELECT datcollate FROM pg_database WHERE datname = '${database}'`).trim()).toBe(
        'C.utf8',
      );
    },
  );
});
