/**
 * The options node runs polyarchiv with. The command's first line (entry.ts) names them for
 * `env -S`, and scheduled runs, which call node themselves, pass them too.
 *
 * A young generation of at most 4 MiB a half: the objects of a plan that last (the
 * configuration, the units being written) are few, and V8's default of 16 MiB grew to hold
 * garbage, a quarter of the resident memory of a large plan, for no gain in time.
 */
export const NODE_OPTIONS = ['--max-semi-space-size=4'] as const;
