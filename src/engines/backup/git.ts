import type { Diagnostics } from '../../diag/diagnostic.js';
import { hideUrlPasswords } from '../../diag/hide-url-passwords.js';
import type { GitRemoteSpec } from '../../graph/action.js';
import type { OptionValues } from '../../options/schema.js';
import type { BackupEngine, BoundBackupPoint } from '../engine.js';
import { optionPlace } from '../option-place.js';
import { urlPasswordSecret } from '../secrets.js';
import { checkSshLoginConflicts } from '../ssh-login-conflicts.js';
import { checkSshOptions, loginOf, SSH_KERBEROS_NAMES, sshWords } from '../ssh-options.js';
import { checkBranch, checkGitPair, fetchDrafts, PUSH_OPTIONS, pushDrafts } from './git-history.js';
import { gitLoginFailures } from './git-logins.js';
import { type GitRemote, parseGitRemote } from './git-remote.js';

/**
 * Pushes the history of a git collect point to a branch of another repository, which grows by the
 * collect point's commits (one per run with changes); a restore fetches that branch back into the
 * collect directory.
 */
export const gitBackupPoint: BackupEngine = {
  role: 'backup',
  name: 'git',
  filtersRefused: "it pushes the collect point's git history, not its files",
  summary:
    'Push the history of a git collect point to a branch of a git repository (local path, ssh, or http(s) with a password kept out of argv and files).',
  options: [
    {
      name: 'remote_url',
      type: 'url',
      required: true,
      urlPasswordSecret: true,
      help: 'The repository, which must exist (git init --bare): /path, file:///path, ssh://[user@]host[:port]/path, user@host:path, http(s)://[user[:password]@]host[:port]/path or git://host/path. An http(s) password is a secret: it reaches git through a credential helper that reads it from the environment. Include {name}: each collect point needs its own repository or branch.',
    },
    ...PUSH_OPTIONS,
  ],
  check: checkGitTarget,
  checkPair: checkGitPair,
  location: (options) => {
    const remote = parseGitRemote(options.string('remote_url'));
    return remote.kind === 'local' ? remote.path : undefined;
  },
  locationPart: (options) => `branch ${options.string('remote_branch')}`,
  backup: (bp, cp) => pushDrafts(bp, cp, remoteSpec(bp), 'remote_url', shown(bp)),
  restore: (bp, cp, context) => fetchDrafts(bp, cp, remoteSpec(bp), 'remote_url', shown(bp), context.at),
  copyFoundAtRun: true,
};

const shown = (bp: BoundBackupPoint): string => hideUrlPasswords(bp.options.string('remote_url'));

function remoteOf(bp: BoundBackupPoint): GitRemote {
  const remote = parseGitRemote(bp.options.string('remote_url'));
  if (remote.kind === 'invalid' || remote.kind === 'unsupported')
    throw new Error('git: remote_url was not validated');
  return remote;
}

function remoteSpec(bp: BoundBackupPoint): GitRemoteSpec {
  const remote = remoteOf(bp);
  switch (remote.kind) {
    case 'ssh':
      return { url: remote.url, sshArgs: sshWords(bp.options, [], SSH_KERBEROS_NAMES) };
    case 'http':
      return remote.password === undefined
        ? { url: remote.url }
        : {
            url: remote.url,
            passwordSecret: urlPasswordSecret(bp, 'remote_url'),
            loginFailures: gitLoginFailures(
              `the user and password of ${optionPlace(bp.options, 'remote_url')}`,
            ),
          };
    case 'local':
    case 'git':
      return { url: remote.url };
  }
}

function checkGitTarget(options: OptionValues, diagnostics: Diagnostics): void {
  const url = options.string('remote_url');
  const origin = options.origin('remote_url');
  const remote = parseGitRemote(url);
  switch (remote.kind) {
    case 'unsupported':
      diagnostics.error(
        `remote_url '${url}': ${remote.scheme}:// is not available for git`,
        origin,
        'use a local path, file://, ssh://, user@host:path, http(s):// or git://',
      );
      return;
    case 'invalid':
      diagnostics.error(`bad value for option 'remote_url': '${url}'`, origin, `expected ${remote.expected}`);
      return;
    case 'ssh':
      if (remote.hasPassword)
        diagnostics.warning(
          'the password in remote_url is ignored',
          origin,
          'ssh logs in with private_key (or an agent)',
        );
      checkSshOptions(options, diagnostics);
      checkSshLoginConflicts({ ...loginOf(remote), named: 'remote_url', origin }, options, diagnostics);
      break;
    case 'local':
    case 'http':
    case 'git':
      for (const name of ['private_key', 'ssh_options'])
        if (options.optionalString(name) !== undefined)
          diagnostics.warning(
            `option '${name}' has no effect: remote_url is not an ssh remote`,
            options.origin(name),
          );
  }
  checkBranch(options, diagnostics);
}
