import { urlPasswordSpans } from '../diag/hide-url-passwords.js';
import type { Origin } from '../diag/origin.js';
import type { OptionValues, ResolvedOption } from '../options/schema.js';
import { HOST_VARIABLES, TIME_VARIABLES, templateFields } from '../options/variables.js';
import type { BoundBackupPoint, BoundCollectPoint, BoundHook, BoundSource } from './engine.js';
import { urlPassword, urlPasswordAsWritten } from './url.js';

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

/** The secret of a collect point's own secret option (not one of its sources'). */
export function collectSecret(cp: BoundCollectPoint, option: string): string {
  return secretName(cp.name, '', option);
}

/** The secret of the password of a collect point's URL option. */
export function collectUrlPasswordSecret(cp: BoundCollectPoint, option: string): string {
  return collectSecret(cp, `${option}_password`);
}

/** What names a pair's secret variables: its backup point and collect point. */
export type SecretOwner = Pick<BoundBackupPoint, 'name' | 'collectPoint'>;

/**
 * A source as the owner of its transport's secrets: named by its collect point, then by itself,
 * the variables are the source's own (`sourceSecret`).
 */
export function sourceSecretOwner(cp: BoundCollectPoint, source: BoundSource): SecretOwner {
  return { name: cp.name, collectPoint: source.name };
}

/** The secret of a backup point's secret option, for one (backup point, collect point) pair. */
export function backupSecret(bp: SecretOwner, option: string): string {
  return secretName(bp.name, bp.collectPoint, option);
}

/** The secret of a collect point's filter: `POLYARCHIV_SECRET_<POINT>_<FILTER>_<OPTION>`. */
export function collectFilterSecret(cp: string, filter: string, option: string): string {
  return secretName(cp, filter, option);
}

/** The secret of a backup point's filter for one collect point: `..._<BP>_<CP>_<FILTER>_<OPTION>`. */
export function backupFilterSecret(bp: string, cp: string, filter: string, option: string): string {
  return secretName(bp, `${cp} ${filter}`, option);
}

/** The secret of a URL option's password, for one (backup point, collect point) pair. */
export function urlPasswordSecret(bp: SecretOwner, option: string): string {
  return backupSecret(bp, `${option}_password`);
}

export interface SecretOption {
  readonly variable: string;
  readonly value: string;
  readonly origin: Origin;
}

/** What holds secrets: the collect points (their sources) and the backup points bound to them. */
export interface SecretHolders {
  readonly collectPoints: readonly BoundCollectPoint[];
  readonly pairs: readonly BoundBackupPoint[];
  readonly globalHooks?: readonly BoundHook[];
}

/** Every secret option set in the configuration, with its variable name and config line. */
export function secretOptions(config: SecretHolders): SecretOption[] {
  const secrets: SecretOption[] = [];
  for (const cp of config.collectPoints) {
    pointSecrets(secrets, cp.options, cp.origin, (name) => collectSecret(cp, name));
    for (const source of cp.sources)
      pointSecrets(secrets, source.options, source.origin, (name) => sourceSecret(cp, source, name));
  }
  for (const cp of config.collectPoints)
    for (const filter of cp.filters)
      pointSecrets(secrets, filter.options, filter.origin, (o) =>
        collectFilterSecret(cp.name, filter.name, o),
      );
  for (const bp of config.pairs) {
    pointSecrets(secrets, bp.options, bp.origin, (name) => backupSecret(bp, name));
    if (bp.metadata !== undefined)
      pointSecrets(secrets, bp.metadata.options, bp.origin, (name) => backupSecret(bp, name));
    for (const filter of bp.filters)
      pointSecrets(secrets, filter.options, filter.origin, (o) =>
        backupFilterSecret(bp.name, bp.collectPoint, filter.name, o),
      );
  }
  const hooks = [
    ...(config.globalHooks ?? []),
    ...config.collectPoints.flatMap((cp) => cp.hooks ?? []),
    ...config.pairs.flatMap((bp) => bp.hooks ?? []),
  ];
  for (const hook of hooks)
    for (const [option, variable] of Object.entries(hook.secrets))
      secrets.push({
        variable,
        value: hook.options.optionalString(option) ?? '',
        origin: hook.options.origin(option),
      });
  return secrets;
}

/**
 * Adds the secret options of a point (a collect point, or a backup point for one collect point),
 * and the passwords of its URL options (`variable` of `OPTION_password`), to `secrets`.
 */
function pointSecrets(
  secrets: SecretOption[],
  options: OptionValues,
  origin: Origin,
  variable: (option: string) => string,
): void {
  options.forEach((option, name) => {
    if (option.spec.secret && typeof option.value === 'string' && option.value !== '')
      secrets.push({ variable: variable(name), value: option.value, origin: option.origin ?? origin });
    const form = option.spec.urlPasswordSecret;
    if (form === undefined || typeof option.value !== 'string') return;
    const value = form === 'as-written' ? urlPasswordAsWritten(option.value) : urlPassword(option.value);
    if (value !== undefined)
      secrets.push({ variable: variable(`${name}_password`), value, origin: option.origin ?? origin });
  });
}

/** Every secret option value of the configuration, by variable name. */
export function secretValues(config: SecretHolders): Map<string, string> {
  return new Map(secretOptions(config).map((s) => [s.variable, s.value]));
}

/** Variables every point has: they name the point, the host and the time, never a secret. */
const BUILT_IN_VARIABLES: ReadonlySet<string> = new Set<string>([
  'name',
  ...HOST_VARIABLES,
  ...TIME_VARIABLES,
]);

/**
 * The variables (of `[variables]` sections and `--set`) that secrets are made of: those a secret
 * option's text refers to (`password = {dbpw}`), and those inside the password of a URL option
 * (`https://user:{dbpw}@host/`). Their values are secrets too: `config --show`, a script's header
 * and a saved plan never show them.
 */
export function secretVariables(config: SecretHolders): Set<string> {
  const names = new Set<string>();
  const visit = (option: ResolvedOption) => {
    const template = option.template;
    if (template === undefined || !template.includes('{')) return;
    const parts = option.spec.secret
      ? [template]
      : option.spec.type === 'url' || option.spec.urlPasswordSecret !== undefined
        ? urlPasswordSpans(template).map(([from, to]) => template.slice(from, to))
        : [];
    for (const part of parts)
      for (const field of templateFields(part)) if (!BUILT_IN_VARIABLES.has(field)) names.add(field);
  };
  const visitAll = (options: OptionValues) => options.forEach(visit);
  for (const cp of config.collectPoints) {
    visitAll(cp.options);
    for (const source of cp.sources) visitAll(source.options);
    for (const filter of cp.filters) visitAll(filter.options);
    for (const hook of cp.hooks ?? []) visitAll(hook.options);
  }
  for (const bp of config.pairs) {
    visitAll(bp.options);
    if (bp.metadata !== undefined) visitAll(bp.metadata.options);
    for (const filter of bp.filters) visitAll(filter.options);
    for (const hook of bp.hooks ?? []) visitAll(hook.options);
  }
  for (const hook of config.globalHooks ?? []) visitAll(hook.options);
  return names;
}
