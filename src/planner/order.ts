import type { Action } from '../graph/action.js';

/**
 * Stable topological order: among the actions whose dependencies are done, the one that came
 * first in lowering (config file order, then line) runs first.
 */
export function orderActions(actions: readonly Action[]): Action[] {
  const pending = new Map(actions.map((a, index) => [a.id, { action: a, index }]));
  const done = new Set<string>();
  const ordered: Action[] = [];
  while (pending.size > 0) {
    let next: { action: Action; index: number } | undefined;
    for (const candidate of pending.values()) {
      const ready = candidate.action.after.every((id) => done.has(id) || !pending.has(id));
      if (ready && (next === undefined || candidate.index < next.index)) next = candidate;
    }
    if (next === undefined) throw new Error(`dependency cycle among ${[...pending.keys()].join(', ')}`);
    pending.delete(next.action.id);
    done.add(next.action.id);
    ordered.push(next.action);
  }
  return ordered;
}
