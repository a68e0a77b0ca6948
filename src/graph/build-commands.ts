import { type Action, assertNever, type ExpectCopySpec, type ToolRun } from './action.js';
import { packCommands, unpackCommands } from './archive-commands.js';
import {
  type Command,
  type ExecCommand,
  type Explanation,
  explained,
  type ToolPaths,
  type Word,
} from './command.js';
import { cryptTreeCommand, hashCheckCommands, hashIndexCommands } from './filter-commands.js';
import { gitCheckoutAtCommand, gitFetchCommands, gitPushCommands } from './git-commands.js';
import { gitlabProjectCommands } from './gitlab-commands.js';
import { HOLDING_DIR } from './holding-dir.js';
import { kerberosTicketCommands, underKerberos } from './kerberos-commands.js';
import { newestFileCommands } from './newest-file-commands.js';
import { rclonePathCheck } from './rclone-commands.js';
import { syncDirCommands, syncPreview } from './rclone-sync-commands.js';
import { readableFirst, readableTest } from './readable-check.js';
import {
  resticBackupCommands,
  resticForgetCommands,
  resticInitCommands,
  resticRestoreCommands,
  resticUnlockCommands,
} from './restic-commands.js';
import {
  archiveCheck,
  type CommandOptions,
  copyCheck,
  holdingFilters,
  rsyncArgv,
  rsyncCommands,
  syncFilesystem,
} from './rsync-commands.js';
import { shCommand } from './sh-command.js';
import {
  svnCheckoutCommands,
  svnCommitCommands,
  svnConfigCommands,
  svnUpdateCommands,
} from './svn-commands.js';
import {
  deleteRemoteCommands,
  getFileCommands,
  putFileCommands,
  remoteShellArgv,
} from './transport-commands.js';
import { MODES_FILE } from './tree-modes.js';
import { maskPattern } from './user-mask.js';

export type { ToolPaths } from './command.js';
export type { CommandOptions } from './rsync-commands.js';

/** The one argv builder: every action becomes Commands here and nowhere else. */
export function buildCommands(
  action: Action,
  tools: ToolPaths = {},
  options: CommandOptions = {},
): Command[] {
  switch (action.kind) {
    case 'mkdir':
      return [{ kind: 'make-dir', path: action.path }];
    case 'rsync':
      return rsyncCommands(action, tools, options);
    case 'recover-dir':
    case 'replace-dir':
      return [
        // The staged tree reaches the disk before the renames that swap it in: one flush of its
        // filesystem, as after a copy in place, rather than one fsync per file.
        ...(action.kind === 'replace-dir' ? [syncFilesystem(action.staging)] : []),
        {
          kind: action.kind === 'recover-dir' ? 'dir-recover' : 'dir-swap',
          staging: action.staging,
          target: action.target,
          previous: action.previous,
        },
      ];
    case 'private-file':
      return [
        {
          kind: 'private-file',
          workFile: action.workFile,
          parts: action.parts,
          ...(action.owner === undefined ? {} : { owner: action.owner }),
        },
      ];
    case 'dump': {
      const partial = action.partial;
      return [
        { kind: 'create-file', path: partial },
        {
          ...execOf(action, tools, action.id),
          ...(action.through === undefined ? {} : { pipeline: [action.through] }),
          stdout: partial,
        },
        {
          kind: 'check-dump',
          partial,
          previous: action.output,
          maxShrinkPercent: action.maxShrinkPercent,
          onSuspicious: action.onSuspicious,
          completeMark: action.completeMark,
        },
        { kind: 'publish-file', partial, file: action.output },
      ];
    }
    case 'load': {
      const tool = execOf(action, tools, action.id);
      if (action.through === undefined) return [{ ...tool, stdin: action.input }];
      return [{ ...tool, argv: action.through, stdin: action.input, pipeline: [tool.argv] }];
    }
    case 'verify-dump':
      return [
        {
          kind: 'check-dump',
          partial: action.input,
          previous: '',
          maxShrinkPercent: 0,
          onSuspicious: options.allowShrink === true ? 'allow' : 'refuse',
          completeMark: action.completeMark,
        },
      ];
    case 'expect-copy':
      return [...readableFirst(action), expectCopy(action, tools)];
    case 'run':
      return [execOf(action, tools, action.id)];
    case 'run-if-changed':
      return [
        {
          kind: 'exec-if-changed',
          probe: withExecutable(action.probe, action.tool, tools),
          run: withExecutable(action.run, action.tool, tools),
          unchanged: action.unchanged,
          ...(action.env === undefined ? {} : { env: action.env }),
        },
      ];
    case 'reload-dir':
      return [
        {
          kind: 'dir-reload',
          target: action.target,
          previous: action.previous,
          input: action.input,
          load: action.load,
          stop: action.stop,
          stopOrigin: action.stopOrigin,
          start: action.start,
        },
      ];
    case 'confirm': {
      const copy = action.copy;
      if (action.sync !== undefined) {
        const preview = syncPreview(action.sync, tools);
        return [
          {
            kind: 'confirm',
            warning: action.warning,
            preview: preview.argv,
            env: preview.env,
            fetchedCopy: action.sync.local,
            // The first command of a restore that reaches the server: a refused login names its option.
            ...(action.sync.transport.loginFailures === undefined
              ? {}
              : { explains: action.sync.transport.loginFailures }),
          },
        ];
      }
      if (copy === undefined) return [{ kind: 'confirm', warning: action.warning, preview: [] }];
      // The same copy, not in place (a dry run holds nothing back), its holding directories
      // filtered as the copy filters them: the list shows what the copy deletes. Without the
      // guard's --stats: the list shows changes only.
      const { guard: _judgedBefore, ...listed } = copy;
      return [
        ...copyCheck(copy, tools, options),
        {
          kind: 'confirm',
          warning: action.warning,
          preview: underKerberos(copy.remote?.kerberos, tools, [
            tools.rsync ?? 'rsync',
            '--dry-run',
            '--itemize-changes',
            ...holdingFilters(copy),
            ...rsyncArgv({ ...listed, inPlace: false }, tools.ssh).slice(1),
          ]),
          ...(copy.remote?.side === 'from' ? {} : { fetchedCopy: copy.from }),
        },
      ];
    }
    case 'align-mailboxes':
      return [
        {
          kind: 'align-mailboxes',
          copyDir: action.copyDir,
          live: action.live,
          socket: action.socket ?? '',
          copy: action.copy,
          users: action.users,
          mask: action.mask === undefined ? '' : maskPattern(action.mask),
          mailbox:
            action.mailbox === undefined
              ? ''
              : action.mailbox.toUpperCase() === 'INBOX'
                ? 'INBOX'
                : action.mailbox,
          selects: action.selects,
          lacking: action.lacking,
        },
      ];
    case 'pack':
      return [...archiveCheck(action, tools, options), ...packCommands(action, tools)];
    case 'unpack':
      return unpackCommands(action, tools);
    case 'git-push':
      return gitPushCommands(action, tools);
    case 'git-fetch':
      return gitFetchCommands(action, tools);
    case 'git-checkout-at':
      return [gitCheckoutAtCommand(action, tools)];
    case 'apply-modes':
      return [{ kind: 'apply-modes', manifest: `${action.workTree}/${MODES_FILE}`, tree: action.workTree }];
    case 'gitlab-project':
      return gitlabProjectCommands(action, tools);
    case 'kerberos-ticket':
      return kerberosTicketCommands(action, tools);
    case 'svn-config':
      return svnConfigCommands(action.repository);
    case 'svn-checkout':
      return svnCheckoutCommands(action, tools);
    case 'svn-commit':
      return svnCommitCommands(action, tools);
    case 'svn-update':
      return svnUpdateCommands(action, tools);
    case 'put-file':
      return putFileCommands(action, tools);
    case 'get-file':
      return getFileCommands(action, tools);
    case 'get-newest-file':
      return newestFileCommands(action, tools);
    case 'sync-dir':
      return syncDirCommands(action, tools, options);
    case 'delete-archive':
      // -f: an archive someone already removed is not a failure; the state forgets it all the same.
      if (action.transport !== undefined)
        return deleteRemoteCommands(action.transport, action.archive, tools);
      return [{ kind: 'exec', argv: ['rm', '-f', '--', action.archive] }];
    case 'restic-init':
      return resticInitCommands(action.repository, tools);
    case 'restic-unlock':
      return resticUnlockCommands(action.repository, tools, action.unreadable);
    case 'restic-backup':
      return resticBackupCommands(action, tools);
    case 'restic-forget':
      return resticForgetCommands(action, tools);
    case 'restic-restore':
      return resticRestoreCommands(action, tools);
    case 'hash-index':
      return hashIndexCommands(action, tools);
    case 'verify-hashes':
      return hashCheckCommands(action, tools);
    case 'crypt-tree':
      return [cryptTreeCommand(action)];
    default:
      return assertNever(action);
  }
}

/**
 * The exec command of the tool run of step `step`, before any redirection. A run that explains
 * texts its tool prints (a wrong password) keeps its error output until it ends, to find them there.
 */
function execOf(run: ToolRun, tools: ToolPaths, step: string): ExecCommand {
  const argv =
    run.timeout === undefined
      ? withExecutable(run.argv, run.tool, tools)
      : [...timeoutWords(run.timeout), ...withExecutable(run.argv, run.tool, tools)];
  const command: ExecCommand = {
    kind: 'exec',
    argv,
    ...(run.env === undefined ? {} : { env: run.env }),
    ...(run.cwd === undefined ? {} : { cwd: run.cwd }),
    ...(run.pipeline === undefined ? {} : { pipeline: run.pipeline }),
    ...(run.stdout === undefined ? {} : { stdout: run.stdout }),
    ...(run.timeout === undefined && run.explains === undefined
      ? {}
      : {
          explains: [
            ...(run.explains ?? []),
            ...(run.timeout === undefined ? [] : timeoutExplanations(run.timeout)),
          ],
        }),
  };
  if (!run.explains?.some((e) => e.printed !== undefined)) return command;
  // The step's id is the plan's own: units running side by side never share the file.
  return explained(command, command.explains ?? [], { kind: 'tool', of: step });
}

/**
 * What `timeout` means by its statuses, which would else read as the tool's own: 124 when it
 * stopped the tool with TERM, 137 (KILL) when the tool outlived TERM by 5 seconds.
 */
function timeoutExplanations(seconds: number): Explanation[] {
  return [
    { status: 124, message: `stopped after its timeout of ${seconds} s` },
    {
      status: 137,
      message: `killed, still running 5 s after its timeout of ${seconds} s (or killed by another)`,
    },
  ];
}

/** argv with its first word replaced by the configured executable of `tool`, when it names one. */
function withExecutable(argv: readonly Word[], tool: string | undefined, tools: ToolPaths): readonly Word[] {
  const executable = tool === undefined ? undefined : tools[tool];
  return executable === undefined ? argv : [executable, ...argv.slice(1)];
}

/** coreutils' timeout: TERM after `seconds`, KILL 5 seconds later if the tool is still there. */
export function timeoutWords(seconds: number): string[] {
  return ['timeout', '--kill-after=5', String(seconds)];
}

export { HOLDING_DIR, holdingDir } from './holding-dir.js';
export { copyFiguresKey, incomingMeasure, rsyncArgv } from './rsync-commands.js';
export { rsyncRemoteShell } from './transport-commands.js';

/** The status of a look over ssh at a path the server's permissions deny the login user. */
const DENIED_THERE = 3;

/**
 * `test -e`, or a find that prints the first entry of a directory other than the copies' holding
 * directory into `grep -q .`: status 1 when it is missing or holds nothing, which `missing` says.
 */
function expectCopy(spec: ExpectCopySpec, tools: ToolPaths): ExecCommand {
  const denied = spec.transport?.kind === 'ssh' && spec.expect !== 'directory' ? spec.denied : undefined;
  const explains: Explanation[] = [
    { status: 1, message: spec.missing },
    ...(denied === undefined ? [] : [{ status: DENIED_THERE, message: denied }]),
    // On this host, readableFirst says it before find runs.
    ...(spec.unreadable === undefined || spec.transport === undefined
      ? []
      : [{ status: 'other' as const, message: spec.unreadable }]),
  ];
  const test =
    spec.expect === 'path'
      ? ['test', '-e', spec.path]
      : spec.expect === 'directory'
        ? ['test', '-d', spec.path, '-o', '!', '-e', spec.path]
        : undefined;
  // On a server, whether anything is there: an empty copy fetched is found empty where it lands.
  if (spec.transport?.kind === 'rclone') return rclonePathCheck(spec.transport, spec.path, spec, tools);
  // On another host the whole test runs there: ssh's own failure (255) is not the copy's absence.
  if (spec.transport !== undefined) {
    const look = test === undefined ? `${shCommand(firstEntry(spec.path))} | grep -q .` : shCommand(test);
    // find and test say a path the login user may not read missing: the permissions are asked first.
    const line =
      denied === undefined || spec.expect === 'directory'
        ? look
        : `${shCommand(readableTest(spec.path, spec.expect))} || exit ${DENIED_THERE}; ${look}`;
    return { kind: 'exec', argv: remoteShellArgv(spec.transport, line, tools), explains };
  }
  if (test !== undefined) return { kind: 'exec', argv: test, explains };
  return { kind: 'exec', argv: firstEntry(spec.path), pipeline: [['grep', '-q', '.']], explains };
}

/**
 * find's words that print the first entry of `dir` other than the copies' holding directory. -H: a
 * copy found as a symbolic link to it (the newest mirror of a series, here) is looked into.
 */
function firstEntry(dir: string): string[] {
  return [
    'find',
    '-H',
    dir,
    '-mindepth',
    '1',
    '-maxdepth',
    '1',
    '!',
    '-name',
    HOLDING_DIR,
    '-print',
    '-quit',
  ];
}
