import type { Action } from '../graph/action.js';

/**
 * Stable topological order: among the actions whose dependencies are done, the one that came
 * first in lowering (config file order, then line) runs first. Engines list their steps in order,
 * so the first pending action is nearly always ready and the scan stops there.
 */
export function orderActions(actions: readonly Action[]): Action[] {
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
