import { spawnSync } from 'node:child_process';

/** Runs a tool, returns its output, throws with its errors when it fails. */
export function tool(args: readonly string[], cwd?: string): string {
  const [command, ...rest] = args as [string, ...string[]];
  const run = spawnSync(command, rest, { encoding: 'utf8', ...(cwd === undefined ? {} : { cwd }) });
  if (run.status !== 0) throw new Error(`${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

/**
 * The extended attributes whose names match `names` (a getfattr -m pattern) and the ACLs of a
 * tree, relative to it, for comparisons.
 */
export function treeMetadata(dir: string, names = '^user\\.'): { xattrs: string; acls: string } {
  return {
    xattrs: tool(['getfattr', '-R', '-d', '-m', names, '.'], dir),
    acls: tool(['getfacl', '-R', '-p', '.'], dir).replace(/^# owner: .*$/gm, ''),
  };
}
