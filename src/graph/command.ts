/**
 * What actually runs. Both backends consume the same Commands: the bash backend quotes them, the
 * executor spawns them without a shell. That is what makes the script and `apply` equivalent.
 */
export type Command = ExecCommand | DirSwapCommand;

export interface ExecCommand {
  readonly kind: 'exec';
  readonly argv: readonly string[];
  readonly cwd?: string;
  /** Added to the inherited environment. Secrets are references, resolved only at run time. */
  readonly env?: Readonly<Record<string, EnvValue>>;
}

export type EnvValue = { readonly literal: string } | { readonly secret: string };

/**
 * Staged directory replacement, in two halves around the writer that fills `staging`:
 * - `recover`: a run killed between the two renames left `previous` without `target`: put it back;
 *   a run killed after them left a stale `previous`: drop it.
 * - `swap`: `target` -> `previous`, `staging` -> `target`, then drop `previous`.
 * The previous good copy exists at every instant.
 */
export interface DirSwapCommand {
  readonly kind: 'dir-recover' | 'dir-swap';
  readonly staging: string;
  readonly target: string;
  readonly previous: string;
}

/** The tool a command needs on the machine that runs it (listed in the script header). */
export function toolOf(command: Command): string | undefined {
  return command.kind === 'exec' ? command.argv[0] : 'mv';
}
