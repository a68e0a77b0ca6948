import { formatOrigin } from '../../diag/origin.js';
import type { Explanation } from '../../graph/command.js';
import type { OptionValues } from '../../options/schema.js';
import type { VariableSources } from '../engine.js';
import { optionPlace } from '../option-place.js';
import type { ServiceLocation } from '../service-url.js';
import { setString } from '../toolkit.js';
import type { TargetOptionNames } from './service-target.js';

/**
 * What rclone and curl print when a WebDAV, FTP or S3 server refuses the login, each naming the
 * option to fix (its line, and where the variables its value is made of are set). rclone exits 1
 * for these as for every other failure: only its words tell a refused login from a server that
 * is down, a missing path or a full disk, which keep their own.
 */
export function serviceLoginFailures(
  location: ServiceLocation,
  options: OptionValues,
  names: TargetOptionNames,
  sources?: VariableSources,
): Explanation[] {
  const where = (name: string) => optionPlace(options, name, sources);
  if (location.kind === 's3') return s3LoginFailures(options, names, where);
  const refused = (printed: string) => ({ status: 'other' as const, printed, message: refusal() });
  const refusal = () => {
    if (location.hasPassword)
      return `the server refused the user and password of ${where(names.url)}: one of them is wrong`;
    if (location.user === undefined && location.kind === 'webdav')
      return `the server asks for a login, and ${where(names.url)} names no user (USER@ before the host)`;
    const user =
      location.user === undefined
        ? `user anonymous (${where(names.url)} names no user)`
        : `user ${location.user} of ${where(names.url)}`;
    if (setString(options, names.password) === undefined)
      // The option has no line: the section where it belongs is named instead.
      return `the server refused the login of ${user} without a password: option '${names.password}' is not set in the section at ${formatOrigin(options.origin(names.password))}`;
    return `the server refused the password of ${where(names.password)} for ${user}: the password is wrong, or the server does not know the user`;
  };
  if (location.kind === 'ftp')
    // rclone's "failed to make FTP connection to "host:port": 530 Login incorrect." (530: not
    // logged in, whatever words the server adds), after the address it dialled: a file's name on
    // an ERROR line ("ERROR : a: 530 b: Failed to copy: ...") is no login.
    return [refused(`FTP connection to "${location.host}:${location.port ?? 21}": 530 `)];
  // rclone's "...: 401 Unauthorized".
  return [refused('401 Unauthorized')];
}

/**
 * What curl (WebDAV's rename) prints when the server refuses the login that rclone's words
 * `login` name: it exits 22 for every HTTP error, 401 among them.
 */
export function curlLoginFailures(login: readonly Explanation[]): Explanation[] {
  return login.map((failure) => ({ ...failure, printed: 'The requested URL returned error: 401' }));
}

function s3LoginFailures(
  options: OptionValues,
  names: TargetOptionNames,
  where: (name: string) => string,
): Explanation[] {
  const failure = (printed: string, message: string): Explanation => ({ status: 'other', printed, message });
  if (setString(options, names.accessKeyId) === undefined) {
    // Without keys of its own, rclone takes those of the environment (AWS_ACCESS_KEY_ID...). The
    // options have no line: the point's section, where they belong, is named instead.
    const section = formatOrigin(options.origin(names.accessKeyId));
    const keys = `options '${names.accessKeyId}' and '${names.secretAccessKey}'`;
    const unset = `${keys} are not set in the section at ${section}`;
    return [
      failure(
        'NoCredentialProviders',
        `no S3 credentials: the environment gives none (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ~/.aws/credentials, an instance role); set ${keys} in the section at ${section}`,
      ),
      failure(
        'InvalidAccessKeyId',
        `the server knows no access key id of the environment's credentials (${unset})`,
      ),
      failure(
        'SignatureDoesNotMatch',
        `the server refused the secret access key of the environment's credentials (${unset})`,
      ),
    ];
  }
  return [
    failure('InvalidAccessKeyId', `the server knows no access key id of ${where(names.accessKeyId)}`),
    failure(
      'SignatureDoesNotMatch',
      `the server refused the secret access key of ${where(names.secretAccessKey)}: it is not the secret of the key id of ${where(names.accessKeyId)}`,
    ),
  ];
}
