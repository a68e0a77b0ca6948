import type { Diagnostics } from '../diag/diagnostic.js';
import type { OptionValues } from '../options/schema.js';
import { shellSplit } from '../options/shell-split.js';
import { checkSshLoginConflicts } from './ssh-login-conflicts.js';
import { asWritten, setString } from './toolkit.js';
import type { SshLocation } from './url.js';

/**
 * The options that hold ssh's key and extra words: `private_key` and `ssh_options`, or their
 * `metadata_` twins; and where ssh logs in with Kerberos, the keytab's.
 */
export interface SshOptionNames {
  readonly privateKey: string;
  readonly sshOptions: string;
  readonly keytab?: string;
}

export const SSH_OPTION_NAMES: SshOptionNames = { privateKey: 'private_key', sshOptions: 'ssh_options' };

/** The same, for engines whose `keytab` logs ssh in with Kerberos (git, gitlab). */
export const SSH_KERBEROS_NAMES: SshOptionNames = { ...SSH_OPTION_NAMES, keytab: 'keytab' };

/**
 * Limits on a host that does not answer, after the user's options so that theirs win: a host
 * that is down fails the step after 30 s rather than the system's TCP timeout (minutes), and one
 * that stops answering during a transfer after a minute rather than never (ssh's own TCP
 * keepalives wait hours), which would hold the point's lock and skip every later run.
 */
const UNANSWERED = Object.freeze([
  '-o',
  'ConnectTimeout=30',
  '-o',
  'ServerAliveInterval=15',
  '-o',
  'ServerAliveCountMax=4',
]);

/**
 * ssh's words for `private_key` and `ssh_options`: BatchMode so that a missing key fails instead
 * of prompting, GSSAPI authentication when a keytab is set (whatever the system's ssh_config says),
 * then `destination` (port, user), the key as separate words (`-o IdentityFile=...` would be
 * re-split by ssh's config parser), then the user's options, which ssh reads after ours (for ssh
 * the first value wins), then the limits on a host that does not answer (UNANSWERED).
 */
export function sshWords(
  options: OptionValues,
  destination: readonly string[] = [],
  names: SshOptionNames = SSH_OPTION_NAMES,
): string[] {
  const key = setString(options, names.privateKey);
  const kerberos = names.keytab !== undefined && setString(options, names.keytab) !== undefined;
  return [
    '-o',
    'BatchMode=yes',
    ...(kerberos ? ['-o', 'GSSAPIAuthentication=yes'] : []),
    ...destination,
    ...(key === undefined ? [] : ['-i', key]),
    ...(shellSplit(options.optionalString(names.sshOptions) ?? '') ?? []),
    ...UNANSWERED,
  ];
}

/** `private_key` and `ssh_options` as ssh will read them. */
export function checkSshOptions(
  options: OptionValues,
  diagnostics: Diagnostics,
  names: SshOptionNames = SSH_OPTION_NAMES,
): void {
  // ssh expands %-tokens and ${VARIABLES} in identity file names.
  const key = setString(options, names.privateKey);
  if (key !== undefined && /%|\$\{/.test(key)) {
    diagnostics.error(
      `bad value for option '${names.privateKey}': '${key}'`,
      options.origin(names.privateKey),
      'ssh would expand "%" and "${" in it: use a path without them',
    );
  }
  const ssh = options.optionalString(names.sshOptions);
  if (ssh !== undefined && shellSplit(ssh) === undefined) {
    diagnostics.error(
      `bad value for option '${names.sshOptions}': '${ssh}'`,
      options.origin(names.sshOptions),
      'a quote is not closed',
    );
  }
}

/** ssh's words to reach a location: its port and user, then `sshWords`. */
export function sshLoginWords(
  location: SshLocation,
  options: OptionValues,
  names: SshOptionNames = SSH_OPTION_NAMES,
): string[] {
  return sshWords(
    options,
    [
      ...(location.port === undefined ? [] : ['-p', String(location.port)]),
      ...(location.user === undefined ? [] : ['-l', location.user]),
    ],
    names,
  );
}

/**
 * What an ssh location in option `name` must be: not the root directory (a mirror or a restore
 * would replace the whole remote filesystem), no wildcard (rsync -s expands them in remote paths:
 * rsync(1), --secluded-args), `private_key` and `ssh_options` as ssh reads them, and no port or user
 * in `ssh_options` that contradicts the location's.
 */
export function checkSshLocation(
  location: SshLocation,
  name: string,
  options: OptionValues,
  diagnostics: Diagnostics,
  names: SshOptionNames = SSH_OPTION_NAMES,
): void {
  const origin = options.origin(name);
  if (location.hasPassword) {
    diagnostics.warning(
      `the password in ${name} is ignored`,
      origin,
      `ssh logs in with ${names.privateKey} (or an agent)`,
    );
  }
  if (location.path === '/') {
    diagnostics.error(
      `${name} '${options.string(name)}' is the root directory`,
      origin,
      'it would replace the whole remote filesystem: name a dedicated directory',
    );
  }
  if (/[*?[\]]/.test(location.path)) {
    diagnostics.error(
      `${name} '${asWritten(options, name)}' has a wildcard character (*, ?, [ or ]) in its path`,
      origin,
      'the remote rsync would expand it: rename the directory or use a symbolic link to it',
    );
  }
  checkSshOptions(options, diagnostics, names);
  checkSshLoginConflicts(
    { ...loginOf(location), named: name, origin },
    options,
    diagnostics,
    names.sshOptions,
  );
}

/** The port and user an ssh location names, without the keys it leaves out. */
export function loginOf(location: { readonly port?: number; readonly user?: string }): {
  port?: number;
  user?: string;
} {
  return {
    ...(location.port === undefined ? {} : { port: location.port }),
    ...(location.user === undefined ? {} : { user: location.user }),
  };
}

/** `private_key`, `ssh_options` and a keytab do nothing for a local path: said, not refused. */
export function warnSshOptionsUnused(
  name: string,
  options: OptionValues,
  diagnostics: Diagnostics,
  names: SshOptionNames = SSH_OPTION_NAMES,
): void {
  for (const option of sshOnlyOptions(names)) {
    if (options.optionalString(option) !== undefined) {
      diagnostics.warning(
        `option '${option}' has no effect: ${name} is a local path`,
        options.origin(option),
      );
    }
  }
}

/** The options that only an ssh login reads. */
export function sshOnlyOptions(names: SshOptionNames): string[] {
  return [names.privateKey, names.sshOptions, ...(names.keytab === undefined ? [] : [names.keytab])];
}
