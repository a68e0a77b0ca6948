import type { BoundHook, HookEngine, HookFiles } from '../engine.js';
import { HOOK_OPTIONS } from './hook-options.js';

/** The phase's output copied to a file, replaced at each call (mode 0600 when created). */
export const logHook: HookEngine = {
  role: 'hook',
  name: 'log',
  summary: "Write the phase's output to a file.",
  options: [
    ...HOOK_OPTIONS,
    {
      name: 'path',
      type: 'absolute-path',
      required: true,
      help: "The file that receives the phase's output, replaced at each call; {variables} of the owner allowed.",
    },
  ],
  runtimeTemplates: [],
  ownerTemplates: ['path'],
  actions: (hook: BoundHook, files: HookFiles) => {
    const path = hook.options.string('path');
    return [
      {
        kind: 'mkdir',
        origin: hook.origin,
        summary: `create the directory of ${path}`,
        path: path.slice(0, path.lastIndexOf('/')) || '/',
      },
      {
        kind: 'run',
        origin: hook.origin,
        summary: `write the output to ${path}`,
        argv: ['cp', '--', { prefix: '', workFile: files.runtime('complete_log') }, path],
        timeout: hook.timeout,
      },
    ];
  },
};
