import { formatOrigin, type Origin } from './origin.js';

export type Severity = 'error' | 'warning' | 'notice';

export interface Diagnostic {
  readonly severity: Severity;
  readonly message: string;
  readonly origin?: Origin;
  readonly hint?: string;
}

/** Accumulates diagnostics so that a run reports every mistake at once (Terraform style). */
export class Diagnostics {
  readonly items: Diagnostic[] = [];

  error(message: string, origin?: Origin, hint?: string): void {
    this.push('error', message, origin, hint);
  }

  warning(message: string, origin?: Origin, hint?: string): void {
    this.push('warning', message, origin, hint);
  }

  notice(message: string, origin?: Origin): void {
    this.push('notice', message, origin, undefined);
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }

  get errors(): Diagnostic[] {
    return this.items.filter((d) => d.severity === 'error');
  }

  private push(severity: Severity, message: string, origin: Origin | undefined, hint: string | undefined) {
    // Options of a backup point are resolved once per collect point: report each mistake once.
    const duplicate = this.items.some(
      (d) =>
        d.severity === severity &&
        d.message === message &&
        d.origin?.file === origin?.file &&
        d.origin?.line === origin?.line,
    );
    if (duplicate) return;
    this.items.push({
      severity,
      message,
      ...(origin === undefined ? {} : { origin }),
      ...(hint === undefined ? {} : { hint }),
    });
  }
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
