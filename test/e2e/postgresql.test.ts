import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { shellWord } from '../../src/backends/bash/shell-word.js';
import { runCli, runCliAsync } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import {
  comparable,
  freePort,
  havePostgres,
  type PgServer,
  SAMPLE_SQL,
  sameDump,
  scanProcessesWhile,
  startPostgres,
  writeExecutable,
} from '../servers/postgresql.js';

const canRun = havePostgres() && haveTools('rsync', 'flock', 'bash', 'sha256sum', 'sudo');

/**
 * Every character the pgpass format, ini values and shells treat specially; unique to this run, so
 * that the /proc scan does not see another run of this file (a parity script exports it).
 */
const PASSWORD = `p:a\\ss w'o"rd $HOME ${randomBytes(6).toString('hex')}:\\`;
const SECRET_VARIABLE = 'POLYARCHIV_SECRET_SITE_DB_PASSWORD';
const NOW = ['--now', '2026-03-10T04:05:06+01:00'];

describe.runIf(canRun)('the postgresql source against a real PostgreSQL 15', () => {
  let pg: PgServer;
  let box: Sandbox;
  let database: string;
  let args: string[];
  let serial = 0;

  beforeAll(async () => {
    pg = await startPostgres();
    pg.createRole('app', PASSWORD, 'CREATEDB');
  }, 60_000);
  afterAll(() => pg?.destroy());

  beforeEach(() => {
    box = makeSandbox('polyarchiv-pg-e2e-');
    database = `shop ${++serial} ünï`;
    pg.sql(`CREATE DATABASE "${database}" OWNER app`);
    pg.sql(`SET ROLE app;\n${SAMPLE_SQL}`, database);
    args = ['-C', box.path('config'), '--set', `root=${box.root}`];
    writeConfig(passwordSource());
  });
  afterEach(() => box.remove());

  /** The source over TCP with the password, as the `app` role. */
  const passwordSource = (extra: string[] = []): string[] => [
    'engine = postgressql',
    'host = 127.0.0.1',
    `port = ${pg.port}`,
    'user = app',
    `password = ${PASSWORD}`,
    `database = ${database}`,
    ...extra,
  ];

  function writeConfig(source: string[], more: Record<string, string> = {}) {
    box.write({
      'config/site.collect': `[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "db"]\n${source.join('\n')}\n`,
      'config/mirror.backup': '[point]\nengine = synchronize\nremote_url = file://{root}/mirror/{name}\n',
      ...more,
    });
  }

  const dumpFile = () => box.path('collect/site/backups/postgresql.sql');
  const dropDatabase = () => pg.sql(`DROP DATABASE "${database}"`);

  it('restores a database with unicode, NULLs, bytea, a view and a trigger after it was dropped', () => {
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

  it('keeps the password off command lines, environments, logs, plans and scripts', async () => {
    const log = box.path('wrapper.log');
    writeExecutable(
      box.path('slow_pg_dump'),
      `#!/bin/sh\nstat -c %a "$PGPASSFILE" > '${log}'\nsleep 2\nexec pg_dump "$@"\n`,
    );
    writeConfig(passwordSource([`dump_executable = ${box.path('slow_pg_dump')}`]));
    const running = runCliAsync(['backup', '--show-commands', ...args]);
    const seen = await scanProcessesWhile(box.path('slow_pg_dump'), [PASSWORD], running);
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    expect(seen.scanned).toBeGreaterThan(0);
    expect(seen.leaks).toEqual([]);
    expect(readFileSync(log, 'utf8').trim()).toBe('600');
    expect(`${run.stdout}${run.stderr}`).not.toContain(PASSWORD);

    for (const format of ['text', 'json', 'bash']) {
      const plan = runCli(['plan', '--format', format, ...args]);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).not.toContain(PASSWORD);
      expect(plan.stdout).not.toContain('w\'o"rd');
      expect(plan.stdout).toContain(SECRET_VARIABLE);
    }
    const script = runCli(['plan', ...args]).stdout;
    expect(script).toContain(`"\${${SECRET_VARIABLE}:?}"`);
  });

  it('leaves the same dumps and state through apply and through the rendered script', () => {
    const viaApply = [...args.slice(0, 2), '--set', `root=${box.path('a')}`, ...NOW];
    const viaScript = [...args.slice(0, 2), '--set', `root=${box.path('b')}`, ...NOW];
    const scriptEnv = { [SECRET_VARIABLE]: PASSWORD };
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

  it('never shows the password under bash -x, with the variable exported or embedded', () => {
    const viaScript = [...args.slice(0, 2), '--set', `root=${box.path('b')}`, ...NOW];
    const traced = (script: string, env: Record<string, string>) => {
      writeFileSync(box.path('traced.sh'), script, { mode: 0o600 });
      return spawnSync('bash', ['-x', box.path('traced.sh')], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
    };
    const exported = traced(runCli(['plan', ...viaScript]).stdout, { [SECRET_VARIABLE]: PASSWORD });
    expect(exported.status, exported.stderr).toBe(0);
    // Tracing is back on after each secret: the dump and the mirror are traced.
    expect(exported.stderr).toContain('+ polyarchiv_hide_trace');
    expect(exported.stderr).toMatch(/^\++ .*pg_dump /m);
    expect(exported.stderr).toMatch(/^\++ rsync /m);
    // bash -x quotes what it prints: look for the password's unique hex part.
    const unique = PASSWORD.slice(-14, -2);
    expect(unique).toMatch(/^[0-9a-f]{12}$/);
    expect(exported.stderr).not.toContain(unique);

    // Planned again on the same root, after the traced run: the traced guard must not see it stale.
    const embeddedPlan = runCli(['plan', '--include-secrets', ...viaScript]);
    expect(embeddedPlan.stderr).toContain('use --out FILE');
    const embedded = traced(embeddedPlan.stdout, {});
    expect(embedded.status, embedded.stderr).toBe(0);
    expect(embedded.stderr).not.toContain(unique);
  });

  it('checks every secret variable before locking, creating or recording anything', () => {
    const viaScript = [...args.slice(0, 2), '--set', `root=${box.path('b')}`, ...NOW];
    const script = runScript(box, runCli(['plan', ...viaScript]).stdout, {});
    expect(script.status).toBe(2);
    expect(script.stderr).toContain(`secret variables not set: ${SECRET_VARIABLE}`);
    expect(existsSync(box.path('b'))).toBe(false);

    const applied = runCli(['backup', ...args], { [SECRET_VARIABLE]: '' });
    expect(applied.code).toBe(2);
    expect(applied.stderr).toContain(`secret variables not set: ${SECRET_VARIABLE}`);
    expect(existsSync(box.path('collect'))).toBe(false);
  });

  it('restores as sudo_user postgres with peer authentication over the unix socket', () => {
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

  it('keeps the previous good dump when a dump fails or is killed', () => {
    expect(runCli(['backup', ...args]).code).toBe(0);
    const good = readFileSync(dumpFile(), 'utf8');
    writeExecutable(box.path('killed_pg_dump'), '#!/bin/sh\necho "-- half a dump"\nkill -KILL $$\n');
    writeConfig(passwordSource([`dump_executable = ${box.path('killed_pg_dump')}`]));
    const killed = runCli(['backup', ...args]);
    expect(killed.code).toBe(1);
    expect(killed.stderr).toMatch(/failed +collect:site/);
    expect(killed.stderr).toMatch(/skipped +backup:mirror\/site/);
    expect(readFileSync(dumpFile(), 'utf8')).toBe(good);
    expect(readFileSync(box.path('mirror/site/postgresql.sql'), 'utf8')).toBe(good);
    const state = JSON.parse(readFileSync(box.path('collect/site/metadata/collect_point/site.json'), 'utf8'));
    expect(state).toMatchObject({ last_state_valid: false, fail_count: 1 });
    expect(state.last_message).toContain('exit code 137');
  });

  it('reports an empty or shrunken dump, and fails the point on it with on_suspicious_dump=fail', () => {
    expect(runCli(['backup', ...args]).code).toBe(0);
    const good = readFileSync(dumpFile(), 'utf8');
    writeExecutable(
      box.path('short_pg_dump'),
      '#!/bin/sh\npg_dump "$@" > "$0.full" && head -c 300 "$0.full"\n',
    );
    const short = [`dump_executable = ${box.path('short_pg_dump')}`];
    writeConfig(passwordSource([...short, 'on_suspicious_dump = fail']));
    const failed = runCli(['backup', ...args]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/warning: dump .*postgresql\.sql\.partial shrank from \d+ to 300 bytes/);
    expect(readFileSync(dumpFile(), 'utf8')).toBe(good);

    writeExecutable(box.path('empty_pg_dump'), '#!/bin/sh\nexit 0\n');
    writeConfig(passwordSource([`dump_executable = ${box.path('empty_pg_dump')}`]));
    // The dump is kept with a warning, but the mirror's copy guard refuses to let it replace the
    // good copy of a much larger one: that takes --allow-shrink.
    const warned = runCli(['backup', ...args]);
    expect(warned.code, warned.stderr).toBe(1);
    expect(warned.stderr).toMatch(/warning: dump .*postgresql\.sql\.partial is empty/);
    expect(warned.stderr).toMatch(/would shrink by more than 50%/);
    expect(runCli(['backup', '--allow-shrink', ...args]).code).toBe(0);
  });

  it('connects to nothing and writes nothing with --dry, and shows the commands it runs', () => {
    const log = box.path('argv.log');
    for (const tool of ['pg_dump', 'psql']) {
      writeExecutable(
        box.path(`logged_${tool}`),
        `#!/bin/sh\nprintf '%s\\n' "$@" >> '${log}'\nexec ${tool} "$@"\n`,
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
    const ran = readFileSync(log, 'utf8').trimEnd().split('\n');
    const line = [box.path('logged_pg_dump'), ...ran].map(shellWord).join(' ');
    expect(shown.stderr).toContain(
      `pgpass.site.db ${line} > ${box.path('collect/site/metadata/work/postgresql.sql.partial')}\n`,
    );
  });

  it('names the failing source and its line, and still runs the other points', async () => {
    const dead = await freePort();
    const point = (name: string, source: string[]) => ({
      [`config/${name}.collect`]: `[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "db"]\n${source.join('\n')}\n`,
    });
    writeConfig(passwordSource(), {
      ...point('down', ['engine = postgresql', 'host = 127.0.0.1', `port = ${dead}`, 'database = x']),
      ...point(
        'wrongpw',
        passwordSource().map((l) => (l.startsWith('password') ? 'password = nope' : l)),
      ),
      ...point(
        'missingdb',
        passwordSource().map((l) => (l.startsWith('database') ? 'database = nowhere' : l)),
      ),
      ...point('missingtool', passwordSource(['dump_executable = /nonexistent/pg_dump'])),
    });
    const run = runCli(['backup', ...args]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/ok +collect:site/);
    expect(run.stderr).toMatch(/ok +backup:mirror\/site/);
    for (const name of ['down', 'wrongpw', 'missingdb', 'missingtool']) {
      expect(run.stderr).toMatch(
        new RegExp(
          `failed with exit code \\d+: step \\d+ of \\d+ at ${name}\\.collect:\\d+ \\[source "db"\\]`,
        ),
      );
      expect(run.stderr).toMatch(new RegExp(`failed +collect:${name} `));
      expect(run.stderr).toMatch(new RegExp(`skipped +backup:mirror/${name} `));
      expect(existsSync(box.path(`collect/${name}/backups/postgresql.sql`))).toBe(false);
      expect(existsSync(box.path(`mirror/${name}`))).toBe(false);
    }
    expect(run.stderr).toContain('Connection refused');
    expect(run.stderr).toContain('password authentication failed for user "app"');
    expect(run.stderr).toContain('database "nowhere" does not exist');
    expect(run.stderr).toContain('/nonexistent/pg_dump: command not found');
  });
});

/** From a file: `bash -c` would put the script, and an embedded secret, on a command line. */
function runScript(box: Sandbox, script: string, env: Record<string, string>) {
  writeFileSync(box.path('plan.sh'), script, { mode: 0o600 });
  return spawnSync('bash', [box.path('plan.sh'), '--yes'], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
}

describe('the postgresql example configuration', () => {
  it('plans without a diagnostic and without its password', () => {
    const plan = runCli(['plan', '-C', 'examples/postgresql', '--set', 'root=/tmp/polyarchiv-example']);
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('"${POLYARCHIV_SECRET_DATABASES_SHOP_PASSWORD:?}"');
    expect(plan.stdout).not.toContain('change me');
  });
});
