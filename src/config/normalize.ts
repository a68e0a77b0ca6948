import { Diagnostics } from '../diag/diagnostic.js';
import { hideUrlPasswords } from '../diag/hide-url-passwords.js';
import type { ConfigFile } from './load.js';
import { type ScannedSection, scanIni } from './scan.js';

/** What `config --show` prints in place of a secret value. */
export const SECRET_MASK = '(secret, not shown)';

/**
 * A config file rewritten in a normal form (sections and keys as scanned, `[DEFAULT]` applied), so
 * that `scanIni` reads it back identically. It is written by hand, not with the `ini` package: its
 * writer escapes `;` and `#` (`a\#b\;c`), wraps values holding `=`, quotes or a leading `[` in JSON
 * quotes and escapes dots in section names, none of which this dialect reads back (values are
 * literal). Multi-line values are written as indented continuation lines.
 */
export function normalizedIni(
  file: ConfigFile,
  masked?: (section: ScannedSection, key: string) => boolean,
): string {
  const scanned = scanIni(file.name, file.text, new Diagnostics());
  return scanned.sections
    .map((section) => {
      const lines = section.entries.map((entry) => {
        const text = masked?.(section, entry.key) ? SECRET_MASK : hideUrlPasswords(entry.value);
        const value = text.split('\n').join('\n  ');
        // No space before an empty first line: the written line then has no trailing blank.
        return value === '' || value.startsWith('\n') ? `${entry.key} =${value}` : `${entry.key} = ${value}`;
      });
      return `${[`[${section.header}]`, ...lines].join('\n')}\n`;
    })
    .join('\n');
}
