import type { Diagnostics } from '../diag/diagnostic.js';
import type { OptionValues } from '../options/schema.js';
import { shellSplit } from '../options/shell-split.js';
import { setString } from './toolkit.js';

/**
 * ssh's words for `private_key` and `ssh_options`: BatchMode so that a missing key fails instead
 * of prompting, then `destination` (port, user), the key as separate words (`-o IdentityFile=...`
 * would be re-split by ssh's config parser), then the user's options, which ssh reads after ours
 * (for ssh the first value wins).
 */
export function sshWords(options: OptionValues, destination: readonly string[] = []): string[] {
  const key = setString(options, 'private_key');
  return [
    '-o',
    'BatchMode=yes',
    ...destination,
    ...(key === undefined ? [] : ['-i', key]),
    ...(shellSplit(options.optionalString('ssh_options') ?? '') ?? []),
  ];
}

/** `private_key` and `ssh_options` as ssh will read them. */
export function checkSshOptions(options: OptionValues, diagnostics: Diagnostics): void {
  // ssh expands %-tokens and ${VARIABLES} in identity file names.
  const key = setString(options, 'private_key');
  if (key !== undefined && /%|\$\{/.test(key)) {
    diagnostics.error(
      `bad value for option 'private_key': '${key}'`,
      options.origin('private_key'),
      'ssh would expand "%" and "${" in it: use a path without them',
    );
  }
  const ssh = options.optionalString('ssh_options');
  if (ssh !== undefined && shellSplit(ssh) === undefined) {
    diagnostics.error(
      `bad value for option 'ssh_options': '${ssh}'`,
      options.origin('ssh_options'),
      'a quote is not closed',
    );
  }
}
