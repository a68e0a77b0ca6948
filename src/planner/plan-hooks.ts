import type { BoundHook, HookFiles } from '../engines/engine.js';
import type { Action } from '../graph/action.js';
import { buildCommands, type ToolPaths } from '../graph/build-commands.js';
import type { PlanHooks } from './plan.js';

/**
 * The hooks of one owner as plan data: each hook's actions, in order, with their commands. Their
 * files in the work directory are named after `prefix`, unique to the owner, so that hooks of
 * units running side by side never share one.
 */
export function planHooks(
  hooks: readonly BoundHook[] | undefined,
  prefix: string,
  tools: ToolPaths,
): PlanHooks | undefined {
  if (hooks === undefined || hooks.length === 0) return undefined;
  return {
    prefix,
    hooks: hooks.map((hook, k) => {
      const files: HookFiles = {
        runtime: (variable) => `${prefix}.${variable}`,
        own: (suffix) => `${prefix}.hook-${k + 1}.${suffix}`,
      };
      let previous: string | undefined;
      const steps = hook.engine.actions(hook, files).map((draft, i) => {
        const id = `${prefix}/hook-${k + 1}/${i + 1}`;
        const action: Action = { ...draft, id, after: previous === undefined ? [] : [previous] };
        previous = id;
        return { action, commands: buildCommands(action, tools) };
      });
      return { name: hook.name, engine: hook.engine.name, origin: hook.origin, events: hook.events, steps };
    }),
  };
}
