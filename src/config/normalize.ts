import { stringify } from 'ini';
import { Diagnostics } from '../diag/diagnostic.js';
import type { ConfigFile } from './load.js';
import { scanIni } from './scan.js';

/**
 * A config file rewritten in a normal form (sections and keys as scanned, `[DEFAULT]` applied),
 * with the `ini` package, whose writer is right for this; `scanIni` reads it back identically.
 * Only single-line values survive `ini`: multi-line ones are written as continuation lines by hand.
 */
export function normalizedIni(file: ConfigFile): string {
  const scanned = scanIni(file.name, file.text, new Diagnostics());
  const parts: string[] = [];
  for (const section of scanned.sections) {
    const single = Object.fromEntries(
      section.entries.filter((e) => !e.value.includes('\n')).map((e) => [e.key, e.value]),
    );
    let text = stringify({ [section.header]: single }, { whitespace: true });
    for (const entry of section.entries.filter((e) => e.value.includes('\n'))) {
      text += `${entry.key} = ${entry.value.split('\n').join('\n  ')}\n`;
    }
    parts.push(text);
  }
  return parts.join('\n');
}
