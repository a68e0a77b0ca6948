import type { Origin } from '../diag/origin.js';
import type { BoundCollectPoint, BoundSource } from './engine.js';

/**
 * The variable that carries a secret option's value: `POLYARCHIV_SECRET_<POINT>_<SOURCE>_<OPTION>`.
 * The script reads it from its environment (or from the assignments `plan --include-secrets`
 * writes); `apply` resolves it from the configuration at run time. Names that fold to the same
 * variable are refused by the resolver (`check-secret-names.ts`).
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

export interface SecretOption {
  readonly variable: string;
  readonly value: string;
  readonly origin: Origin;
}

/** Every secret option set in the configuration, with its variable name and config line. */
export function secretOptions(collectPoints: readonly BoundCollectPoint[]): SecretOption[] {
  const secrets: SecretOption[] = [];
  for (const cp of collectPoints)
    for (const source of cp.sources)
      for (const [name, option] of source.options.entries())
        if (option.spec.secret && typeof option.value === 'string' && option.value !== '')
          secrets.push({
            variable: sourceSecret(cp, source, name),
            value: option.value,
            origin: option.origin ?? source.origin,
          });
  return secrets;
}

/** Every secret option value of the configuration, by variable name. */
export function secretValues(collectPoints: readonly BoundCollectPoint[]): Map<string, string> {
  return new Map(secretOptions(collectPoints).map((s) => [s.variable, s.value]));
}
