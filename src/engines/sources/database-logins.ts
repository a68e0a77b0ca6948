import type { Explanation } from '../../graph/command.js';
import type { OptionValues } from '../../options/schema.js';
import { optionPlace } from '../option-place.js';
import { setString } from '../toolkit.js';

/**
 * The user a database tool logs in as, in messages: `user` names it when set; else the client
 * takes the name of the local user that runs it (`sudo_user`, when set).
 */
function loginUser(o: OptionValues): string {
  if (setString(o, 'user') !== undefined) return `the user of ${optionPlace(o, 'user')}`;
  const sudo = setString(o, 'sudo_user');
  return sudo === undefined
    ? `the user named after the local user that runs it (${optionPlace(o, 'user')} is not set)`
    : `the user named after local user ${sudo} of ${optionPlace(o, 'sudo_user')} (option 'user' is not set)`;
}

/**
 * What mysqldump and mysql print when the server refuses their login (error 1045, the same for a
 * wrong password and an unknown user, which the server does not tell apart), each naming the
 * options to fix: they exit 1 or 2 for these as for any other failure. Only the login's words are
 * matched, never those of a statement that failed (`Access denied for user ... to database`).
 */
export function mysqlLoginFailures(o: OptionValues): Explanation[] {
  if (setString(o, 'password') === undefined)
    return [
      {
        status: 'other',
        printed: '(using password: NO)',
        message: `the server refused the login without a password (${optionPlace(o, 'password')} is not set), or ${loginUser(o)} is unknown to the server`,
      },
    ];
  return [
    {
      status: 'other',
      printed: '(using password: YES)',
      message: `the server refused the login with the password of ${optionPlace(o, 'password')}: the password is wrong, or ${loginUser(o)} is unknown to the server`,
    },
  ];
}

/**
 * What pg_dump and psql print when the server refuses their login, each naming the option to fix:
 * they exit 1 (pg_dump) or 2 (psql) for these as for any other failure. Only the connection's
 * fatal words are matched, never a statement's error (`ERROR:  role "x" does not exist` of a
 * grant in the dump).
 */
export function postgresqlLoginFailures(o: OptionValues): Explanation[] {
  const unset = `the server asks for a password, and ${optionPlace(o, 'password')} is not set`;
  const password: Explanation[] =
    setString(o, 'password') === undefined
      ? [
          { status: 'other', printed: 'no password supplied', message: unset },
          // A password the client found elsewhere (the local user's ~/.pgpass).
          { status: 'other', printed: 'password authentication failed for user', message: unset },
        ]
      : [
          {
            status: 'other',
            printed: 'password authentication failed for user',
            message: `the server refused the password of ${optionPlace(o, 'password')}: it is wrong, or ${loginUser(o)} is unknown to the server`,
          },
        ];
  return [
    ...password,
    {
      status: 'other',
      printed: 'FATAL:  role "',
      message: `the server has no role for ${loginUser(o)}`,
    },
    {
      status: 'other',
      printed: 'Peer authentication failed for user',
      message: `the server lets ${loginUser(o)} log in only from the local user of the same name (peer authentication): set option 'sudo_user' to that user, or give the role a password`,
    },
  ];
}
