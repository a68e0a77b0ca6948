import type { Diagnostics } from '../../diag/diagnostic.js';
import type { ActionDraft, SvnRepositorySpec } from '../../graph/action.js';
import { nestedMetadataArgv } from '../../graph/nested-metadata.js';
import { MODES_FILE } from '../../graph/tree-modes.js';
import type { OptionValues } from '../../options/schema.js';
import { LIVE_UNCHANGED } from '../backup/expect-fetched.js';
import type { BoundCollectPoint, CollectEngine } from '../engine.js';
import { optionPlace } from '../option-place.js';
import { collectSecret, collectUrlPasswordSecret } from '../secrets.js';
import { atText, setString } from '../toolkit.js';
import { createCollectDir } from './files.js';
import { parseSvnRemote, type SvnRemote } from './svn-remote.js';
import { applyModes, recordModes } from './vcs-modes.js';

/**
 * Keeps the collect directory as a working copy of an existing Subversion repository: checked out
 * on the first run, then every run's changes (additions, deletions) committed, one revision per
 * run with changes. A restore makes the working copy what the repository's HEAD holds, or with
 * --at what it held then.
 */
export const subversionCollectPoint: CollectEngine = {
  role: 'collect',
  name: 'subversion',
  summary:
    'Keep the collected files in LOCAL_PATH/backups, a working copy of a Subversion repository, and commit them there.',
  options: [
    {
      name: 'remote_url',
      type: 'url',
      required: true,
      urlPasswordSecret: true,
      help: 'The repository, which must exist (svnadmin create): file:///path, svn://host[:port]/path or http(s)://host[:port]/path, with user:password@ before the host when the server asks for one. The password is a secret: svn reads it on its standard input. Include {name}: each collect point needs its own repository.',
    },
    {
      name: 'ca_cert',
      type: 'string',
      onHost: 'readable-file',
      help: "https: the file of the authority that signs the server's certificate, or 'any' to accept any certificate.",
    },
    {
      name: 'client_cert',
      type: 'absolute-path',
      onHost: 'readable-file',
      help: 'https: the client certificate file (PKCS#12).',
    },
    {
      name: 'client_cert_password',
      type: 'string',
      secret: true,
      help: "The client certificate's password: a secret, written only in svn's configuration directory private to the run.",
    },
    {
      name: 'commit_message',
      type: 'text',
      default: 'Backup {Y}/{m}/{d} {H}:{M}',
      help: 'Commit message.',
    },
  ],
  check: checkSvnRemote,
  exportDir: (layout) => layout.importDir,
  reservedPaths: ['.svn', MODES_FILE],
  // A working copy that a restore left at an older revision commits on top of HEAD.
  beforeSources: (cp) => [createCollectDir(cp), config(cp), checkout(cp), update(cp)],
  afterSources: (cp) => [
    {
      kind: 'run',
      argv: nestedMetadataArgv(cp.layout.importDir, '.svn'),
      cwd: cp.layout.importDir,
      origin: cp.options.origin('remote_url'),
      summary: 'check that the collect directory holds nothing named .svn that svn would leave out',
    },
    ...recordModes(cp, '.svn', cp.options.origin('remote_url')),
    {
      kind: 'svn-commit',
      workingCopy: cp.layout.importDir,
      repository: repositoryOf(cp),
      message: cp.options.string('commit_message'),
      origin: cp.options.origin('remote_url'),
      summary: 'commit the changes of the collect directory, if any',
    },
  ],
  historyAt: 'remote',
  // With --at, the repository's revision of that time, whatever copy a backup point gave back.
  restoreBeforeSources: (cp, at) => [
    createCollectDir(cp),
    config(cp),
    checkout(cp, unreadableRepository(cp)),
    update(cp, at, unreadableRepository(cp)),
    applyModes(cp, cp.options.origin('remote_url')),
  ],
};

/**
 * A restore's words for a repository it cannot read: its sources are restored after, so the live
 * data are as they were (the working copy's strays and local changes may be gone already).
 */
function unreadableRepository(cp: BoundCollectPoint): string {
  return `the repository ${remoteOf(cp).url} of collect point "${cp.name}" could not be read (svn says why above): ${LIVE_UNCHANGED}`;
}

function update(cp: BoundCollectPoint, at?: Date, unreadable?: string): ActionDraft {
  // Whole seconds: the update adds svn's fraction that takes in the whole second.
  const instant = at === undefined ? undefined : atText(new Date(Math.floor(at.getTime() / 1000) * 1000));
  return {
    kind: 'svn-update',
    workingCopy: cp.layout.importDir,
    repository: repositoryOf(cp),
    ...(instant === undefined ? {} : { at: instant }),
    ...(unreadable === undefined ? {} : { unreadable }),
    origin: cp.options.origin('remote_url'),
    summary: `revert local changes, remove strays and update the collect directory to ${instant === undefined ? 'the last revision' : `the revision of the last run that started at or before ${instant}`}`,
  };
}

function config(cp: BoundCollectPoint): ActionDraft {
  return {
    kind: 'svn-config',
    repository: repositoryOf(cp),
    origin: cp.options.origin('remote_url'),
    summary: "write svn's configuration and credentials for this run (private to it)",
  };
}

function checkout(cp: BoundCollectPoint, unreadable?: string): ActionDraft {
  return {
    kind: 'svn-checkout',
    workingCopy: cp.layout.importDir,
    repository: repositoryOf(cp),
    ...(unreadable === undefined ? {} : { unreadable }),
    origin: cp.options.origin('remote_url'),
    summary: 'check the repository out into the collect directory (once), at remote_url',
  };
}

function remoteOf(cp: BoundCollectPoint): SvnRemote {
  const remote = parseSvnRemote(cp.options.string('remote_url'));
  if (remote.kind !== 'remote') throw new Error('subversion: remote_url was not validated');
  return remote;
}

function repositoryOf(cp: BoundCollectPoint): SvnRepositorySpec {
  const remote = remoteOf(cp);
  const caCert = setString(cp.options, 'ca_cert');
  const clientCert = setString(cp.options, 'client_cert');
  return {
    url: remote.url,
    // One directory per collect point: units of several points may run side by side.
    configDir: `svn-${encodeURIComponent(cp.name)}`,
    ...(remote.username === undefined ? {} : { username: remote.username }),
    ...(remote.password === undefined
      ? {}
      : {
          passwordSecret: collectUrlPasswordSecret(cp, 'remote_url'),
          // svn's E215004: the server refused the user and password it was given.
          loginFailures: [
            {
              status: 'other',
              printed: 'E215004',
              message: `the server refused the user and password of ${optionPlace(cp.options, 'remote_url')}: one of them is wrong`,
            },
          ],
        }),
    ...(caCert === 'any' ? { trustServerCert: true } : caCert === undefined ? {} : { caCert }),
    ...(clientCert === undefined ? {} : { clientCert }),
    ...(setString(cp.options, 'client_cert_password') === undefined
      ? {}
      : { clientCertPasswordSecret: collectSecret(cp, 'client_cert_password') }),
  };
}

function checkSvnRemote(options: OptionValues, diagnostics: Diagnostics): void {
  const url = options.string('remote_url');
  const origin = options.origin('remote_url');
  const remote = parseSvnRemote(url);
  if (remote.kind === 'unsupported') {
    diagnostics.error(
      `remote_url: ${remote.scheme}:// is not available for subversion`,
      origin,
      'use file://, a local path, svn:// or http(s)://',
    );
    return;
  }
  if (remote.kind === 'invalid') {
    diagnostics.error('bad value for option remote_url', origin, `expected ${remote.expected}`);
    return;
  }
  const caCert = setString(options, 'ca_cert');
  if (caCert !== undefined && caCert !== 'any' && !caCert.startsWith('/'))
    diagnostics.error(
      `bad value for option 'ca_cert': '${caCert}'`,
      options.origin('ca_cert'),
      "expected an absolute path or 'any'",
    );
  if (
    setString(options, 'client_cert_password') !== undefined &&
    setString(options, 'client_cert') === undefined
  )
    diagnostics.warning(
      "option 'client_cert_password' has no effect without client_cert",
      options.origin('client_cert_password'),
    );
  if (remote.scheme !== 'https')
    for (const name of ['ca_cert', 'client_cert'])
      if (setString(options, name) !== undefined)
        diagnostics.warning(
          `option '${name}' has no effect: remote_url is not an https:// URL`,
          options.origin(name),
        );
}
