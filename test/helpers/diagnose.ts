import { formatDiagnostic } from '../../src/diag/diagnostic.js';
import { loadConfiguration } from '../../src/pipeline.js';
import { makeSandbox } from './sandbox.js';

export const PINNED_NOW = new Date('2026-03-10T04:05:06+01:00');
export const PINNED_HOST = { fqdn: 'web1.example.org', hostname: 'web1', username: 'backup' };

/** Resolves a configuration written from `files`; returns its diagnostics as the CLI prints them. */
export function diagnose(files: Readonly<Record<string, string>>): string[] {
  const sandbox = makeSandbox();
  try {
    sandbox.write(files);
    const { diagnostics } = loadConfiguration(sandbox.root, PINNED_NOW, PINNED_HOST);
    return diagnostics.items.map(formatDiagnostic);
  } finally {
    sandbox.remove();
  }
}

/** Only the errors. */
export function errorsOf(files: Readonly<Record<string, string>>): string[] {
  return diagnose(files).filter((d) => d.startsWith('error:'));
}
