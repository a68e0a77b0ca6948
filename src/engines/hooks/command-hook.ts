import type { Diagnostics } from '../../diag/diagnostic.js';
import type { OptionValues } from '../../options/schema.js';
import { shellSplit } from '../../options/shell-split.js';
import type { BoundHook, HookEngine, HookFiles } from '../engine.js';
import { HOOK_OPTIONS } from './hook-options.js';

/**
 * A program run with its arguments, never through a shell: the words are split as a shell would
 * (quotes allowed) after the owner's variables are filled; the run's variables reach it through
 * its environment, the phase's output as a file name (it may be larger than an environment holds).
 */
export const commandHook: HookEngine = {
  role: 'hook',
  name: 'command',
  summary: 'Run a program (no shell) with the status of the phase in its environment.',
  options: [
    ...HOOK_OPTIONS,
    {
      name: 'command',
      type: 'string',
      required: true,
      help: 'The program and its arguments, split like a shell command line (quotes allowed, no shell features); {variables} of the owner allowed.',
    },
  ],
  runtimeTemplates: [],
  ownerTemplates: ['command'],
  check: (options: OptionValues, diagnostics: Diagnostics) => {
    const words = shellSplit(options.string('command'));
    if (words === undefined || words.length === 0)
      diagnostics.error(
        "option 'command' is not a command line",
        options.origin('command'),
        'expected a program and its arguments, with balanced quotes',
      );
  },
  actions: (hook: BoundHook, files: HookFiles) => [
    {
      kind: 'run',
      origin: hook.origin,
      summary: `run the command of hook "${hook.name}"`,
      argv: shellSplit(hook.options.string('command')) ?? [],
      env: {
        POLYARCHIV_HOOK_EVENT: { fileText: files.runtime('event') },
        POLYARCHIV_STATUS: { fileText: files.runtime('status') },
        POLYARCHIV_DETAILED_STATUS: { fileText: files.runtime('detailed_status') },
        POLYARCHIV_COMPLETE_LOG: { workFile: files.runtime('complete_log') },
      },
      timeout: hook.timeout,
    },
  ],
};
