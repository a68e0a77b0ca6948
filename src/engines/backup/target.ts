import type { Diagnostics } from '../../diag/diagnostic.js';
import type { ActionDraft, RcloneTransport, RsyncRemote, SshTransport } from '../../graph/action.js';
import type { OptionSpec, OptionValues } from '../../options/schema.js';
import type { BoundBackupPoint, VariableSources } from '../engine.js';
import { kerberosLogin, ticketDrafts } from '../kerberos-login.js';
import type { SecretOwner } from '../secrets.js';
import { isServiceScheme, parseServiceLocation } from '../service-url.js';
import { checkSshLocation, sshLoginWords, warnSshOptionsUnused } from '../ssh-options.js';
import { parseRemoteLocation } from '../url.js';
import {
  checkServiceOptions,
  SERVICE_OPTIONS,
  serviceTransport,
  type TargetOptionNames,
  targetOptionNames,
  warnServiceOptionsUnused,
} from './service-target.js';

/**
 * Where a backup point's `remote_url` is: a local path, a path on a host reached through ssh, or a
 * path on a WebDAV or FTP server or in an S3 bucket (`/bucket/key`), reached through rclone.
 */
export type Target =
  | { readonly kind: 'local'; readonly path: string }
  | { readonly kind: 'ssh'; readonly path: string; readonly transport: SshTransport }
  | { readonly kind: 'rclone'; readonly path: string; readonly transport: RcloneTransport };

/** What the configuration checks know of a target: its kind and path. */
export type TargetPlace = Pick<Target, 'kind' | 'path'>;

/**
 * The options of the transport to a remote directory: a backup point's target, or a remote_files
 * source (`what` names them in the help).
 */
export function transportOptions(what: 'targets' | 'sources'): readonly OptionSpec[] {
  return [
    {
      name: 'private_key',
      type: 'absolute-path',
      onHost: 'readable-file',
      help: `ssh identity file (ssh -i), for ssh:// and user@host:/path ${what}.`,
    },
    {
      name: 'ssh_options',
      type: 'string',
      help: 'Extra ssh arguments, split like a shell would (quotes, backslashes), each given to ssh as one word, e.g. -o StrictHostKeyChecking=yes. ssh always runs with -o BatchMode=yes.',
    },
    {
      name: 'ca_cert',
      type: 'string',
      onHost: 'readable-file',
      help: `https:// and ftps:// ${what}: a CA bundle (PEM file) to verify the server with, or "any" to skip verification.`,
    },
    {
      name: 'keytab',
      type: 'absolute-path',
      onHost: 'readable-file',
      help: `Kerberos keytab, for ssh:// and user@host:/path ${what}: ssh logs in with GSSAPI under k5start, with a ticket of the keytab's first principal kept in a ticket cache private to the run (never the user's).`,
    },
    ...SERVICE_OPTIONS,
  ];
}

/** The options of remote targets. */
export const TRANSPORT_OPTIONS = transportOptions('targets');

const EXPECTED =
  '/path, file:///path, ssh://[user@]host[:port]/path, user@host:/path, http(s)://[user@]host[:port]/path (WebDAV), ftp(s)://[user@]host[:port]/path or s3://bucket/key';

export type { TargetOptionNames };

const REMOTE_URL = targetOptionNames('remote_url', '');

/** The target `remote_url` (or `names.url`) names, or undefined after an error at its line. */
export function checkTarget(
  options: OptionValues,
  diagnostics: Diagnostics,
  names: TargetOptionNames = REMOTE_URL,
): TargetPlace | undefined {
  const url = options.string(names.url);
  const origin = options.origin(names.url);
  const location = parseRemoteLocation(url);
  switch (location.kind) {
    case 'unsupported': {
      if (isServiceScheme(location.scheme)) {
        const service = parseServiceLocation(url, location.scheme);
        if (service.kind === 'invalid') {
          diagnostics.error(
            `bad value for option '${names.url}': '${url}'`,
            origin,
            `expected ${service.expected}`,
          );
          return undefined;
        }
        const errors = diagnostics.errorCount;
        checkServiceOptions(service, options, diagnostics, names);
        return diagnostics.errorCount > errors ? undefined : { kind: 'rclone', path: service.path };
      }
      // `host:/path`, as rsync and scp read it: a host that the URL form cannot tell from a scheme.
      const host = url.startsWith(`${location.scheme}://`) ? undefined : url.slice(0, url.indexOf(':'));
      diagnostics.error(
        host === undefined
          ? `${names.url} '${url}': ${location.scheme}:// is not available in this version`
          : `${names.url} '${url}' is not a URL (no // after '${host}:'), nor an ssh target (no user before the host)`,
        origin,
        host === undefined
          ? `use ${EXPECTED}`
          : `for a path on host ${host} through ssh, write USER@${url} or ssh://${host}/ABSOLUTE/PATH`,
      );
      return undefined;
    }
    case 'invalid':
      diagnostics.error(
        `bad value for option '${names.url}': '${url}'`,
        origin,
        // Without a scheme, any form may have been meant: a relative path, `user@:/path`.
        `expected ${/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(url) || /^[^/@:]+@[^/:]/.test(url) ? location.expected : EXPECTED}`,
      );
      return undefined;
    case 'local':
      warnSshOptionsUnused(names.url, options, diagnostics, names);
      warnServiceOptionsUnused(options, diagnostics, names, `${names.url} is a local path`);
      return { kind: 'local', path: location.path };
    case 'ssh': {
      warnServiceOptionsUnused(options, diagnostics, names, `${names.url} is an ssh target`);
      const errors = diagnostics.errorCount;
      checkSshLocation(location, names.url, options, diagnostics, names);
      if (diagnostics.errorCount > errors) return undefined;
      return { kind: 'ssh', path: location.path };
    }
  }
}

/** The target of a pair's `remote_url`, which the engine's check accepted. */
export const pointTarget = (bp: BoundBackupPoint): Target =>
  targetOf(bp.options, REMOTE_URL, bp, bp.variableSources);

/**
 * The target of a `remote_url` (or `names.url`) that `checkTarget` accepted, for the pair `owner`,
 * whose secret variables WebDAV, FTP and S3 targets name; `sources`: where the variables of its
 * options are set, which the words of a refused login name.
 */
export function targetOf(
  options: OptionValues,
  names: TargetOptionNames,
  owner: SecretOwner,
  sources?: VariableSources,
): Target {
  const url = options.string(names.url);
  const location = parseRemoteLocation(url);
  switch (location.kind) {
    case 'local':
      return { kind: 'local', path: location.path };
    case 'ssh': {
      const kerberos = kerberosLogin(options, names.keytab, owner);
      const transport: SshTransport = {
        kind: 'ssh',
        host: location.host,
        sshArgs: sshLoginWords(location, options, names),
        ...(kerberos === undefined ? {} : { kerberos }),
      };
      return { kind: 'ssh', path: location.path, transport };
    }
    case 'unsupported': {
      const service = isServiceScheme(location.scheme)
        ? parseServiceLocation(url, location.scheme)
        : undefined;
      if (service === undefined || service.kind === 'invalid') break;
      return {
        kind: 'rclone',
        path: service.path,
        transport: serviceTransport(service, options, names, owner, sources),
      };
    }
    case 'invalid':
      break;
  }
  throw new Error(`${names.url} was not validated`);
}

/** The path of a target URL's file or directory, whatever its transport; undefined when it names none. */
export function targetPathOf(url: string): string | undefined {
  const location = parseRemoteLocation(url);
  switch (location.kind) {
    case 'local':
    case 'ssh':
      return location.path;
    case 'unsupported': {
      if (!isServiceScheme(location.scheme)) return undefined;
      const service = parseServiceLocation(url, location.scheme);
      return service.kind === 'invalid' ? undefined : service.path;
    }
    case 'invalid':
      return undefined;
  }
}

/** How summaries name a target: `/path`, `host:/path`, `https://host/path`, `s3://bucket/key`. */
export function shownTarget(target: Target, path = target.path): string {
  switch (target.kind) {
    case 'local':
      return path;
    case 'ssh':
      return `${target.transport.host}:${path}`;
    case 'rclone':
      return `${target.transport.shown}${path}`;
  }
}

/**
 * The ticket of an ssh target's keytab (option `keytab`, or `metadata_keytab`), obtained on the
 * keytab's line before anything reaches the host; nothing for other targets.
 */
export function targetTicket(target: Target, options: OptionValues, keytab = 'keytab'): ActionDraft[] {
  return ticketDrafts(options, keytab, target.kind === 'ssh' ? target.transport.kerberos : undefined);
}

/** The rsync side of a target on another host reached through ssh. */
export function rsyncRemote(target: Target, side: 'from' | 'to'): RsyncRemote | undefined {
  if (target.kind !== 'ssh') return undefined;
  const { host, sshArgs, kerberos } = target.transport;
  return { side, host, sshArgs, ...(kerberos === undefined ? {} : { kerberos }) };
}

/** The local path of `remote_url` for the overlap checks; undefined for other transports. */
export function localLocation(options: OptionValues): string | undefined {
  const location = parseRemoteLocation(options.string('remote_url'));
  return location.kind === 'local' ? location.path : undefined;
}
