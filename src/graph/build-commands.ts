import { type Action, assertNever, type RsyncSpec, type ToolRun } from './action.js';
import type { Command, ExecCommand } from './command.js';

/** Executable paths from `[global]` (`rsync_executable`...), keyed by tool name. */
export type ToolPaths = Readonly<Record<string, string>>;

/** The one argv builder: every action becomes Commands here and nowhere else. */
export function buildCommands(action: Action, tools: ToolPaths = {}): Command[] {
  switch (action.kind) {
    case 'mkdir':
      return [{ kind: 'make-dir', path: action.path }];
    case 'rsync':
      return [{ kind: 'exec', argv: [tools.rsync ?? 'rsync', ...rsyncArgv(action, tools.ssh).slice(1)] }];
    case 'recover-dir':
    case 'replace-dir':
      return [
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
        { ...execOf(action), stdout: partial },
        {
          kind: 'check-dump',
          partial,
          previous: action.output,
          maxShrinkPercent: action.maxShrinkPercent,
          onSuspicious: action.onSuspicious,
        },
        { kind: 'exec', argv: ['mv', '-f', '--', partial, action.output] },
      ];
    }
    case 'load':
      return [{ ...execOf(action), stdin: action.input }];
    case 'run':
      return [execOf(action)];
    case 'reload-dir':
      return [
        {
          kind: 'dir-reload',
          target: action.target,
          previous: action.previous,
          input: action.input,
          load: action.load,
          start: action.start,
        },
      ];
    default:
      return assertNever(action);
  }
}

/** The exec command of a tool run, before any redirection. */
function execOf(run: ToolRun): ExecCommand {
  return {
    kind: 'exec',
    argv: run.argv,
    ...(run.env === undefined ? {} : { env: run.env }),
    ...(run.cwd === undefined ? {} : { cwd: run.cwd }),
  };
}

/** Where rsync holds the updated files of an in-place copy until its transfer ends, in each directory. */
export const HOLDING_DIR = '.~polyarchiv~';

export const holdingDir = (target: string): string => `${target.replace(/\/+$/, '')}/${HOLDING_DIR}`;

/**
 * Paths are absolute, so none starts with `-` and rsync never mistakes `a:b` for a remote host
 * (a colon after a slash is local); `--` ends the options all the same.
 */
export function rsyncArgv(spec: RsyncSpec, ssh = 'ssh'): string[] {
  const argv = ['rsync', '-a'];
  const remote = spec.remote;
  if (remote !== undefined) {
    // -s: the paths travel inside rsync's protocol, never through the remote shell.
    argv.push('-e', rsyncRemoteShell([ssh, ...remote.sshArgs]), '-s');
    // The original ran `ssh host mkdir -p DIR` (a shell string) before a push; --mkpath needs no shell.
    if (remote.side === 'to') argv.push('--mkpath');
  }
  if (spec.inPlace === true) {
    // The holding directory's name is reserved at every depth: never sent (H), and a leftover
    // of a killed run is deleted (R) once the transfer ended (--delete-delay), first rule wins.
    // Files being received wait in the top one (--temp-dir, relative to the target, created by a
    // mkdir step), so that a killed receiver leaves no temporary file among the copied ones.
    argv.push('--delay-updates', `--partial-dir=${HOLDING_DIR}`);
    if (remote?.side !== 'to') argv.push(`--temp-dir=${HOLDING_DIR}`);
    argv.push(`--filter=H ${HOLDING_DIR}/`, `--filter=R ${HOLDING_DIR}/`);
    if (spec.deleteExtraneous) argv.push('--delete-delay');
  } else if (spec.deleteExtraneous) argv.push('--delete');
  argv.push('-S');
  if (spec.hardLinks) argv.push('-H');
  for (const filter of spec.filters) {
    if (filter.fromFile !== undefined) argv.push(`--${filter.rule}-from=${filter.fromFile}`);
    else if (filter.pattern !== undefined) argv.push(`--${filter.rule}=${filter.pattern}`);
  }
  if (spec.linkDest !== undefined) argv.push(`--link-dest=${spec.linkDest}`);
  const side = (which: 'from' | 'to') =>
    remote?.side === which ? `${remote.host}:${withSlash(spec[which])}` : withSlash(spec[which]);
  argv.push('--', side('from'), side('to'));
  return argv;
}

/**
 * The value of rsync's `-e`: rsync splits it on spaces itself, honouring single and double quotes
 * and reading a doubled quote inside quotes as one literal quote (rsync(1), --rsh; no backslash
 * escapes). So a word that needs it is single-quoted with its single quotes doubled: it reaches
 * ssh as exactly one argument, whatever it contains.
 */
export function rsyncRemoteShell(words: readonly string[]): string {
  return words
    .map((w) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", "''")}'`))
    .join(' ');
}

const withSlash = (path: string): string => (path.endsWith('/') ? path : `${path}/`);
