import { type Action, assertNever, type RsyncSpec, type ToolRun } from './action.js';
import type { Command, ExecCommand } from './command.js';

/** Executable paths from `[global]` (`rsync_executable`...), keyed by tool name. */
export type ToolPaths = Readonly<Record<string, string>>;

/** The one argv builder: every action becomes Commands here and nowhere else. */
export function buildCommands(action: Action, tools: ToolPaths = {}): Command[] {
  switch (action.kind) {
    case 'mkdir':
      return [{ kind: 'exec', argv: ['mkdir', '-p', '--', action.path] }];
    case 'rsync':
      return [{ kind: 'exec', argv: [tools.rsync ?? 'rsync', ...rsyncArgv(action).slice(1)] }];
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
    case 'secret-file':
      return [
        {
          kind: 'secret-file',
          workFile: action.workFile,
          parts: action.parts,
          ...(action.owner === undefined ? {} : { owner: action.owner }),
        },
      ];
    case 'dump': {
      const partial = `${action.output}.partial`;
      return [
        { ...toolRun(action), stdout: partial },
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
      return [{ ...toolRun(action), stdin: action.input }];
    case 'run':
      return [toolRun(action)];
    default:
      return assertNever(action);
  }
}

function toolRun(run: ToolRun): ExecCommand {
  return {
    kind: 'exec',
    argv: run.argv,
    ...(run.env === undefined ? {} : { env: run.env }),
    ...(run.cwd === undefined ? {} : { cwd: run.cwd }),
  };
}

/**
 * Paths are absolute, so none starts with `-` and rsync never mistakes `a:b` for a remote host
 * (a colon after a slash is local); `--` ends the options all the same.
 */
export function rsyncArgv(spec: RsyncSpec): string[] {
  const argv = ['rsync', '-a'];
  if (spec.deleteExtraneous) argv.push('--delete');
  argv.push('-S');
  if (spec.hardLinks) argv.push('-H');
  for (const filter of spec.filters) {
    if (filter.fromFile !== undefined) argv.push(`--${filter.rule}-from=${filter.fromFile}`);
    else if (filter.pattern !== undefined) argv.push(`--${filter.rule}=${filter.pattern}`);
  }
  if (spec.linkDest !== undefined) argv.push(`--link-dest=${spec.linkDest}`);
  argv.push('--', withSlash(spec.from), withSlash(spec.to));
  return argv;
}

const withSlash = (path: string): string => (path.endsWith('/') ? path : `${path}/`);
