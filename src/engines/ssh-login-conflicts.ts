import type { Diagnostics } from '../diag/diagnostic.js';
import { formatOrigin, type Origin } from '../diag/origin.js';
import type { OptionValues } from '../options/schema.js';
import { shellSplit } from '../options/shell-split.js';

/** The port and user a remote URL names, and how a diagnostic names the URL. */
export interface UrlLogin {
  readonly port?: number;
  readonly user?: string;
  /** The option as a diagnostic names it, e.g. `remote_url 'ssh://host:2222/b'`. */
  readonly named: string;
  readonly origin: Origin;
}

/** A port or user that ssh's words set, with the words that set it, as written. */
interface LoginSetting {
  readonly what: 'port' | 'user';
  readonly value: string;
  readonly written: string;
}

/** ssh's options that take an argument (OpenSSH's getopt string), all others are flags. */
const WITH_ARGUMENT = new Set('bceilmopBDEFIJLOQRSwW');

/**
 * The ports and users set by ssh's words: `-p 2222`, `-p2222`, `-l bob`, `-o Port=2222`,
 * `-oUser=bob`, `-o "Port 2222"`, also inside grouped flags (`-Cp 2222`), read as ssh's getopt
 * reads them.
 */
export function loginSettings(words: readonly string[]): LoginSetting[] {
  const settings: LoginSetting[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (!word.startsWith('-') || word === '-' || word === '--') continue;
    for (let j = 1; j < word.length; j++) {
      const letter = word[j] as string;
      if (!WITH_ARGUMENT.has(letter)) continue;
      const inline = word.slice(j + 1);
      const argument = inline !== '' ? inline : (words[++i] ?? '');
      const written = inline !== '' ? word : `${word} ${argument}`;
      if (letter === 'p') settings.push({ what: 'port', value: argument, written });
      else if (letter === 'l') settings.push({ what: 'user', value: argument, written });
      else if (letter === 'o') {
        const setting = configSetting(argument, written);
        if (setting !== undefined) settings.push(setting);
      }
      break;
    }
  }
  return settings;
}

/** A `-o` argument as ssh_config reads it: a keyword (any case), then spaces or `=`, then its value. */
function configSetting(line: string, written: string): LoginSetting | undefined {
  const match = /^\s*(port|user)\s*(?:=\s*|\s+)(.*?)\s*$/i.exec(line);
  if (match === null) return undefined;
  const value = (match[2] ?? '').replace(/^"(.*)"$/, '$1');
  return { what: match[1]?.toLowerCase() === 'port' ? 'port' : 'user', value, written };
}

/** The same port, as ssh reads a number (leading zeros or not). */
function samePort(written: string, port: number): boolean {
  return /^\d+$/.test(written) && Number(written) === port;
}

/**
 * A port or user in `ssh_options` beside a URL that names its own: ssh would take one of the two
 * without a word, and the run would reach another account or port than one of them says. The same
 * value in both places is no contradiction.
 */
export function checkSshLoginConflicts(
  url: UrlLogin,
  options: OptionValues,
  diagnostics: Diagnostics,
  sshOptionsName = 'ssh_options',
): void {
  const words = shellSplit(options.optionalString(sshOptionsName) ?? '');
  if (words === undefined) return;
  const reported = new Set<string>();
  for (const setting of loginSettings(words)) {
    if (reported.has(setting.what)) continue;
    const urlValue = setting.what === 'port' ? url.port : url.user;
    if (urlValue === undefined) continue;
    const agrees =
      typeof urlValue === 'number' ? samePort(setting.value, urlValue) : setting.value === urlValue;
    if (agrees) continue;
    reported.add(setting.what);
    diagnostics.error(
      `option '${sshOptionsName}' sets ${setting.what} '${setting.value}' ('${setting.written}'), but ${url.named} (${formatOrigin(url.origin)}) names ${setting.what} '${urlValue}'`,
      options.origin(sshOptionsName),
      `ssh would use only one of them: name the ${setting.what} in one place, or give both the same value`,
    );
  }
}
