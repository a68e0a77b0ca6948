import { createHash } from 'node:crypto';
import type { Diagnostics } from '../../diag/diagnostic.js';
import { hideUrlPasswords } from '../../diag/hide-url-passwords.js';
import type { ResticRepository } from '../../graph/action.js';
import type { EnvValue, Explanation } from '../../graph/command.js';
import { SSH_ERRORS_VARIABLE } from '../../graph/restic-specs.js';
import { hasControlCharacters } from '../../options/control-characters.js';
import { normalizePath } from '../../options/option-value.js';
import type { OptionValues } from '../../options/schema.js';
import type { BoundBackupPoint, VariableSources } from '../engine.js';
import { optionPlace } from '../option-place.js';
import { backupSecret, urlPasswordSecret } from '../secrets.js';
import { checkSshLoginConflicts } from '../ssh-login-conflicts.js';
import { checkSshOptions, loginOf, sshWords } from '../ssh-options.js';
import { setString } from '../toolkit.js';
import { aroundPassword, withoutPassword } from '../url.js';

/** restic's backends, by the word before the first colon of its repository location. */
export type ResticScheme = 'local' | 'sftp' | 'rest' | 'rclone' | 's3' | 'swift' | 'b2' | 'azure' | 'gs';

/** What restic reads from `remote_*` for each backend: variable names by option, and what it needs. */
interface BackendKeys {
  readonly variables: Readonly<Record<string, readonly string[]>>;
  readonly required: readonly string[];
}

const NO_KEYS: BackendKeys = { variables: {}, required: [] };

/** The original's table of variables, one option feeding several where restic reads either. */
const KEYS: Readonly<Record<ResticScheme, BackendKeys>> = {
  local: NO_KEYS,
  sftp: NO_KEYS,
  rest: NO_KEYS,
  rclone: NO_KEYS,
  s3: {
    variables: { remote_username: ['AWS_ACCESS_KEY_ID'], remote_secret: ['AWS_SECRET_ACCESS_KEY'] },
    required: ['remote_username', 'remote_secret'],
  },
  swift: {
    variables: {
      remote_username: ['OS_USERNAME', 'ST_USER'],
      remote_secret: ['OS_PASSWORD', 'ST_KEY'],
      remote_auth_url: ['ST_AUTH', 'OS_AUTH_URL'],
      remote_region_name: ['OS_REGION_NAME'],
      remote_user_domain_name: ['OS_USER_DOMAIN_NAME'],
      remote_project_name: ['OS_TENANT_ID', 'OS_PROJECT_NAME'],
      remote_project_domain_name: ['OS_TENANT_NAME', 'OS_PROJECT_DOMAIN_NAME'],
    },
    required: ['remote_username', 'remote_secret', 'remote_auth_url'],
  },
  b2: {
    variables: { remote_username: ['B2_ACCOUNT_ID'], remote_secret: ['B2_ACCOUNT_KEY'] },
    required: ['remote_username', 'remote_secret'],
  },
  azure: {
    variables: { remote_username: ['AZURE_ACCOUNT_NAME'], remote_secret: ['AZURE_ACCOUNT_KEY'] },
    required: ['remote_username', 'remote_secret'],
  },
  gs: {
    variables: { remote_username: ['GOOGLE_PROJECT_ID'], remote_secret: ['GOOGLE_APPLICATION_CREDENTIALS'] },
    required: ['remote_username', 'remote_secret'],
  },
};

/** Every `remote_*` option, in the order of the table. */
export const BACKEND_OPTIONS = [
  'remote_username',
  'remote_secret',
  'remote_auth_url',
  'remote_region_name',
  'remote_user_domain_name',
  'remote_project_name',
  'remote_project_domain_name',
] as const;

export type ResticLocation =
  | { readonly kind: 'local'; readonly path: string }
  | { readonly kind: 'sftp'; readonly host: string; readonly user?: string; readonly port?: number }
  | { readonly kind: 'other'; readonly scheme: Exclude<ResticScheme, 'local' | 'sftp'> }
  | { readonly kind: 'invalid'; readonly expected: string };

const EXPECTED =
  '/absolute/path, local:/absolute/path, sftp:[user@]host:/path, sftp://[user@]host[:port]//path, rest:http(s)://host[:port]/path, rclone:remote:path, s3:..., swift:..., b2:..., azure:... or gs:...';

/** A host and user that ssh cannot take for options, as restic hands them to it. */
const HOST = /^(?:[A-Za-z0-9_][A-Za-z0-9._-]*|\[[0-9A-Fa-f:.]+\])$/;
const USER = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** A repository location as restic reads it (restic's `location.Parse`). */
export function parseResticLocation(url: string): ResticLocation {
  if (hasControlCharacters(url))
    return { kind: 'invalid', expected: 'a location without control characters' };
  if (url.startsWith('/')) return { kind: 'local', path: normalizePath(url) };
  const colon = url.indexOf(':');
  const scheme = colon === -1 ? '' : url.slice(0, colon);
  const rest = url.slice(colon + 1);
  switch (scheme) {
    case 'local':
      return rest.startsWith('/')
        ? { kind: 'local', path: normalizePath(rest) }
        : { kind: 'invalid', expected: 'local:/absolute/path' };
    case 'sftp':
      return sftpLocation(rest);
    case 'rest':
      return /^https?:\/\/[^/]+/.test(rest)
        ? { kind: 'other', scheme }
        : { kind: 'invalid', expected: 'rest:http(s)://host[:port]/path' };
    case 'rclone':
    case 's3':
    case 'swift':
    case 'b2':
    case 'azure':
    case 'gs':
      return rest === ''
        ? { kind: 'invalid', expected: `${scheme}:... as restic documents it` }
        : { kind: 'other', scheme };
    default:
      return { kind: 'invalid', expected: EXPECTED };
  }
}

function sftpLocation(rest: string): ResticLocation {
  const url = /^\/\/(?:([^@/]+)@)?([^/:]+|\[[^\]]+\])(?::(\d+))?\/./.exec(rest);
  const scp = /^(?:([^@/:]+)@)?([^/:]+|\[[^\]]+\]):./.exec(rest);
  const match = rest.startsWith('//') ? url : scp;
  const expected = 'sftp:[user@]host:/path or sftp://[user@]host[:port]//path';
  if (match === null) return { kind: 'invalid', expected };
  const [, user, host, port] = match;
  if (host === undefined || !HOST.test(host) || (user !== undefined && !USER.test(user)))
    return { kind: 'invalid', expected: `${expected}, with a host and user that do not start with "-"` };
  const number = port === undefined ? undefined : Number(port);
  if (number !== undefined && (number < 1 || number > 65535))
    return { kind: 'invalid', expected: 'a port from 1 to 65535' };
  return {
    kind: 'sftp',
    host,
    ...(user === undefined ? {} : { user }),
    ...(number === undefined ? {} : { port: number }),
  };
}

export function schemeOf(location: Exclude<ResticLocation, { kind: 'invalid' }>): ResticScheme {
  return location.kind === 'other' ? location.scheme : location.kind;
}

/** The repository of one pair as the argv builder takes it. */
export function resticRepository(bp: BoundBackupPoint): ResticRepository {
  const url = bp.options.string('remote_url');
  const location = parseResticLocation(url);
  if (location.kind === 'invalid') throw new Error('restic: remote_url was not validated');
  const env: Record<string, EnvValue> = {};
  for (const [option, names] of Object.entries(KEYS[schemeOf(location)].variables)) {
    const value = setString(bp.options, option);
    if (value === undefined) continue;
    const secret = option === 'remote_secret';
    for (const name of names) env[name] = secret ? { secret: backupSecret(bp, option) } : { literal: value };
  }
  const around = aroundPassword(url);
  return {
    url: withoutPassword(url),
    passwordSecret: backupSecret(bp, 'password'),
    env,
    ...(around === undefined
      ? {}
      : {
          secretLocation: [
            around.before,
            { secret: urlPasswordSecret(bp, 'remote_url'), escape: '' },
            around.after,
          ],
        }),
    ...(location.kind === 'sftp'
      ? {
          sftpCommand: sftpCommand(bp.options, location),
          // Units run side by side in one work directory: one file per pair (its password's name).
          sshErrors: `restic-ssh.${createHash('sha256')
            .update(`${url} ${backupSecret(bp, 'password')}`)
            .digest('hex')
            .slice(0, 16)}.errors`,
        }
      : {}),
    credentialFailures: credentialFailures(bp.options, location, bp.variableSources),
  };
}

/**
 * What restic and ssh print of a wrong password or key, each naming the option's line (and the
 * variables its value is made of, with the line or `--set` that gives each, as they may be set
 * elsewhere): restic exits 1 for these as for every other failure.
 */
function credentialFailures(
  options: OptionValues,
  location: ResticLocation,
  sources: VariableSources | undefined,
): Explanation[] {
  const where = (name: string) => optionPlace(options, name, sources);
  const failures: Explanation[] = [
    {
      status: 'other',
      printed: 'wrong password or no key found',
      message: `the repository ${withoutPassword(options.string('remote_url'))} has no key for the password of ${where('password')}: it is not this repository's password`,
    },
  ];
  const key = setString(options, 'private_key');
  if (location.kind === 'sftp' && key !== undefined) {
    const unusable = `ssh cannot use the key of ${where('private_key')}`;
    failures.push(
      {
        status: 'other',
        printed: `Identity file ${key} not accessible`,
        message: `${unusable}: it cannot be read`,
      },
      { status: 'other', printed: `Load key "${key}"`, message: `${unusable}: it cannot be loaded` },
      {
        status: 'other',
        printed: 'Permission denied (publickey',
        message: `the ssh server refused the login with the key of ${where('private_key')}, or refused the user that remote_url names`,
      },
    );
  }
  return failures;
}

/**
 * The ssh command restic runs for sftp: ssh's words (BatchMode, the key, the user's options), then
 * the destination and the sftp subsystem, as restic would have run it; run through `sh`, which
 * appends ssh's error output to a file itself: restic copies ssh's lines from a pipe in a thread
 * that it does not wait for, and may exit before it has copied the last ("Permission denied"),
 * whereas ssh has written them to the file before it exits, and restic ends only after that.
 */
function sftpCommand(options: OptionValues, location: Extract<ResticLocation, { kind: 'sftp' }>): string[] {
  return [
    'sh',
    '-c',
    `exec "$0" "$@" 2>>"\${${SSH_ERRORS_VARIABLE}:?}"`,
    'ssh',
    ...sshWords(options, [
      ...(location.port === undefined ? [] : ['-p', String(location.port)]),
      ...(location.user === undefined ? [] : ['-l', location.user]),
    ]),
    location.host.replace(/^\[|\]$/g, ''),
    '-s',
    'sftp',
  ];
}

/** remote_url, the options its backend needs, and ssh's words as restic can split them. */
export function checkResticRepository(options: OptionValues, diagnostics: Diagnostics): void {
  const url = options.string('remote_url');
  const origin = options.origin('remote_url');
  const location = parseResticLocation(url);
  if (location.kind === 'invalid') {
    diagnostics.error(
      `bad value for option 'remote_url': '${hideUrlPasswords(url)}'`,
      origin,
      `expected ${location.expected}`,
    );
    return;
  }
  const scheme = schemeOf(location);
  const keys = KEYS[scheme];
  for (const option of keys.required)
    if (setString(options, option) === undefined)
      diagnostics.error(
        `missing required option '${option}' for a ${scheme}: repository`,
        options.sectionOrigin,
        `restic reads it as ${keys.variables[option]?.join(' and ')}`,
      );
  for (const option of BACKEND_OPTIONS)
    if (setString(options, option) !== undefined && keys.variables[option] === undefined)
      diagnostics.warning(
        `option '${option}' has no effect: restic's ${scheme} backend does not read it`,
        options.origin(option),
      );
  if (location.kind === 'sftp') {
    checkSshOptions(options, diagnostics);
    checkSshLoginConflicts({ ...loginOf(location), named: 'remote_url', origin }, options, diagnostics);
    checkSftpWords(options, location, diagnostics);
  } else
    for (const name of ['private_key', 'ssh_options'])
      if (setString(options, name) !== undefined)
        diagnostics.warning(
          `option '${name}' has no effect: remote_url is not an sftp: repository`,
          options.origin(name),
        );
}

/** restic splits `sftp.command` itself: quotes open and close, nothing escapes them. */
function checkSftpWords(
  options: OptionValues,
  location: Extract<ResticLocation, { kind: 'sftp' }>,
  diagnostics: Diagnostics,
): void {
  for (const word of sftpCommand(options, location)) {
    const name = word === setString(options, 'private_key') ? 'private_key' : 'ssh_options';
    if (word === '' || (word.includes('"') && word.includes("'")))
      diagnostics.error(
        `bad value for option '${name}': restic cannot pass ${word === '' ? 'an empty word' : `'${word}'`} to ssh`,
        options.origin(name),
        'restic splits its ssh command on spaces and quotes, with no escape: use words without both kinds of quotes',
      );
  }
}
