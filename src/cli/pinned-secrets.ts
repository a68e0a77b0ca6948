import type { Diagnostics } from '../diag/diagnostic.js';
import { type SecretHolders, secretVariables } from '../engines/secrets.js';
import { type CommonFlags, pinnedVariables } from './common-options.js';

/** The variables given with --set that a secret is made of (`password = {dbpw}`). */
function pinnedSecrets(config: SecretHolders, flags: CommonFlags): string[] {
  const secret = secretVariables(config);
  return Object.keys(pinnedVariables(flags)).filter((name) => secret.has(name));
}

/**
 * `schedule` would write such a value into unit files and a cron file that every user can read,
 * and into the command line of every run: refused.
 */
export function refuseSecretsPinned(
  config: SecretHolders,
  flags: CommonFlags,
  diagnostics: Diagnostics,
): void {
  for (const name of pinnedSecrets(config, flags))
    diagnostics.error(
      `--set ${name}=...: a secret is made of this variable, and schedule would write its value into files every user can read and into the command line of every run`,
      undefined,
      'give it in a [variables] section of the configuration instead, in a file that only the user of the runs can read',
    );
}

/**
 * A run given such a value holds it in its command line, which every user of the machine reads
 * (`ps`, /proc) for as long as the run lasts: said, since the value is out by then.
 */
export function warnSecretsPinned(config: SecretHolders, flags: CommonFlags, diagnostics: Diagnostics): void {
  for (const name of pinnedSecrets(config, flags))
    diagnostics.warning(
      `--set ${name}=...: a secret is made of this variable, and every user of this machine can read its value in this run's command line (ps, /proc) while it runs`,
      undefined,
      'give it in a [variables] section of a file that only you can read, or export the POLYARCHIV_SECRET_... variable of each secret made of it (`plan` names them in its header)',
    );
}
