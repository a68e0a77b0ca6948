import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { runScript, SECRET_VARIABLE, usePostgresCase } from '../helpers/postgres-case.js';
import { haveTools } from '../helpers/tools.js';
import { havePostgres } from '../servers/postgresql.js';

const canRun = havePostgres() && haveTools('rsync', 'flock', 'bash', 'sha256sum', 'sudo');
const canSudo = process.getuid?.() === 0;
const WRONG = 'wr0ng-pa55word';

/**
 * A login the server refuses is said at the line of the option to fix (the password's, with the
 * variables it is made of, or the user's), through both backends, for the dump and for the
 * restore's psql. `[source "db"]` is on line 5 of site.collect, its options from line 6.
 */
describe.runIf(canRun)('the postgresql source: a login the server refuses names the option to fix', () => {
  const t = usePostgresCase();

  function run(how: 'apply' | 'script', command: 'backup' | 'restore', extra: string[], secret: string) {
    const { box, args } = t;
    const restore = command === 'restore';
    if (how === 'apply')
      return runCli([command, ...(restore ? ['--yes'] : []), ...args, ...extra], {
        [SECRET_VARIABLE]: secret,
      });
    const plan = runCli(['plan', ...(restore ? ['--restore'] : []), ...args, ...extra]);
    expect(plan.code, plan.stderr).toBe(0);
    const ran = runScript(box, plan.stdout, { [SECRET_VARIABLE]: secret });
    return { code: ran.status ?? -1, stderr: ran.stderr };
  }

  /** Each backend fails each command with `said`, and never shows the wrong password. */
  function expectRefused(source: string[], extra: string[], secret: string, said: string) {
    t.writeConfig(source);
    for (const how of ['apply', 'script'] as const) {
      for (const command of ['backup', 'restore'] as const) {
        const failed = run(how, command, extra, secret);
        const outcome = { how, command, code: failed.code };
        expect(outcome, failed.stderr).toEqual({ ...outcome, code: 1 });
        expect(failed.stderr).toContain(said);
        expect(failed.stderr).not.toContain(WRONG);
        expect(failed.stderr).not.toContain(t.password);
      }
    }
  }

  const withPassword = (password: string, user = 'app') =>
    t
      .passwordSource()
      .map((l) =>
        l.startsWith('password') ? `password = ${password}` : l.startsWith('user') ? `user = ${user}` : l,
      );

  it("names the password's line, and its variables, for a wrong password or an unknown role", () => {
    expect(run('apply', 'backup', [], t.password).code).toBe(0);
    const said = (made: string) =>
      `the server refused the password of option 'password' (site.collect:10 [source "db"]${made}): it is wrong, or the user of option 'user' (site.collect:9 [source "db"]) is unknown to the server`;
    expectRefused(withPassword(WRONG), [], WRONG, said(''));
    expectRefused(withPassword('{dbpw}'), ['--set', `dbpw=${WRONG}`], WRONG, said(', made of {dbpw}'));
    expectRefused(withPassword(t.password, 'nobody'), [], t.password, said(''));
  });

  it('says that the password is not set when the server asks for one', () => {
    expect(run('apply', 'backup', [], t.password).code).toBe(0);
    expectRefused(
      t.passwordSource().filter((l) => !l.startsWith('password')),
      [],
      '',
      `the server asks for a password, and option 'password' (site.collect:5 [source "db"]) is not set`,
    );
  });

  it.runIf(canSudo)("names the user's line for a user that peer authentication refuses", () => {
    expect(run('apply', 'backup', [], t.password).code).toBe(0);
    const overSocket = (lines: string[]) => [
      'engine = postgresql',
      `socket = ${t.pg.socketDir}`,
      `port = ${t.pg.port}`,
      ...lines,
      `database = ${t.database}`,
    ];
    // The run's local user is not app.
    expectRefused(
      overSocket(['user = app']),
      [],
      '',
      `the server lets the user of option 'user' (site.collect:9 [source "db"]) log in only from the local user of the same name (peer authentication)`,
    );
  });

  it.runIf(canSudo)("names the user's line for a role the server does not have", () => {
    expect(run('apply', 'backup', [], t.password).code).toBe(0);
    // Peer authentication lets the local user that runs the tool in under its own name, which no
    // role of the server has: the server then says that the role does not exist.
    const local = userInfo().username;
    expect(['postgres', 'app']).not.toContain(local);
    expectRefused(
      [
        'engine = postgresql',
        `socket = ${t.pg.socketDir}`,
        `port = ${t.pg.port}`,
        `user = ${local}`,
        `database = ${t.database}`,
      ],
      [],
      '',
      `the server has no role for the user of option 'user' (site.collect:9 [source "db"])`,
    );
  });
});
