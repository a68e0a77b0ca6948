import type { Action } from '../graph/action.js';

/**
 * Stable topological order: among the actions whose dependencies are done, the one that came
 * first in lowering (config file order, then line) runs first. Engines list their steps in order,
 * so the first pending action is nearly always ready and the scan stops there.
 */
export function orderActions(actions: readonly Action[]): Action[] {
  if (inOrder(actions)) return [...actions];
  const ids = new Set(actions.map((a) => a.id));
  const done = new Set<string>();
  const pending = [...actions];
  const ordered: Action[] = [];
  while (pending.length > 0) {
    const next = pending.findIndex((a) => a.after.every((id) => done.has(id) || !ids.has(id)));
    if (next < 0) throw new Error(`dependency cycle among ${pending.map((a) => a.id).join(', ')}`);
    const [action] = pending.splice(next, 1) as [Action];
    done.add(action.id);
    ordered.push(action);
  }
  return ordered;
}

/**
 * Whether every action comes after the ones it needs, as linked units always are: checked in one
 * pass, so that a plan of thousands of units skips the search above.
 */
function inOrder(actions: readonly Action[]): boolean {
  if (isChain(actions)) return true;
  const seen = new Set<string>();
  for (const action of actions) {
    for (const id of action.after) if (!seen.has(id) && actions.some((a) => a.id === id)) return false;
    seen.add(action.id);
  }
  return true;
}

/**
 * Whether each action needs only the one before it, as `linkUnit` links them: compared with the
 * previous id, without a set of the ids seen.
 */
function isChain(actions: readonly Action[]): boolean {
  let previous: string | undefined;
  for (const action of actions) {
    const { after } = action;
    if (after.length > 1 || (after.length === 1 && after[0] !== previous)) return false;
    previous = action.id;
  }
  return true;
}
