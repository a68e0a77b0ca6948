import type { Diagnostics } from '../../diag/diagnostic.js';
import { hideUrlPasswords } from '../../diag/hide-url-passwords.js';
import type { GitRemoteSpec } from '../../graph/action.js';
import { hasControlCharacters } from '../../options/control-characters.js';
import type { OptionValues } from '../../options/schema.js';
import type { BackupEngine, BoundBackupPoint } from '../engine.js';
import { optionPlace } from '../option-place.js';
import { backupSecret } from '../secrets.js';
import { checkSshLoginConflicts } from '../ssh-login-conflicts.js';
import { checkSshOptions, SSH_KERBEROS_NAMES, sshWords } from '../ssh-options.js';
import { setString } from '../toolkit.js';
import { checkBranch, checkGitPair, fetchDrafts, PUSH_OPTIONS, pushDrafts } from './git-history.js';
import { gitLoginFailures } from './git-logins.js';

/** `namespace/name`, the namespace possibly nested; GitLab's path characters, no `.git` ending. */
const PROJECT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(\/[A-Za-z0-9_][A-Za-z0-9_.-]*)+$/;

/**
 * A git backup point on a GitLab instance: the project is created private when missing (REST API
 * v4, with the api_key's token), then the collect point's history is pushed to it over http(s)
 * with username and password, or over ssh with private_key.
 */
export const gitlabBackupPoint: BackupEngine = {
  role: 'backup',
  name: 'gitlab',
  filtersRefused: "it pushes the collect point's git history, not its files",
  summary:
    'Push the history of a git collect point to a GitLab project, created private through the REST API (v4) when missing.',
  options: [
    {
      name: 'gitlab_url',
      type: 'url',
      required: true,
      help: 'The GitLab instance, e.g. https://gitlab.example.org or https://example.org:8443/gitlab/: its port and path prefix are kept, for the API and for http(s) pushes.',
    },
    {
      name: 'project_name',
      type: 'string',
      required: true,
      help: 'namespace/project (or group/subgroup/project), e.g. backups/{name}: created private in the namespace when missing; the namespace must exist.',
    },
    {
      name: 'api_key',
      type: 'string',
      required: true,
      secret: true,
      help: 'A personal or group access token with the api scope, sent as the PRIVATE-TOKEN header through a private file, never on a command line.',
    },
    {
      name: 'username',
      type: 'string',
      help: 'The http(s) user; over ssh, the ssh user (default git).',
    },
    {
      name: 'password',
      type: 'string',
      secret: true,
      help: 'The http(s) password or access token, given to git by a credential helper from the environment.',
    },
    ...PUSH_OPTIONS,
  ],
  check: checkGitlab,
  checkPair: checkGitPair,
  locationPart: (options) => `branch ${options.string('remote_branch')}`,
  backup: (bp, cp) => [
    {
      kind: 'gitlab-project',
      api: `${instance(bp.options)}/api/v4`,
      project: bp.options.string('project_name'),
      tokenSecret: backupSecret(bp, 'api_key'),
      tokenOption: optionPlace(bp.options, 'api_key'),
      workFiles: `gitlab.${encodeURIComponent(bp.name)}.${encodeURIComponent(cp.name)}`,
      origin: bp.options.origin('project_name'),
      summary: `create GitLab project ${bp.options.string('project_name')} unless it exists`,
    },
    ...pushDrafts(bp, cp, remote(bp), 'project_name', shown(bp)),
  ],
  restore: (bp, cp, context) => fetchDrafts(bp, cp, remote(bp), 'project_name', shown(bp), context.at),
  copyFoundAtRun: true,
};

/** `gitlab_url` without its final slashes: scheme, host, port and path prefix. */
function instance(options: OptionValues): string {
  return options.string('gitlab_url').replace(/\/+$/, '');
}

/** The project's git URL, without password. */
function gitUrl(bp: BoundBackupPoint): string {
  const project = `${bp.options.string('project_name')}.git`;
  const url = new URL(`${instance(bp.options)}/${project}`);
  const user = setString(bp.options, 'username');
  if (setString(bp.options, 'private_key') !== undefined)
    return `ssh://${encodeURIComponent(user ?? 'git')}@${url.host.replace(/:\d+$/, '')}/${project}`;
  if (user !== undefined) url.username = encodeURIComponent(user);
  return url.href;
}

function remote(bp: BoundBackupPoint): GitRemoteSpec {
  const url = gitUrl(bp);
  if (setString(bp.options, 'private_key') !== undefined)
    return { url, sshArgs: sshWords(bp.options, [], SSH_KERBEROS_NAMES) };
  return {
    url,
    passwordSecret: backupSecret(bp, 'password'),
    loginFailures: gitLoginFailures(
      `the password of ${optionPlace(bp.options, 'password')} for the user of ${optionPlace(bp.options, 'username')}`,
    ),
  };
}

const shown = (bp: BoundBackupPoint): string => gitUrl(bp);

function checkGitlab(options: OptionValues, diagnostics: Diagnostics): void {
  checkInstance(options, diagnostics);
  const project = options.string('project_name');
  if (!PROJECT.test(project) || project.endsWith('.git') || project.split('/').some((p) => p.endsWith('.')))
    diagnostics.error(
      `bad value for option 'project_name': '${project}'`,
      options.origin('project_name'),
      'expected namespace/project such as backups/{name}: letters, digits, "_", "-" and "." (not at the end, no .git)',
    );
  if (setString(options, 'private_key') !== undefined) {
    checkSshOptions(options, diagnostics);
    const user = setString(options, 'username');
    checkSshLoginConflicts(
      user === undefined
        ? { user: 'git', named: 'the ssh URL made from gitlab_url', origin: options.origin('gitlab_url') }
        : { user, named: 'username', origin: options.origin('username') },
      options,
      diagnostics,
    );
    if (setString(options, 'password') !== undefined)
      diagnostics.warning(
        "option 'password' has no effect: private_key pushes over ssh",
        options.origin('password'),
      );
  } else if (setString(options, 'username') === undefined || setString(options, 'password') === undefined)
    diagnostics.error(
      'the GitLab project is pushed over http(s) with username and password, or over ssh with private_key',
      options.origin('gitlab_url'),
      'set username and password (a token with the write_repository scope), or private_key',
    );
  checkBranch(options, diagnostics);
}

function checkInstance(options: OptionValues, diagnostics: Diagnostics): void {
  const text = options.string('gitlab_url');
  let url: URL | undefined;
  try {
    url = hasControlCharacters(text) ? undefined : new URL(text);
  } catch {
    url = undefined;
  }
  const fine =
    url !== undefined &&
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.hostname !== '' &&
    url.search === '' &&
    url.hash === '' &&
    url.username === '' &&
    url.password === '';
  if (!fine)
    diagnostics.error(
      `bad value for option 'gitlab_url': '${hideUrlPasswords(text)}'`,
      options.origin('gitlab_url'),
      'expected http(s)://host[:port][/prefix], without user, password, ?query or #fragment (set username and password apart)',
    );
}
