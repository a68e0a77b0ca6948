import type { KerberosLogin } from './action.js';
import type { Command, ToolPaths, Word } from './command.js';

/**
 * k5start with the keytab's first principal (-U) and the pair's own ticket cache (-k); -x: a
 * missing keytab, an unknown principal or an unreachable KDC fails at once, where k5start would
 * otherwise retry for ever.
 */
function k5start(login: KerberosLogin, tools: ToolPaths): Word[] {
  return [
    tools.k5start ?? 'k5start',
    '-q',
    '-x',
    '-U',
    '-f',
    login.keytab,
    '-k',
    { prefix: 'FILE:', workFile: login.ticketCache },
  ];
}

/** A ticket obtained before the commands that need it, so that a bad keytab fails on its own line. */
export function kerberosTicketCommands(login: KerberosLogin, tools: ToolPaths): Command[] {
  return [{ kind: 'exec', argv: k5start(login, tools) }];
}

/**
 * `argv` run by k5start, which points it to the ticket cache (KRB5CCNAME) and renews the ticket
 * while it runs; without a login, `argv` itself.
 */
export function underKerberos(login: KerberosLogin | undefined, tools: ToolPaths, argv: Word[]): Word[] {
  return login === undefined ? argv : [...k5start(login, tools), '--', ...argv];
}
