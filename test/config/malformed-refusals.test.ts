import { describe, expect, it } from 'vitest';
import { errorsOf } from '../helpers/diagnose.js';

const pgSource = (name: string, password: string) =>
  `[source "${name}"]\nengine=postgresql\ndatabase=shop\npassword=${password}\ndestination_path=${name}.sql\n`;
const collect = (path: string, sources: string) => `[point]\nengine=files\nlocal_path=${path}\n${sources}`;

/** Configurations that would run, but do harm or fail later: refused at load, with file and line. */
describe('secrets', () => {
  it('refuses two secrets whose variable names would be the same', () => {
    expect(
      errorsOf({
        'a-b.collect': collect('/srv/ab', pgSource('c', 'one')),
        'a.collect': collect('/srv/a', pgSource('b-c', 'two')),
      }),
    ).toEqual([
      'error: this secret and the one at a-b.collect:7 [source "c"] would share the variable POLYARCHIV_SECRET_A_B_C_PASSWORD (rename the collect point or the source so that their names differ in more than case and punctuation)\n  at a.collect:7 [source "b-c"]',
    ]);
  });

  it('refuses two sources whose names differ only in case', () => {
    expect(
      errorsOf({ 'site.collect': collect('/srv/site', `${pgSource('db', 'one')}${pgSource('DB', 'two')}`) }),
    ).toEqual([
      'error: this secret and the one at site.collect:7 [source "db"] would share the variable POLYARCHIV_SECRET_SITE_DB_PASSWORD (rename the collect point or the source so that their names differ in more than case and punctuation)\n  at site.collect:12 [source "DB"]',
    ]);
  });
});
