import type { Diagnostics } from '../diag/diagnostic.js';
import { formatOrigin } from '../diag/origin.js';
import { type SecretHolders, type SecretOption, secretOptions } from '../engines/secrets.js';

/**
 * Secret variable names fold case and punctuation (`a-b` + `c` and `a` + `b-c` both give
 * `..._A_B_C_...`): two secrets under one name would send one server the other's password.
 */
export function checkSecretNames(config: SecretHolders, diagnostics: Diagnostics): void {
  const seen = new Map<string, SecretOption>();
  for (const secret of secretOptions(config)) {
    const first = seen.get(secret.variable);
    if (first === undefined) seen.set(secret.variable, secret);
    else
      diagnostics.error(
        `this secret and the one at ${formatOrigin(first.origin)} would share the variable ${secret.variable}`,
        secret.origin,
        'rename the collect point or the source so that their names differ in more than case and punctuation',
      );
  }
}
