import { existsSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { runScript, usePostgresCase } from '../helpers/postgres-case.js';
import { haveTools } from '../helpers/tools.js';
import { havePostgres, sameDump } from '../servers/postgresql.js';

// Roles live outside databases: a rebuilt server lacks those a dump gives objects or grants to.
const canRun = havePostgres() && haveTools('rsync', 'flock', 'bash', 'sudo', 'touch', 'awk');

describe.runIf(canRun)('a PostgreSQL dump restored onto a server that lacks its roles', () => {
  const t = usePostgresCase();

  const restoreThrough = (backend: 'apply' | 'script') => {
    if (backend === 'apply') return runCli(['restore', '--yes', '--from', 'mirror', ...t.args]);
    const run = runScript(t.box, runCli(['plan', '--restore', '--from', 'mirror', ...t.args]).stdout, {});
    return { code: run.status, stderr: run.stderr };
  };

  /** The database backed up as it is now, then dropped: its dump, for comparison. */
  const backedUpThenDropped = (): string => {
    const { pg, database } = t;
    t.writeConfig([
      'engine = postgresql',
      `socket = ${pg.socketDir}`,
      `port = ${pg.port}`,
      'sudo_user = postgres',
      `database = ${database}`,
    ]);
    const before = pg.dump(database);
    expect(runCli(['backup', ...t.args]).code).toBe(0);
    t.dropDatabase();
    return before;
  };

  it.each(['apply', 'script'] as const)(
    'stops before anything changes for the roles of default privileges, policies and user mappings, through %s',
    (backend) => {
      const { pg, database, box } = t;
      // Only these statements name these roles: no object is theirs, no table granted to them.
      const roles =
        'CREATE ROLE "Def Owner"; CREATE ROLE "odd ""q"" name"; CREATE ROLE polreader; CREATE ROLE mapper;';
      const dropRoles =
        'DROP ROLE "Def Owner"; DROP ROLE "odd ""q"" name"; DROP ROLE polreader; DROP ROLE mapper;';
      pg.sql(roles);
      pg.sql(
        `ALTER DEFAULT PRIVILEGES FOR ROLE "Def Owner" IN SCHEMA public GRANT SELECT ON TABLES TO "odd ""q"" name";
         ALTER TABLE customers ENABLE ROW LEVEL SECURITY;
         CREATE POLICY readers ON customers FOR SELECT TO polreader, "odd ""q"" name" USING (city IS NOT NULL);
         CREATE EXTENSION postgres_fdw;
         CREATE SERVER elsewhere FOREIGN DATA WRAPPER postgres_fdw;
         CREATE USER MAPPING FOR mapper SERVER elsewhere;
         CREATE USER MAPPING FOR PUBLIC SERVER elsewhere;`,
        database,
      );
      const before = backedUpThenDropped();
      pg.sql(dropRoles);
      rmSync(box.path('collect'), { recursive: true });

      const refused = restoreThrough(backend);
      expect(refused.code, refused.stderr).toBe(1);
      expect(refused.stderr).toContain(
        `the dump of PostgreSQL database "${database}" gives objects to roles this server lacks: "Def Owner", mapper, "odd ""q"" name", polreader; nothing was restored`,
      );
      expect(pg.sql(`SELECT count(*) FROM pg_database WHERE datname = '${database}'`).trim()).toBe('0');
      expect(existsSync(box.path('collect/site/metadata/collect_point/restore-unfinished'))).toBe(false);

      pg.sql(roles);
      const again = restoreThrough(backend);
      expect(again.code, again.stderr).toBe(0);
      expect(sameDump(pg.dump(database), before)).toBe(true);
      pg.sql(`DROP DATABASE "${database}"`);
      pg.sql(dropRoles);
    },
  );

  it.each(['apply', 'script'] as const)(
    'stops for the roles of the database properties when it creates the database, and only then, through %s',
    (backend) => {
      const { pg, database, box } = t;
      // Only the properties dump names this role: no object of the database is its, or granted to it.
      pg.sql(
        `CREATE ROLE "Connect Only"; GRANT CONNECT ON DATABASE "${database}" TO "Connect Only";
         ALTER ROLE "Connect Only" IN DATABASE "${database}" SET work_mem = '8MB';`,
      );
      const before = backedUpThenDropped();
      pg.sql('DROP ROLE "Connect Only";');
      rmSync(box.path('collect'), { recursive: true });

      const refused = restoreThrough(backend);
      expect(refused.code, refused.stderr).toBe(1);
      expect(refused.stderr).toContain(
        `gives objects to roles this server lacks: "Connect Only"; nothing was restored`,
      );
      expect(pg.sql(`SELECT count(*) FROM pg_database WHERE datname = '${database}'`).trim()).toBe('0');
      expect(existsSync(box.path('collect/site/metadata/collect_point/restore-unfinished'))).toBe(false);

      // The database there, its properties are not applied: the role is not needed.
      pg.sql(`CREATE DATABASE "${database}" OWNER app`);
      const restored = restoreThrough(backend);
      expect(restored.code, restored.stderr).toBe(0);
      expect(restored.stderr).not.toContain('ERROR');
      expect(sameDump(pg.dump(database), before)).toBe(true);
      pg.sql(`DROP DATABASE "${database}"`);
    },
  );

  it.each(['apply', 'script'] as const)(
    'stops before anything changes, naming every missing role, through %s',
    (backend) => {
      const { pg, database, box } = t;
      pg.sql('CREATE ROLE reader; CREATE ROLE "Big Owner";');
      pg.sql(
        `GRANT SELECT ON customers TO reader;
         CREATE TABLE extra (id int); INSERT INTO extra VALUES (1); ALTER TABLE extra OWNER TO "Big Owner";`,
        database,
      );
      const before = backedUpThenDropped();
      pg.sql('DROP ROLE reader; DROP ROLE "Big Owner";');
      rmSync(box.path('collect'), { recursive: true });

      const restore = () => restoreThrough(backend);
      const refused = restore();
      expect(refused.code, refused.stderr).toBe(1);
      expect(refused.stderr).toContain(
        `the dump of PostgreSQL database "${database}" gives objects to roles this server lacks: "Big Owner", reader; nothing was restored`,
      );
      expect(refused.stderr).toMatch(/HINT: +Create them \(pg_dumpall --roles-only/);
      expect(refused.stderr).toMatch(/step \d+ of \d+ at site\.collect:\d+ \[source "db"\]/);
      // Neither the database nor the mark of a restore begun: nothing was changed.
      expect(pg.sql(`SELECT count(*) FROM pg_database WHERE datname = '${database}'`).trim()).toBe('0');
      expect(existsSync(box.path('collect/site/metadata/collect_point/restore-unfinished'))).toBe(false);

      pg.sql('CREATE ROLE reader; CREATE ROLE "Big Owner";');
      const again = restore();
      expect(again.code, again.stderr).toBe(0);
      expect(sameDump(pg.dump(database), before)).toBe(true);
      pg.sql(`DROP DATABASE "${database}"`);
      pg.sql('DROP ROLE reader; DROP ROLE "Big Owner";');
    },
  );
});
