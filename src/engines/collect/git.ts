import type { Origin } from '../../diag/origin.js';
import type { ActionDraft } from '../../graph/action.js';
// The copies' reserved holding directory: what an interrupted copy left is never committed.
import { HOLDING_DIR } from '../../graph/build-commands.js';
import { attributesFile, NEUTRAL_ATTRIBUTES_ARGV } from '../../graph/git-content.js';
import { nestedMetadataArgv } from '../../graph/nested-metadata.js';
import { MODES_FILE } from '../../graph/tree-modes.js';
import type { BoundCollectPoint, CollectEngine } from '../engine.js';
import { atText, setString } from '../toolkit.js';
import { createCollectDir } from './files.js';
import { applyModes, recordModes } from './vcs-modes.js';

/**
 * Commits the collect directory to a git repository kept in it (`.git`, shipped with the files by
 * the backup points). Every git command names its repository (`--git-dir`, `--work-tree`), so no
 * repository around the collect point is ever touched, and the committer comes from `-c` options:
 * nothing is written to any git configuration.
 */
export const gitCollectPoint: CollectEngine = {
  role: 'collect',
  name: 'git',
  summary: 'Keep the collected files in LOCAL_PATH/backups and commit them to a git repository there.',
  options: [
    {
      name: 'commit_email',
      type: 'string',
      help: 'Committer e-mail; when unset, {username}@{fqdn} of the machine that plans.',
    },
    { name: 'commit_name', type: 'string', help: 'Committer name; when unset, {username}.' },
    {
      name: 'commit_message',
      type: 'text',
      default: 'Backup {Y}/{m}/{d} {H}:{M}',
      help: 'Commit message.',
    },
  ],
  exportDir: (layout) => layout.importDir,
  reservedPaths: ['.git', MODES_FILE],
  beforeSources: (cp) => [createCollectDir(cp)],
  afterSources: (cp) => {
    const origin = cp.options.origin('commit_message');
    const dir = cp.layout.importDir;
    return [
      {
        kind: 'run',
        // Quiet, and silent when the repository exists already.
        argv: ['git', '-c', 'init.defaultBranch=master', 'init', '-q', dir],
        tool: 'git',
        origin,
        summary: 'make the collect directory a git repository (once)',
      },
      {
        kind: 'mkdir',
        path: `${dir}/.git/info`,
        origin,
        summary: "create the repository's info directory",
      },
      neutralAttributes(cp, origin),
      {
        kind: 'run',
        argv: nestedMetadataArgv(dir, '.git'),
        cwd: dir,
        origin,
        summary: 'check that the collect directory holds nothing named .git that git would leave out',
      },
      ...recordModes(cp, '.git', origin),
      {
        kind: 'run',
        // --force: a source's .gitignore files name files to back up like any other.
        argv: [...git(cp), 'add', '--all', '--force', '--', ':/', `:(top,exclude,glob)**/${HOLDING_DIR}/**`],
        tool: 'git',
        origin,
        summary: 'stage every change of the collect directory',
      },
      commitStaged(cp, cp.options.string('commit_message'), origin, {
        unchanged: 'nothing changed since the last commit',
        summary: 'commit the changes, if any',
      }),
    ] satisfies ActionDraft[];
  },
  historyAt: 'local',
  historyDir: (cp) => `${cp.layout.importDir}/.git`,
  // The fetched copy's files and history agree; what a failed run left beside them goes. With
  // --at, unless the backup point gave back that time's copy already, the files of the last
  // commit made by then, committed again on top of the head.
  restoreBeforeSources: (cp, at, fetchedAt) => [
    neutralAttributes(cp, cp.options.origin('local_path')),
    {
      kind: 'run',
      argv: [...git(cp), 'reset', '--quiet', '--hard'],
      tool: 'git',
      origin: cp.options.origin('local_path'),
      summary: 'reset the collect directory to its last commit',
    },
    {
      kind: 'run',
      // -x: what a source's .gitignore names is removed too, as every such file is committed.
      argv: [...git(cp), 'clean', '--quiet', '--force', '-d', '-x'],
      tool: 'git',
      origin: cp.options.origin('local_path'),
      summary: 'remove files and directories that are not in the last commit',
    },
    ...(at === undefined || fetchedAt === true ? [] : checkoutAt(cp, atText(at))),
    applyModes(cp, cp.options.origin('local_path')),
  ],
};

/** The repository's attributes file, which keeps git from converting any file's content. */
function neutralAttributes(cp: BoundCollectPoint, origin: Origin): ActionDraft {
  return {
    kind: 'run',
    argv: NEUTRAL_ATTRIBUTES_ARGV,
    stdout: attributesFile(cp.layout.importDir),
    origin,
    summary:
      "make git keep every file byte for byte, whatever a .gitattributes says (the repository's attributes file)",
  };
}

/**
 * The collect point's files as its last commit made at or before `when` left them, committed on
 * top of the head when they differ: the history only grows, and its pushes stay fast-forwards.
 */
function checkoutAt(cp: BoundCollectPoint, when: string): ActionDraft[] {
  const origin = cp.options.origin('local_path');
  return [
    {
      kind: 'git-checkout-at',
      workTree: cp.layout.importDir,
      at: when,
      origin,
      summary: `check out the last commit of the collect directory made at or before ${when}`,
    },
    // reset --hard left the head it moved from in ORIG_HEAD.
    ...committedOnTopOf(cp, { ref: 'ORIG_HEAD', shown: 'the head' }, origin, {
      message: `Restore of the collect directory as it was at ${when}`,
      unchanged: 'the head is that commit',
    }),
  ];
}

/**
 * The files checked out committed on top of `head` (a ref, and how summaries name it) when they
 * differ from it: a restore of an older commit never rewrites the history, and the next push
 * stays a fast-forward.
 */
export function committedOnTopOf(
  cp: BoundCollectPoint,
  head: { readonly ref: string; readonly shown: string },
  origin: Origin,
  commit: { readonly message: string; readonly unchanged: string },
): ActionDraft[] {
  return [
    {
      kind: 'run',
      argv: [...git(cp), 'reset', '--quiet', '--soft', head.ref],
      tool: 'git',
      origin,
      summary: `make ${head.shown} the current commit again, keeping the files checked out`,
    },
    commitStaged(cp, commit.message, origin, {
      unchanged: commit.unchanged,
      summary: 'commit those files on top of the head, if they differ from it',
    }),
  ];
}

/**
 * A commit of what is staged in the collect point's repository, when it differs from the current
 * commit, by the collect point's committer (no hook of the user's runs, nothing signed).
 */
export function commitStaged(
  cp: BoundCollectPoint,
  message: string,
  origin: Origin,
  said: { readonly unchanged: string; readonly summary: string },
): ActionDraft {
  return {
    kind: 'run-if-changed',
    probe: [...git(cp), 'diff', '--cached', '--quiet'],
    run: [
      ...git(cp),
      '-c',
      `user.name=${setString(cp.options, 'commit_name') ?? cp.variables.username}`,
      '-c',
      `user.email=${setString(cp.options, 'commit_email') ?? `${cp.variables.username}@${cp.variables.fqdn}`}`,
      '-c',
      'commit.gpgsign=false',
      'commit',
      '--quiet',
      '--no-verify',
      `--message=${message}`,
    ],
    // Dated as the run's successes are, not by the clock of the moment: with --now, the commit
    // and the state that records it name the same time, which restore --at compares.
    env: { GIT_AUTHOR_DATE: { runStarted: true }, GIT_COMMITTER_DATE: { runStarted: true } },
    unchanged: said.unchanged,
    tool: 'git',
    origin,
    summary: said.summary,
  };
}

export function git(cp: BoundCollectPoint): string[] {
  const dir = cp.layout.importDir;
  return ['git', `--git-dir=${dir}/.git`, `--work-tree=${dir}`];
}
