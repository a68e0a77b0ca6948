import { createRequire } from 'node:module';
import type { ConfigInput } from '../config/load.js';

/**
 * node:v8, loaded only for a large configuration: with the modules it loads, about 0.6 ms of every
 * start that most runs (a small configuration) do not need. Required, not imported: the bundle's
 * chunks run compiled from their code cache (code-cache.ts), where node has no loader for `import()`.
 */
const v8 = () => createRequire(import.meta.url)('node:v8') as typeof import('node:v8');

/**
 * Past this much configuration text (about 150 collect points with their sources), planning
 * allocates enough that V8 grows its young generation to hold garbage: a 1,000-point plan
 * reached 110 MiB with it, 83 MiB without.
 */
export const LARGE_CONFIGURATION_BYTES = 64 * 1024;

/**
 * Each major collection lets the old generation grow to this much more than it kept (percent),
 * where V8 would let a program that allocates as fast as a plan grow it up to fourfold: the
 * script of a 1,000-point plan after a run peaked at 109 MiB with V8's choice, 91 MiB with a
 * fifth, in the same time (bench/README.md, ## Planning).
 */
const OLD_GENERATION_GROWTH_PERCENT = 20;

/**
 * Sizes V8's heap for a large configuration: the young generation kept at its first size, the
 * old one grown by a fifth at a time. Node runs without V8 options: any (`--max-semi-space-size`
 * among them) makes node's own code cache of its built-in modules unusable, about 9 ms of every
 * start. Both factors are read each time a generation would grow, so setting them once the
 * configuration is read takes effect; code compiled after that compiles without a cache, which a
 * plan of this size does not notice.
 */
export function sizeHeapForLargePlans(input: ConfigInput): void {
  let bytes = 0;
  for (const file of input.files) bytes += file.text.length;
  if (bytes <= LARGE_CONFIGURATION_BYTES) return;
  const { setFlagsFromString } = v8();
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString(`--heap-growing-percent=${OLD_GENERATION_GROWTH_PERCENT}`);
}
