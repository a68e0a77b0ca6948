import type { Diagnostics } from '../../diag/diagnostic.js';
import type { RcloneTransport } from '../../graph/action.js';
import type { EnvValue, SecretPart } from '../../graph/command.js';
import type { OptionSpec, OptionValues } from '../../options/schema.js';
import type { VariableSources } from '../engine.js';
import { backupSecret, type SecretOwner, urlPasswordSecret } from '../secrets.js';
import type { ServiceLocation } from '../service-url.js';
import { SSH_OPTION_NAMES, type SshOptionNames, sshOnlyOptions } from '../ssh-options.js';
import { setString } from '../toolkit.js';
import { curlLoginFailures, serviceLoginFailures } from './service-logins.js';

/** The empty password as `rclone obscure` writes it: base64url of a 16-byte IV, no text after. */
const EMPTY_OBSCURED = 'AAAAAAAAAAAAAAAAAAAAAA';

/** The options of WebDAV, FTP and S3 targets (`ca_cert` is shared with every https client). */
export const SERVICE_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'password',
    type: 'string',
    secret: true,
    help: 'WebDAV or FTP password, when the URL holds none: a secret, handed to rclone (obscured, in its environment) and to curl (in a private file), never in argv.',
  },
  {
    name: 'endpoint_url',
    type: 'string',
    help: 'S3: the server, e.g. https://s3.example.net:9000 (a path-style S3-compatible server); default: AWS.',
  },
  { name: 'region', type: 'string', default: 'us-east-1', help: 'S3: the region of the bucket.' },
  {
    name: 'access_key_id',
    type: 'string',
    help: 'S3: the access key id, with secret_access_key; without both, the AWS credentials of the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ~/.aws/credentials, an instance role).',
  },
  {
    name: 'secret_access_key',
    type: 'string',
    secret: true,
    help: 'S3: the secret access key: a secret, handed to rclone in its environment, never in argv.',
  },
];

/**
 * The option that names a target and the options of its transport: `remote_url` and
 * TRANSPORT_OPTIONS, or another URL option whose transport options are the same names behind one
 * prefix (`metadata_url`: `metadata_private_key`, `metadata_password`...).
 */
export interface TargetOptionNames extends SshOptionNames {
  readonly url: string;
  readonly keytab: string;
  /** What the transport options' names start with ('' for remote_url's own). */
  readonly prefix: string;
  readonly password: string;
  readonly caCert: string;
  readonly endpointUrl: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** `url` and the names of TRANSPORT_OPTIONS, each behind `prefix`. */
export function targetOptionNames(url: string, prefix: string): TargetOptionNames {
  const name = (option: string) => `${prefix}${option}`;
  return {
    url,
    prefix,
    privateKey: name(SSH_OPTION_NAMES.privateKey),
    sshOptions: name(SSH_OPTION_NAMES.sshOptions),
    keytab: name('keytab'),
    password: name('password'),
    caCert: name('ca_cert'),
    endpointUrl: name('endpoint_url'),
    region: name('region'),
    accessKeyId: name('access_key_id'),
    secretAccessKey: name('secret_access_key'),
  };
}

/** Warns of the WebDAV, FTP and S3 options set beside a local path or an ssh URL (`why`). */
export function warnServiceOptionsUnused(
  options: OptionValues,
  diagnostics: Diagnostics,
  names: TargetOptionNames,
  why: string,
): void {
  // region is left out: it has a default, so it is never told apart from an unset option.
  for (const name of [
    names.password,
    names.caCert,
    names.endpointUrl,
    names.accessKeyId,
    names.secretAccessKey,
  ])
    if (options.optionalString(name) !== undefined)
      diagnostics.warning(`option '${name}' has no effect: ${why}`, options.origin(name));
}

/** What a WebDAV, FTP or S3 URL (option `names.url`) needs of the other options. */
export function checkServiceOptions(
  location: ServiceLocation,
  options: OptionValues,
  diagnostics: Diagnostics,
  names: TargetOptionNames,
): void {
  const unused = (name: string, why: string) => {
    if (options.optionalString(name) !== undefined)
      diagnostics.warning(`option '${name}' has no effect: ${why}`, options.origin(name));
  };
  for (const name of sshOnlyOptions(names)) unused(name, `${names.url} is not an ssh:// URL`);
  const caCert = setString(options, names.caCert);
  if (caCert !== undefined && caCert !== 'any' && !caCert.startsWith('/'))
    diagnostics.error(
      `bad value for option '${names.caCert}': '${caCert}'`,
      options.origin(names.caCert),
      'expected the absolute path of a CA bundle (PEM file), or any (no verification)',
    );
  if (location.kind === 's3') {
    unused(names.password, `S3 takes ${names.accessKeyId} and ${names.secretAccessKey}`);
    const endpoint = setString(options, names.endpointUrl);
    if (endpoint !== undefined && !/^https?:\/\/[^/@\s]+(\/\S*)?$/.test(endpoint))
      diagnostics.error(
        `bad value for option '${names.endpointUrl}': '${endpoint}'`,
        options.origin(names.endpointUrl),
        'expected http(s)://host[:port], without a user or password',
      );
    if (endpoint?.startsWith('http://')) unused(names.caCert, `${names.endpointUrl} is plain http://`);
    const keyId = setString(options, names.accessKeyId);
    const secret = setString(options, names.secretAccessKey);
    if ((keyId === undefined) !== (secret === undefined)) {
      const [given, missing] =
        keyId === undefined
          ? [names.secretAccessKey, names.accessKeyId]
          : [names.accessKeyId, names.secretAccessKey];
      diagnostics.error(
        `option '${given}' is set without '${missing}'`,
        options.origin(given),
        `set both, or neither, to use the AWS credentials of the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the profile of ~/.aws/credentials, an instance role)`,
      );
    }
    return;
  }
  if (location.scheme === 'http' || location.scheme === 'ftp')
    unused(names.caCert, `${names.url} is plain ${location.scheme}://, without TLS`);
  for (const name of [names.endpointUrl, names.accessKeyId, names.secretAccessKey])
    unused(name, `${names.url} is not an s3:// URL`);
  if (location.hasPassword && setString(options, names.password) !== undefined)
    diagnostics.error(
      `${names.url} holds a password and option ${names.password} is set too`,
      options.origin(names.password),
      'give the password once: in the option (kept out of the URL) or in the URL',
    );
}

/**
 * The server of a pair's URL option (`names.url`, with `options`) as rclone (and, for WebDAV's
 * rename, curl) reach it; `owner` names its secret variables, `sources` where the variables of
 * its options are set (for the words of a refused login).
 */
export function serviceTransport(
  location: ServiceLocation,
  options: OptionValues,
  names: TargetOptionNames,
  owner: SecretOwner,
  sources?: VariableSources,
): RcloneTransport {
  const loginFailures = serviceLoginFailures(location, options, names, sources);
  // No configuration file is read or written. A request is tried 3 times, a command once: with
  // rclone's defaults (10 and 3) a server that is down holds a run for minutes; the next
  // scheduled run is the retry.
  const env: Record<string, EnvValue> = {
    RCLONE_CONFIG: { literal: '/dev/null' },
    RCLONE_LOW_LEVEL_RETRIES: { literal: '3' },
    RCLONE_RETRIES: { literal: '1' },
  };
  const caCert = setString(options, names.caCert);
  if (caCert === 'any') env.RCLONE_NO_CHECK_CERTIFICATE = { literal: 'true' };
  else if (caCert !== undefined) env.RCLONE_CA_CERT = { literal: caCert };
  if (location.kind === 's3') {
    const endpoint = setString(options, names.endpointUrl);
    env.RCLONE_S3_PROVIDER = { literal: endpoint === undefined ? 'AWS' : 'Other' };
    if (endpoint !== undefined) env.RCLONE_S3_ENDPOINT = { literal: endpoint };
    env.RCLONE_S3_REGION = { literal: options.string(names.region) };
    // The AWS SDK inside rclone 1.60 fails on AWS_CA_BUNDLE ("unsupported transport"): rclone
    // takes a CA bundle from ca_cert (RCLONE_CA_CERT) instead.
    env.AWS_CA_BUNDLE = { literal: '' };
    const keyId = setString(options, names.accessKeyId);
    if (keyId !== undefined) {
      env.RCLONE_S3_ACCESS_KEY_ID = { literal: keyId };
      env.RCLONE_S3_SECRET_ACCESS_KEY = { secret: backupSecret(owner, names.secretAccessKey) };
    } else {
      // No keys of its own: the AWS SDK's credentials of the environment, as the aws command
      // finds them (variables, the profile of ~/.aws/credentials, an instance or task role), where
      // rclone would otherwise send unsigned requests.
      env.RCLONE_S3_ENV_AUTH = { literal: 'true' };
    }
    return { kind: 'rclone', remote: ':s3:', env, obscured: {}, shown: 's3:/', loginFailures };
  }
  const password = location.hasPassword
    ? urlPasswordSecret(owner, names.url)
    : setString(options, names.password) === undefined
      ? undefined
      : backupSecret(owner, names.password);
  const authority = `${location.host}${location.port === undefined ? '' : `:${location.port}`}`;
  const base = `${location.scheme}://${authority}`;
  if (location.kind === 'ftp') {
    env.RCLONE_FTP_HOST = { literal: location.host.replace(/^\[(.*)\]$/, '$1') };
    env.RCLONE_FTP_PORT = { literal: String(location.port ?? 21) };
    env.RCLONE_FTP_USER = { literal: location.user ?? 'anonymous' };
    if (location.scheme === 'ftps') {
      env.RCLONE_FTP_EXPLICIT_TLS = { literal: 'true' };
      // Over TLS 1.3 many FTP servers (pyftpdlib among them) end an upload's data connection
      // before its last bytes: the size check then fails the run at random. TLS 1.2 does not.
      env.RCLONE_FTP_DISABLE_TLS13 = { literal: 'true' };
    }
    if (caCert === 'any') env.RCLONE_FTP_NO_CHECK_CERTIFICATE = { literal: 'true' };
    else if (caCert !== undefined) {
      // rclone's FTP backend ignores --ca-cert: its TLS verifies with the system's roots, which
      // Go reads from SSL_CERT_FILE, and from SSL_CERT_DIR (not a directory: no others).
      env.SSL_CERT_FILE = { literal: caCert };
      env.SSL_CERT_DIR = { literal: '/dev/null' };
    }
    // rclone's FTP backend reveals its password even when none is given, and fails on nothing
    // ("input too short") before it reaches the server: without a password it is given the
    // empty one, obscured (an IV of zeros, no text), which the server may accept (anonymous) or
    // refuse (a user's login), as it decides.
    if (password === undefined) env.RCLONE_FTP_PASS = { literal: EMPTY_OBSCURED };
    return {
      kind: 'rclone',
      remote: ':ftp:',
      env,
      obscured: password === undefined ? {} : { RCLONE_FTP_PASS: password },
      shown: base,
      loginFailures,
    };
  }
  env.RCLONE_WEBDAV_URL = { literal: base };
  env.RCLONE_WEBDAV_VENDOR = { literal: 'other' };
  if (location.user !== undefined) env.RCLONE_WEBDAV_USER = { literal: location.user };
  return {
    kind: 'rclone',
    remote: ':webdav:',
    env,
    obscured: password === undefined ? {} : { RCLONE_WEBDAV_PASS: password },
    shown: base,
    loginFailures,
    webdav: {
      base,
      curlConfig: curlConfig(location.user, password, caCert),
      loginFailures: curlLoginFailures(loginFailures),
      // Units of other collect points may rename on the same server side by side.
      curlConfigFile: `${names.prefix.replaceAll('_', '-')}webdav-curl.${encodeURIComponent(owner.name)}.${encodeURIComponent(owner.collectPoint)}.conf`,
    },
  };
}

/** curl's configuration for the WebDAV rename: quoted values, `\` and `"` escaped. */
function curlConfig(
  user: string | undefined,
  password: string | undefined,
  caCert: string | undefined,
): SecretPart[] {
  const quoted = (text: string) => text.replace(/[\\"]/g, '\\$&');
  const parts: SecretPart[] = [];
  if (user !== undefined)
    parts.push(
      `user = "${quoted(user)}:`,
      ...(password === undefined ? [] : [{ secret: password, escape: '\\"' }]),
      '"\n',
    );
  if (caCert === 'any') parts.push('insecure\n');
  else if (caCert !== undefined) parts.push(`cacert = "${quoted(caCert)}"\n`);
  return parts;
}
