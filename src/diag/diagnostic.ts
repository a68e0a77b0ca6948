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
    // Not `{ ...item, hint }`: a member added to a spread copy gave every diagnostic its own V8
    // hidden class, thousands in a large configuration's warnings.
    this.items.push(
      typeof hint === 'function'
        ? withLazyHint(item, hint)
        : hint === undefined
          ? item
          : origin === undefined
            ? { severity, message, hint: hideUrlPasswords(hint) }
            : { severity, message, origin, hint: hideUrlPasswords(hint) },
    );
  }
}

/**
 * The hint as a member computed when first read. The getter is one function for every
 * diagnostic, its computation kept in a hidden member: a getter made for each diagnostic gave
 * each its own V8 hidden class, thousands in a large configuration's warnings.
 */
function withLazyHint(item: Diagnostic, compute: () => string | undefined): Diagnostic {
  const hinted = new HintedDiagnostic(item);
  Object.defineProperty(hinted, HINT, { value: compute, writable: true });
  return Object.defineProperty(hinted, 'hint', LAZY_HINT);
}

/**
 * A diagnostic whose members are set by a constructor, so that the members added to it then
 * take the same hidden classes in every one (added to an object literal, each took its own).
 */
class HintedDiagnostic {
  declare severity: Severity;
  declare message: string;
  declare origin?: Origin;
  constructor(item: Diagnostic) {
    this.severity = item.severity;
    this.message = item.message;
    if (item.origin !== undefined) this.origin = item.origin;
  }
}

const HINT = Symbol('hint');

/** The hint's computation until it is read, then the hint itself. */
type LazyHinted = { [HINT]: (() => string | undefined) | { readonly hint: string | undefined } };

const LAZY_HINT: PropertyDescriptor = {
  enumerable: true,
  get(this: LazyHinted) {
    const held = this[HINT];
    if (typeof held !== 'function') return held.hint;
    const computed = held();
    const hint = computed === undefined ? undefined : hideUrlPasswords(computed);
    this[HINT] = { hint };
    return hint;
  },
};

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
