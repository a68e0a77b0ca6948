import type { Diagnostics } from '../../diag/diagnostic.js';
import type { ActionDraft, GitRemoteSpec } from '../../graph/action.js';
import type { OptionSpec, OptionValues } from '../../options/schema.js';
import { committedOnTopOf, gitCollectPoint } from '../collect/git.js';
import type { BoundBackupPoint, BoundCollectPoint } from '../engine.js';
import { kerberosLogin, ticketDrafts } from '../kerberos-login.js';
import { atText } from '../toolkit.js';
import { noCopyMessage, unreadableCopy } from './expect-fetched.js';

/*
 * What the backup points that push a git collect point's history share (git, gitlab): their
 * options after the remote's, the pairing check, the push and the fetch that restores.
 */

const OWN_COMMITS =
  "the collect point's own commits are pushed: set the committer and message on the git collect point";

/** The options of every backup point that pushes a git collect point's history, after its remote's. */
export const PUSH_OPTIONS: readonly OptionSpec[] = [
  { name: 'remote_branch', type: 'string', default: 'master', help: 'Branch of the remote repository.' },
  {
    name: 'private_key',
    type: 'absolute-path',
    onHost: 'readable-file',
    help: 'ssh identity file (ssh -i), for ssh remotes.',
  },
  {
    name: 'ssh_options',
    type: 'string',
    help: 'Extra ssh arguments for ssh remotes, split like a shell would (quotes, backslashes), each given to ssh as one word, e.g. -o StrictHostKeyChecking=yes.',
  },
  {
    name: 'keytab',
    type: 'absolute-path',
    onHost: 'readable-file',
    help: "Kerberos keytab: git pushes and fetches under k5start, with a ticket of the keytab's first principal kept in a ticket cache private to the run (never the user's).",
  },
  { name: 'commit_email', type: 'string', help: 'Committer e-mail.', inert: OWN_COMMITS },
  { name: 'commit_name', type: 'string', help: 'Committer name.', inert: OWN_COMMITS },
  { name: 'commit_message', type: 'text', help: 'Commit message.', inert: OWN_COMMITS },
];

/** A backup point of a git history is bound to git collect points only. */
export function checkGitPair(bp: BoundBackupPoint, cp: BoundCollectPoint, diagnostics: Diagnostics): void {
  if (cp.engine === gitCollectPoint) return;
  diagnostics.error(
    `backup point "${bp.name}" pushes the history of a git collect point, and collect point "${cp.name}" (engine ${cp.engine.name}) has none`,
    bp.origin,
    `set engine = git in ${cp.file}, or keep "${cp.name}" away from this backup point with included_collect_point_tags or excluded_collect_point_tags`,
  );
}

/** The collect point's history pushed to the remote branch; `option` names the remote's config line. */
export function pushDrafts(
  bp: BoundBackupPoint,
  cp: BoundCollectPoint,
  remote: GitRemoteSpec,
  option: string,
  shown: string,
): ActionDraft[] {
  const branch = bp.options.string('remote_branch');
  const kerberos = kerberosLogin(bp.options, 'keytab', bp);
  return [
    ...ticketDrafts(bp.options, 'keytab', kerberos),
    {
      kind: 'git-push',
      gitDir: `${cp.exportDir}/.git`,
      remote: kerberos === undefined ? remote : { ...remote, kerberos },
      branch,
      noCommit: `collect point "${cp.name}" has no commit to push: its sources have copied nothing yet, and backup point "${bp.name}" holds no copy of it`,
      origin: bp.options.origin(option),
      summary: `push the history of "${cp.name}" to branch ${branch} of ${shown}`,
    },
  ];
}

/** The remote branch fetched into the collect directory and checked out. */
export function fetchDrafts(
  bp: BoundBackupPoint,
  cp: BoundCollectPoint,
  remote: GitRemoteSpec,
  option: string,
  shown: string,
  at: Date | undefined,
): ActionDraft[] {
  const branch = bp.options.string('remote_branch');
  const origin = bp.options.origin(option);
  const kerberos = kerberosLogin(bp.options, 'keytab', bp);
  const when = at === undefined ? undefined : atText(at);
  return [
    { kind: 'mkdir', path: cp.exportDir, origin, summary: `create ${cp.exportDir}` },
    ...ticketDrafts(bp.options, 'keytab', kerberos),
    {
      kind: 'git-fetch',
      workTree: cp.exportDir,
      remote: kerberos === undefined ? remote : { ...remote, kerberos },
      branch,
      shown,
      ...(when === undefined ? {} : { at: when }),
      missing: noCopyMessage(bp, cp, `${shown} has no branch ${branch}`),
      unreadable: unreadableCopy(bp, cp, { shown: `branch ${branch} of ${shown}`, tool: 'git' }),
      origin,
      summary:
        when === undefined
          ? `fetch branch ${branch} of ${shown} into "${cp.name}" and check it out`
          : `fetch branch ${branch} of ${shown} into "${cp.name}" and check out its last commit made at or before ${when}`,
    },
    // The files of that older commit committed again on top of the fetched branch: a later restore
    // finds this one as the newest.
    ...(when === undefined
      ? []
      : committedOnTopOf(cp, { ref: 'FETCH_HEAD', shown: `the fetched head of branch ${branch}` }, origin, {
          message: `Restore of branch ${branch} as it was at ${when}`,
          unchanged: 'the head of the branch is that commit',
        })),
  ];
}

/** A branch name git accepts (git check-ref-format --branch), and that no option parser misreads. */
export function checkBranch(options: OptionValues, diagnostics: Diagnostics): void {
  const branch = options.string('remote_branch');
  const valid =
    /^[A-Za-z0-9_][A-Za-z0-9._/-]*$/.test(branch) && !/\.\.|\/\/|\/\.|@\{|\.lock(\/|$)|[/.]$/.test(branch);
  if (!valid)
    diagnostics.error(
      `bad value for option 'remote_branch': '${branch}'`,
      options.origin('remote_branch'),
      'expected a branch name such as master or backups/{name}: letters, digits, ".", "_", "-" and "/"',
    );
}
