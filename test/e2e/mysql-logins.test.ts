import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { haveTools } from '../helpers/tools.js';
import { MARIADB_TOOLS, type MariaDb, SAMPLE_SQL, sqlString, startMariaDb } from '../servers/mariadb.js';

const canRun = haveTools(...MARIADB_TOOLS, 'rsync', 'flock', 'bash', 'sha256sum');

const PASSWORD = String.raw`right "pass\word"`;
const WRONG = 'wr0ng-pa55word';
const SECRET = 'POLYARCHIV_SECRET_SITE_SHOP_PASSWORD';

/**
 * A login the server refuses is said at the line of the option to fix (the password's, with the
 * variables it is made of), through both backends, for the dump and for the restore's client.
 */
describe.runIf(canRun)('mysql source: a login the server refuses names the option to fix', () => {
  let db: MariaDb;
  let box: Sandbox;
  beforeAll(async () => {
    db = await startMariaDb();
    db.sql('CREATE DATABASE shop CHARACTER SET utf8mb4;');
    db.sql(SAMPLE_SQL, 'shop');
    db.sql(
      `CREATE USER 'backup'@'localhost' IDENTIFIED BY ${sqlString(PASSWORD)};
       GRANT ALL ON shop.* TO 'backup'@'localhost'; GRANT SELECT ON mysql.proc TO 'backup'@'localhost';`,
    );
    box = makeSandbox('polyarchiv-mysql-logins-');
  }, 60_000);
  afterAll(async () => {
    box?.remove();
    await db?.stop();
  });

  /** `[source "shop"]` on line 5; socket 7, user 8, password 9 when given. */
  const configure = (user: string, password: string | undefined) =>
    box.write({
      'config/site.collect': `[point]\nengine = files\nlocal_path = {root}/collect/{name}\n\n[source "shop"]\nengine = mysql\nsocket = ${db.socket}\nuser = ${user}\n${password === undefined ? '' : `password = ${password}\n`}database = shop\n`,
    });
  const args = (extra: string[] = []) => ['-C', box.path('config'), '--set', `root=${box.root}`, ...extra];

  function run(how: 'apply' | 'script', command: 'backup' | 'restore', extra: string[], secret: string) {
    if (how === 'apply')
      return runCli([command, ...(command === 'restore' ? ['--yes'] : []), ...args(extra)], {
        [SECRET]: secret,
      });
    const plan = runCli(['plan', ...(command === 'restore' ? ['--restore'] : []), ...args(extra)]);
    expect(plan.code, plan.stderr).toBe(0);
    writeFileSync(box.path('plan.sh'), plan.stdout, { mode: 0o600 });
    const ran = spawnSync('bash', [box.path('plan.sh'), '--yes'], {
      encoding: 'utf8',
      env: { ...process.env, [SECRET]: secret },
    });
    return { code: ran.status ?? -1, stderr: ran.stderr };
  }

  it("names the password's line, and its variables, for a wrong password or an unknown user", () => {
    configure('backup', PASSWORD);
    expect(run('apply', 'backup', [], PASSWORD).code).toBe(0);
    const cases = [
      { user: 'backup', password: WRONG, extra: [], made: '' },
      {
        user: 'backup',
        password: '{shoppw}',
        extra: ['--set', `shoppw=${WRONG}`],
        made: ', made of {shoppw}',
      },
      { user: 'nobody', password: PASSWORD, extra: [], made: '' },
    ];
    for (const { user, password, extra, made } of cases) {
      configure(user, password);
      const secret = user === 'nobody' ? PASSWORD : WRONG;
      for (const how of ['apply', 'script'] as const) {
        for (const command of ['backup', 'restore'] as const) {
          const failed = run(how, command, extra, secret);
          const outcome = { user, password, how, command, code: failed.code };
          expect(outcome, failed.stderr).toEqual({ ...outcome, code: 1 });
          expect(failed.stderr).toContain(`Access denied for user '${user}'`);
          expect(failed.stderr).toContain(
            `the server refused the login with the password of option 'password' (site.collect:9 [source "shop"]${made}): the password is wrong, or the user of option 'user' (site.collect:8 [source "shop"]) is unknown to the server`,
          );
          expect(failed.stderr).not.toContain(WRONG);
          expect(failed.stderr).not.toContain(PASSWORD);
        }
      }
    }
  });

  it('says that the password is not set when the server asks for one', () => {
    configure('backup', undefined);
    for (const how of ['apply', 'script'] as const) {
      for (const command of ['backup', 'restore'] as const) {
        const failed = run(how, command, [], '');
        const outcome = { how, command, code: failed.code };
        expect(outcome, failed.stderr).toEqual({ ...outcome, code: 1 });
        expect(failed.stderr).toContain(
          `the server refused the login without a password (option 'password' (site.collect:5 [source "shop"]) is not set), or the user of option 'user' (site.collect:8 [source "shop"]) is unknown to the server`,
        );
      }
    }
  });
});
