/**
 * A ticket of the first principal of `keytab` (k5start -U), kept in `ticketCache`, a file of the
 * run's private work directory: the user's own ticket cache is never read nor written.
 */
export interface KerberosLogin {
  readonly keytab: string;
  /** The work file that holds the ticket cache, one per (backup point, collect point) pair. */
  readonly ticketCache: string;
}
