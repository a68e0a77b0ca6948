import { spawnSync } from 'node:child_process';
import { afterEach, expect } from 'vitest';
import { type Sandbox, sandboxesPerTest } from './sandbox.js';
import { snapshotTree } from './tree.js';

/** A tree as `snapshotTree` pictures it: path to kind, mode and content. */
export type Layout = Record<string, string>;

/**
 * Runs one scenario through a bash helper (from the helper file `helpers`) and through its
 * executor twin, each in a sandbox of its own, to compare what they leave. The sandboxes of a
 * test are removed after it.
 */
export function twinHarness(helpers: string) {
  const newSandbox = sandboxesPerTest();
  /** The sandboxes of the current test, in the order made. */
  const boxes: Sandbox[] = [];
  afterEach(() => {
    boxes.length = 0;
  });

  function sandbox(): Sandbox {
    const box = newSandbox('polyarchiv-twin-');
    boxes.push(box);
    return box;
  }

  /** The trees each leaves, the script's status and errors, and what the twin threw. */
  function outcomes(layout: Layout, bash: string, ts: (root: string) => void) {
    const trees: Layout[] = [];
    let scriptStatus = -1;
    let scriptErrors = '';
    let executorError: unknown;
    for (const backend of ['script', 'executor']) {
      const box = sandbox();
      box.write(layout);
      if (backend === 'script') {
        const run = spawnSync(
          'bash',
          ['-c', `set -Eeuo pipefail; source "$1"; cd "$2"; ${bash}`, 'bash', helpers, box.root],
          { encoding: 'utf8' },
        );
        scriptStatus = run.status ?? -1;
        scriptErrors = run.stderr;
      } else {
        try {
          ts(box.root);
        } catch (error) {
          executorError = error;
        }
      }
      trees.push(snapshotTree(box.root));
    }
    return {
      script: trees[0] as Layout,
      executor: trees[1] as Layout,
      scriptStatus,
      scriptErrors,
      executorError,
    };
  }

  /** The same scenario through the bash helper and through its executor twin; both succeed. */
  function both(
    layout: Layout,
    bash: string,
    ts: (root: string) => void,
  ): { script: Layout; executor: Layout } {
    const { script, executor, scriptStatus, scriptErrors, executorError } = outcomes(layout, bash, ts);
    expect(scriptStatus, scriptErrors).toBe(0);
    expect(executorError).toBeUndefined();
    return { script, executor };
  }

  /** The picture of `layout` as written, untouched by any helper. */
  function treeOf(layout: Layout): Layout {
    const box = sandbox();
    box.write(layout);
    return snapshotTree(box.root);
  }

  return { sandbox, outcomes, both, treeOf, boxes };
}
