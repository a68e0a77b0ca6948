import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PG_DUMP_COMPLETE } from '../../src/engines/sources/postgresql.js';
import { runCli, runCliAsync } from '../helpers/cli.js';
import { NOW, runScript, SECRET_VARIABLE, usePostgresCase } from '../helpers/postgres-case.js';
import { haveTools } from '../helpers/tools.js';
import { havePostgres, scanProcessesWhile, writeExecutable } from '../servers/postgresql.js';
import { freePort } from '../servers/server-process.js';

const canRun = havePostgres() && haveTools('rsync', 'flock', 'bash', 'sha256sum', 'sudo');

describe.runIf(canRun)('the postgresql source against a real PostgreSQL 15: secrets and failures', () => {
  const t = usePostgresCase();

  it('keeps the password off command lines, environments, logs, plans and scripts', async () => {
    const { box, args, password, passwordSource, writeConfig } = t;
    const log = box.path('wrapper.log');
    writeExecutable(
      box.path('slow_pg_dump'),
      `#!/bin/sh\nstat -c %a "$PGPASSFILE" > '${log}'\nsleep 2\nexec pg_dump "$@"\n`,
    );
    writeConfig(passwordSource([`dump_executable = ${box.path('slow_pg_dump')}`]));
    const running = runCliAsync(['backup', '--show-commands', ...args]);
    const seen = await scanProcessesWhile(box.path('slow_pg_dump'), [password], running);
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    expect(seen.scanned).toBeGreaterThan(0);
    expect(seen.leaks).toEqual([]);
    expect(readFileSync(log, 'utf8').trim()).toBe('600');
    expect(`${run.stdout}${run.stderr}`).not.toContain(password);

    for (const format of ['text', 'json', 'bash']) {
      const plan = runCli(['plan', '--format', format, ...args]);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).not.toContain(password);
      expect(plan.stdout).not.toContain('w\'o"rd');
      expect(plan.stdout).toContain(SECRET_VARIABLE);
    }
    const script = runCli(['plan', ...args]).stdout;
    expect(script).toContain(`"\${${SECRET_VARIABLE}:?}"`);
  });

  it('never shows the password under bash -x, with the variable exported or embedded', () => {
    const { box, args, password } = t;
    const viaScript = [...args.slice(0, 2), '--set', `root=${box.path('b')}`, ...NOW];
    const traced = (script: string, env: Record<string, string>) => {
      writeFileSync(box.path('traced.sh'), script, { mode: 0o600 });
      return spawnSync('bash', ['-x', box.path('traced.sh')], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
    };
    const exported = traced(runCli(['plan', ...viaScript]).stdout, { [SECRET_VARIABLE]: password });
    expect(exported.status, exported.stderr).toBe(0);
    // Tracing is back on after each secret: the dump and the mirror are traced.
    expect(exported.stderr).toContain('+ polyarchiv_hide_trace');
    expect(exported.stderr).toMatch(/^\++ .*pg_dump /m);
    expect(exported.stderr).toMatch(/^\++ rsync /m);
    // bash -x quotes what it prints: look for the password's unique hex part.
    const unique = password.slice(-14, -2);
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
    const { box, args } = t;
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

  it('keeps the previous good dump when a dump fails or is killed', () => {
    const { box, args, passwordSource, writeConfig, dumpFile } = t;
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

  it('reports a shrunken dump, and fails the point on it with on_suspicious_dump=fail', () => {
    const { box, args, passwordSource, writeConfig, dumpFile } = t;
    expect(runCli(['backup', ...args]).code).toBe(0);
    const good = readFileSync(dumpFile(), 'utf8');
    // Whole, as far as its last line tells, but much smaller.
    writeExecutable(
      box.path('short_pg_dump'),
      `#!/bin/sh\npg_dump "$@" > "$0.full" && head -c 300 "$0.full" && printf '\\n${PG_DUMP_COMPLETE}\\n'\n`,
    );
    const short = [`dump_executable = ${box.path('short_pg_dump')}`];
    writeConfig(passwordSource([...short, 'on_suspicious_dump = fail']));
    const failed = runCli(['backup', ...args]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      /warning: dump .*postgresql\.sql\.partial shrank by more than \d+%: bytes: \d+ before, \d+ now/,
    );
    expect(readFileSync(dumpFile(), 'utf8')).toBe(good);

    writeConfig(passwordSource(short));
    // The dump is kept with a warning, but the mirror's copy guard refuses to let it replace the
    // good copy of a much larger one: that takes --allow-shrink.
    const warned = runCli(['backup', ...args]);
    expect(warned.code, warned.stderr).toBe(1);
    expect(warned.stderr).toMatch(/warning: dump .*postgresql\.sql\.partial shrank/);
    expect(warned.stderr).toMatch(/would shrink by more than 50%/);
    expect(runCli(['backup', '--allow-shrink', ...args]).code).toBe(0);
  });

  it.each(['apply', 'script'] as const)(
    'leaves no partial dump behind when its check refuses it, through %s',
    (backend) => {
      const { box, args, pg, database, password, passwordSource, writeConfig, dumpFile } = t;
      pg.sql(
        "SET ROLE app; CREATE TABLE bulk AS SELECT g AS id, repeat('secret row ', 20) AS filler FROM generate_series(1, 3000) g;",
        database,
      );
      expect(runCli(['backup', ...args]).code).toBe(0);
      const good = readFileSync(dumpFile(), 'utf8');
      // A whole dump of the database, which has lost most of its data: refused by its check.
      pg.sql('DROP TABLE bulk', database);
      writeConfig(passwordSource(['on_suspicious_dump = fail']));
      let refused: { code: number | null; stderr: string };
      if (backend === 'apply') refused = runCli(['backup', ...args]);
      else {
        const run = runScript(box, runCli(['plan', ...args]).stdout, { [SECRET_VARIABLE]: password });
        refused = { code: run.status, stderr: run.stderr };
      }
      expect(refused.code, refused.stderr).toBe(1);
      expect(refused.stderr).toMatch(/warning: dump .*postgresql\.sql\.partial shrank by more than/);
      expect(readFileSync(dumpFile(), 'utf8')).toBe(good);
      const work = box.path('collect/site/metadata/work');
      expect(existsSync(work) ? readdirSync(work) : []).toEqual([]);
    },
  );

  it('refuses an empty or cut dump whatever on_suspicious_dump says, keeping the previous one', () => {
    const { box, args, passwordSource, writeConfig, dumpFile } = t;
    expect(runCli(['backup', ...args]).code).toBe(0);
    const good = readFileSync(dumpFile(), 'utf8');
    writeExecutable(box.path('empty_pg_dump'), '#!/bin/sh\nexit 0\n');
    writeExecutable(box.path('cut_pg_dump'), '#!/bin/sh\npg_dump "$@" | head -n 40\n');
    for (const [tool, problem] of [
      ['empty_pg_dump', 'is empty'],
      ['cut_pg_dump', `is incomplete: no line of its last 4096 bytes starts with '${PG_DUMP_COMPLETE}'`],
    ] as const) {
      writeConfig(passwordSource([`dump_executable = ${box.path(tool)}`, 'on_suspicious_dump = warn']));
      for (const more of [[], ['--allow-shrink']]) {
        const refused = runCli(['backup', ...more, ...args]);
        expect(refused.code, tool).toBe(1);
        expect(refused.stderr).toMatch(
          new RegExp(
            `refused: dump .*postgresql\\.sql\\.partial ${literally(problem)}.*; the previous dump is kept`,
          ),
        );
        expect(refused.stderr).toMatch(
          /failed with exit code 1: step \d+ of \d+ at site\.collect:\d+ \[source "db"\]/,
        );
        expect(refused.stderr).toMatch(/failed +collect:site/);
        expect(readFileSync(dumpFile(), 'utf8')).toBe(good);
        expect(readFileSync(box.path('mirror/site/postgresql.sql'), 'utf8')).toBe(good);
      }
    }
  });

  it('names the failing source and its line, and still runs the other points', async () => {
    const { box, args, passwordSource, writeConfig } = t;
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

const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
