import { hideUrlPasswords } from './hide-url-passwords.js';
import { formatOrigin, type Origin } from './origin.js';

export type Severity = 'error' | 'warning' | 'notice';

export interface Diagnostic {
  readonly severity: Severity;
  readonly message: string;
  readonly origin?: Origin;
  readonly hint?: string;
}

/**
 * A hint that costs something to work out ("did you mean"): computed only when the diagnostic is
 * read, so that a mistake repeated for every collect point is worked out once, if ever shown.
 */
export type Hint = string | (() => string | undefined);

/** Accumulates diagnostics so that a run reports every mistake at once (Terraform style). */
export class Diagnostics {
  readonly items: Diagnostic[] = [];
  private readonly seen = new Set<string>();
  private errorTotal = 0;

  error(message: string, origin?: Origin, hint?: Hint): void {
    this.push('error', message, origin, hint);
  }

  warning(message: string, origin?: Origin, hint?: Hint): void {
    this.push('warning', message, origin, hint);
  }

  notice(message: string, origin?: Origin): void {
    this.push('notice', message, origin, undefined);
  }

  get hasErrors(): boolean {
    return this.errorTotal > 0;
  }

  /** How many errors so far: callers compare it before and after a step. */
  get errorCount(): number {
    return this.errorTotal;
  }

  get errors(): Diagnostic[] {
    return this.items.filter((d) => d.severity === 'error');
  }

  /**
   * The diagnostics of each file together and by line, as a user reads and fixes the file: the
   * files (and those without a place) in the order the checks first reached them, and those of
   * one line in the order they were found. What the CLI prints and what a plan carries.
   */
  inFileOrder(): Diagnostic[] {
    const files = new Map<string | undefined, number>();
    for (const d of this.items) if (!files.has(d.origin?.file)) files.set(d.origin?.file, files.size);
    const rank = (d: Diagnostic) => files.get(d.origin?.file) ?? 0;
    return [...this.items].sort((a, b) => rank(a) - rank(b) || (a.origin?.line ?? 0) - (b.origin?.line ?? 0));
  }

  /** Messages and hints echo values from the configuration: a URL's password is hidden in both. */
  private push(severity: Severity, rawMessage: string, origin: Origin | undefined, hint: Hint | undefined) {
    const message = hideUrlPasswords(rawMessage);
    // Options of a backup point are resolved once per collect point: report each mistake once.
    const key = `${severity}\0${message}\0${origin === undefined ? '' : `${origin.file}\0${origin.line}`}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (severity === 'error') this.errorTotal++;
    const item = { severity, message, ...(origin === undefined ? {} : { origin }) };
    this.items.push(
      typeof hint === 'function'
        ? withLazyHint(item, hint)
        : hint === undefined
          ? item
          : { ...item, hint: hideUrlPasswords(hint) },
    );
  }
}

function withLazyHint(item: Diagnostic, compute: () => string | undefined): Diagnostic {
  let known = false;
  let value: string | undefined;
  return Object.defineProperty(item, 'hint', {
    enumerable: true,
    get: () => {
      if (!known) {
        const computed = compute();
        value = computed === undefined ? undefined : hideUrlPasswords(computed);
        known = true;
      }
      return value;
    },
  });
}

/** `error: unknown option 'remote_ulr' (did you mean 'remote_url'?)\n  at site.backup:4 [point]` */
export function formatDiagnostic(d: Diagnostic): string {
  const hint = d.hint === undefined ? '' : ` (${d.hint})`;
  const at = d.origin === undefined ? '' : `\n  at ${formatOrigin(d.origin)}`;
  return `${d.severity}: ${d.message}${hint}${at}`;
}

/** Raised for usage mistakes detected outside the config passes; the CLI prints it and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
