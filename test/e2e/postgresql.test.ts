import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { shellWord } from '../../src/backends/bash/shell-word.js';
import { PG_DUMP_COMPLETE } from '../../src/engines/sources/postgresql.js';
import { runCli } from '../helpers/cli.js';
import { NOW, runScript, SECRET_VARIABLE, usePostgresCase } from '../helpers/postgres-case.js';
import { haveTools } from '../helpers/tools.js';
import { comparable, havePostgres, SAMPLE_SQL, sameDump, writeExecutable } from '../servers/postgresql.js';

// Its secrets and its failures: postgresql-secrets-and-failures.test.ts.
const canRun = havePostgres() && haveTools('rsync', 'flock', 'bash', 'sha256sum', 'sudo');

describe.runIf(canRun)('the postgresql source against a real PostgreSQL 15', () => {
  const t = usePostgresCase();

  it('restores a database with unicode, NULLs, bytea, a view and a trigger after it was dropped', () => {
    const { pg, box, database, args, dumpFile, dropDatabase } = t;
    const before = pg.dump(database);
    const backup = runCli(['backup', ...args]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(readFileSync(dumpFile(), 'utf8')).toContain('Zoë Ærøskøbing');
    expect(readFileSync(box.path('mirror/site/postgresql.sql'), 'utf8')).toContain(
      'CREATE TRIGGER orders_touch',
    );

    dropDatabase();
    const restore = runCli(['restore', '--yes', ...args]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(sameDump(pg.dump(database), before)).toBe(true);
    // Restoring over the live database replaces its objects in one transaction.
    pg.sql("UPDATE customers SET city = 'changed'", database);
    expect(runCli(['restore', '--yes', ...args]).code).toBe(0);
    expect(sameDump(pg.dump(database), before)).toBe(true);
  });

  it('rolls back a restore that fails halfway, leaving the database as it was', () => {
    const { pg, box, database, args } = t;
    expect(runCli(['backup', ...args]).code).toBe(0);
    pg.sql("UPDATE customers SET city = 'after the backup'", database);
    const current = pg.dump(database);
    appendFileSync(box.path('mirror/site/postgresql.sql'), 'SELECT no_such_function();\n');
    const restore = runCli(['restore', '--yes', ...args]);
    expect(restore.code).toBe(1);
    expect(restore.stderr).toContain('function no_such_function() does not exist');
    expect(restore.stderr).toContain('load the dump into PostgreSQL database');
    expect(restore.stderr).toMatch(/failed +restore:site/);
    expect(sameDump(pg.dump(database), current)).toBe(true);
  });

  it.each(['apply', 'script'] as const)(
    'refuses an empty or cut dump through %s before it drops anything, and loads a cut one with --allow-shrink',
    (backend) => {
      const { pg, box, database, args, password } = t;
      expect(runCli(['backup', ...args]).code).toBe(0);
      const mirrored = box.path('mirror/site/postgresql.sql');
      const whole = readFileSync(mirrored, 'utf8');
      expect(whole).toContain(`\n${PG_DUMP_COMPLETE}\n`);
      pg.sql("UPDATE customers SET city = 'after the backup'", database);
      const current = pg.dump(database);
      const restore = (more: string[] = []) => {
        // A rebuilt machine: the collect point's copy and states are gone, the mirror is read.
        rmSync(box.path('collect'), { recursive: true, force: true });
        const flags = ['--from', 'mirror', ...more, ...args];
        if (backend === 'apply') return runCli(['restore', '--yes', ...flags]);
        const run = runScript(box, runCli(['plan', '--restore', ...flags]).stdout, {
          [SECRET_VARIABLE]: password,
        });
        return { code: run.status, stderr: run.stderr };
      };
      const fetched = box.path('collect/site/backups/postgresql.sql');
      const cut = whole.slice(0, whole.indexOf('COPY public.customers'));
      for (const [text, problem] of [
        ['', 'is empty'],
        [cut, `is incomplete: no line of its last 4096 bytes starts with '${PG_DUMP_COMPLETE}'`],
      ] as const) {
        writeFileSync(mirrored, text);
        const refused = restore();
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain(`dump ${fetched} ${problem}`);
        expect(refused.stderr).toContain(
          'refused: nothing was changed; run with --allow-shrink if this is expected',
        );
        expect(refused.stderr).toMatch(
          /failed with exit code 1: step \d+ of \d+ at site\.collect:5 \[source "db"\]/,
        );
        expect(sameDump(pg.dump(database), current)).toBe(true);
      }
      const allowed = restore(['--allow-shrink']);
      expect(allowed.code, allowed.stderr).toBe(0);
      expect(allowed.stderr).toContain('accepted: --allow-shrink');
      expect(pg.sql('SELECT count(*) FROM customers', database).trim()).toBe('0');
    },
  );

  it('leaves the same dumps and state through apply and through the rendered script', () => {
    const { pg, box, database, args, password, dropDatabase } = t;
    const viaApply = [...args.slice(0, 2), '--set', `root=${box.path('a')}`, ...NOW];
    const viaScript = [...args.slice(0, 2), '--set', `root=${box.path('b')}`, ...NOW];
    const scriptEnv = { [SECRET_VARIABLE]: password };
    const before = pg.dump(database);

    expect(runCli(['backup', ...viaApply]).code).toBe(0);
    const backup = runScript(box, runCli(['plan', ...viaScript]).stdout, scriptEnv);
    expect(backup.status, backup.stderr).toBe(0);
    expect(comparable(box.path('b'))).toEqual(comparable(box.path('a')));

    dropDatabase();
    const restored = runScript(box, runCli(['plan', '--restore', ...viaScript]).stdout, scriptEnv);
    expect(restored.status, restored.stderr).toBe(0);
    expect(sameDump(pg.dump(database), before)).toBe(true);
    dropDatabase();
    expect(runCli(['restore', '--yes', ...viaApply]).code).toBe(0);
    expect(sameDump(pg.dump(database), before)).toBe(true);
    expect(comparable(box.path('b'))).toEqual(comparable(box.path('a')));

    // --include-secrets embeds the value in an assignment, never on a command line.
    const embedded = runCli(['plan', '--include-secrets', ...viaScript]).stdout;
    expect(runScript(box, embedded, {}).status).toBe(0);
    // Eight runs against the server: more than the default allows on a loaded machine.
  }, 180_000);

  it('restores as sudo_user postgres with peer authentication over the unix socket', () => {
    const { pg, args, serial, writeConfig } = t;
    const owned = `peer ${serial}`;
    pg.sql(`CREATE DATABASE "${owned}"`);
    pg.sql(SAMPLE_SQL, owned);
    const before = pg.dump(owned);
    writeConfig([
      'engine = postgresql',
      `socket = ${pg.socketDir}`,
      `port = ${pg.port}`,
      'sudo_user = postgres',
      `database = ${owned}`,
    ]);
    const backup = runCli(['backup', '--show-commands', ...args]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stderr).toContain(`sudo -n -u postgres -- pg_dump`);
    pg.sql(`DROP DATABASE "${owned}"`);
    const restore = runCli(['restore', '--yes', ...args]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(sameDump(pg.dump(owned), before)).toBe(true);
  });

  it('connects to nothing and writes nothing with --dry, and shows the commands it runs', () => {
    const { box, args, passwordSource, writeConfig } = t;
    const log = box.path('argv.log');
    for (const tool of ['pg_dump', 'psql']) {
      writeExecutable(
        box.path(`logged_${tool}`),
        `#!/bin/sh\nprintf '%s\\n' "$@" >> '${log}'\necho >> '${log}'\nexec ${tool} "$@"\n`,
      );
    }
    writeConfig(
      passwordSource([
        `dump_executable = ${box.path('logged_pg_dump')}`,
        `restore_executable = ${box.path('logged_psql')}`,
      ]),
    );
    for (const command of ['backup', 'restore']) {
      const dry = runCli([command, '--dry', ...(command === 'restore' ? ['--from', 'mirror'] : []), ...args]);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stderr).toContain(command === 'backup' ? '/logged_pg_dump ' : '/logged_psql ');
      expect(existsSync(log)).toBe(false);
      expect(existsSync(box.path('collect'))).toBe(false);
    }
    const shown = runCli(['backup', '--show-commands', ...args]);
    expect(shown.code, shown.stderr).toBe(0);
    // The argv that ran, quoted back for bash, is the line shown (after its environment).
    // The first run is the dump's; the second, that of the database's own properties.
    const ran = readFileSync(log, 'utf8').split('\n\n')[0]?.split('\n') ?? [];
    const line = [box.path('logged_pg_dump'), ...ran].map(shellWord).join(' ');
    // Its error output is kept until it ends, to say which option a refused login blames.
    expect(shown.stderr).toContain(
      `pgpass.site.db ${line} > ${box.path('collect/site/metadata/work/postgresql.sql.partial')} 2> "\${polyarchiv_work}"/tool.`,
    );
  });
});

describe('the postgresql example configuration', () => {
  it('plans without a diagnostic and without its password', () => {
    const plan = runCli(['plan', '-C', 'examples/postgresql', '--set', 'root=/tmp/polyarchiv-example']);
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('"${POLYARCHIV_SECRET_DATABASES_SHOP_PASSWORD:?}"');
    expect(plan.stdout).not.toContain('change me');
  });
});
