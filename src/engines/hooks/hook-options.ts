import type { OptionSpec } from '../../options/schema.js';
import { HOOK_EVENTS, type RuntimeText } from '../engine.js';

/** Options of every `[hook "NAME"]`, whatever its engine. */
export const HOOK_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'events',
    type: 'list',
    required: true,
    variables: false,
    help: `When the hook runs, comma-separated: ${HOOK_EVENTS.join(', ')}.`,
  },
  {
    name: 'timeout',
    type: 'integer',
    default: '60',
    range: [1, 86400],
    help: 'Seconds before the hook is stopped (TERM, then KILL 5 seconds later); a stopped hook fails.',
  },
];

/** The text with its runtime parts replaced by fixed values (tests, plan descriptions). */
export function runtimeTextOf(text: RuntimeText, fill: (variable: string) => string): string {
  return text.map((part) => (typeof part === 'string' ? part : fill(part.runtime))).join('');
}
