import type { BoundCollectPoint, BoundSource } from './engine.js';

/**
 * The variable that carries a secret option's value: `POLYARCHIV_SECRET_<POINT>_<SOURCE>_<OPTION>`.
 * The script reads it from its environment (or from the assignments `plan --include-secrets`
 * writes); `apply` resolves it from the configuration at run time.
 */
export function secretName(point: string, owner: string, option: string): string {
  const part = (text: string) =>
    text
      .toUpperCase()
      .replace(/[^A-Z0-9]+/g, '_')
      .replace(/^_|_$/g, '');
  return `POLYARCHIV_SECRET_${[point, owner, option].map(part).filter(Boolean).join('_')}`;
}

export function sourceSecret(cp: BoundCollectPoint, source: BoundSource, option: string): string {
  return secretName(cp.name, source.name, option);
}

/** Every secret option value of the configuration, by variable name. */
export function secretValues(collectPoints: readonly BoundCollectPoint[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const cp of collectPoints) {
    for (const source of cp.sources) {
      for (const [name, option] of source.options.entries()) {
        if (option.spec.secret && typeof option.value === 'string' && option.value !== '') {
          values.set(sourceSecret(cp, source, name), option.value);
        }
      }
    }
  }
  return values;
}
