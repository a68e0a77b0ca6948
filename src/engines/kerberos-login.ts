import type { ActionDraft, KerberosLogin } from '../graph/action.js';
import type { OptionValues } from '../options/schema.js';
import type { SecretOwner } from './secrets.js';
import { setString } from './toolkit.js';

/**
 * The login of keytab option `option` for one (backup point, collect point) pair, with a ticket
 * cache of the pair's own in the run's work directory (`metadata_keytab`'s apart from `keytab`'s).
 */
export function kerberosLogin(
  options: OptionValues,
  option: string,
  owner: SecretOwner,
): KerberosLogin | undefined {
  const keytab = setString(options, option);
  if (keytab === undefined) return undefined;
  const purpose = option === 'keytab' ? '' : `.${option.replace(/_keytab$/, '')}`;
  return {
    keytab,
    ticketCache: `krb5cc.${encodeURIComponent(owner.name)}.${encodeURIComponent(owner.collectPoint)}${purpose}`,
  };
}

/**
 * The ticket obtained on the keytab's line before the commands that need it: a missing keytab or
 * an unknown principal is reported there, not on the first command that reaches the remote.
 */
export function ticketDrafts(
  options: OptionValues,
  option: string,
  kerberos: KerberosLogin | undefined,
): ActionDraft[] {
  if (kerberos === undefined) return [];
  return [
    {
      kind: 'kerberos-ticket',
      ...kerberos,
      origin: options.origin(option),
      summary: `get a Kerberos ticket from keytab ${kerberos.keytab}`,
    },
  ];
}
