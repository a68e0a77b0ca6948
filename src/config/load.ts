import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { type Dirent, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import type { Diagnostics } from '../diag/diagnostic.js';
import { fsProblem } from '../diag/fs-problem.js';

export type FileKind = 'global' | 'collect' | 'backup';

export interface ConfigFile {
  /** File name inside the config directory, used in diagnostics and origins. */
  readonly name: string;
  readonly kind: FileKind;
  readonly text: string;
  readonly sha256: string;
}

export interface ConfigInput {
  readonly dir: string;
  /** Globals, then collect points, then backup points, each group sorted by name. */
  readonly files: readonly ConfigFile[];
  /** Files skipped because this user cannot read them: nothing can be said about their points. */
  readonly unreadable: readonly string[];
}

const KINDS: readonly FileKind[] = ['global', 'collect', 'backup'];

export const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

/**
 * The listing says what most entries are: only a link, or an entry of a type the filesystem does
 * not report, costs a stat (a directory of thousands of points is otherwise stat'ed file by file).
 */
function isFile(entry: Dirent, path: string): boolean {
  return entry.isFile() || (!entry.isDirectory() && statSync(path).isFile());
}

/**
 * What becomes of a file this user cannot read: `check` and `config` say what they can of the
 * others (skipped, with a notice); a run refuses, as the points of that file would silently not run.
 */
export type UnreadableFiles = 'skipped' | 'refused';

/** The only filesystem read of the configuration. */
export function loadConfigDir(
  dir: string,
  diagnostics: Diagnostics,
  unreadableFiles: UnreadableFiles = 'skipped',
): ConfigInput {
  let entries: Dirent[];
  try {
    if (!statSync(dir).isDirectory()) {
      diagnostics.error(`configuration directory ${dir} is not a directory`);
      return { dir, files: [], unreadable: [] };
    }
    entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
  } catch (error) {
    diagnostics.error(
      `cannot read configuration directory ${dir}: ${fsProblem(error)}`,
      undefined,
      'use -C DIR to choose another directory',
    );
    return { dir, files: [], unreadable: [] };
  }
  const files: ConfigFile[] = [];
  const unreadable: string[] = [];
  for (const kind of KINDS) {
    for (const entry of entries.filter((e) => e.name.endsWith(`.${kind}`) && !e.name.startsWith('.'))) {
      const { name } = entry;
      const path = join(dir, name);
      try {
        if (!isFile(entry, path)) continue;
        const bytes = readFileSync(path);
        const text = decodeUtf8(bytes);
        if (typeof text === 'number')
          diagnostics.error('not valid UTF-8', { file: name, line: text }, 'save the file as UTF-8');
        else files.push({ name, kind, text, sha256: sha256(bytes) });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const user = process.env.USER ?? process.getuid?.();
        if ((code === 'EACCES' || code === 'EPERM') && unreadableFiles === 'refused')
          diagnostics.error(
            `user ${user} cannot read ${name}: the points it defines would not run`,
            { file: name, line: 0 },
            'make it readable by this user, or run polyarchiv as a user who can read it',
          );
        else if (code === 'EACCES' || code === 'EPERM') {
          unreadable.push(name);
          diagnostics.notice(`${name} is ignored because user ${user} cannot read it`, {
            file: name,
            line: 0,
          });
        } else
          diagnostics.error(`cannot read ${name}: ${READ_PROBLEMS[code ?? ''] ?? fsProblem(error)}`, {
            file: name,
            line: 0,
          });
      }
    }
  }
  if (files.length === 0 && !diagnostics.hasErrors)
    diagnostics.error(
      `no *.global, *.collect or *.backup file in ${dir}: nothing to do`,
      undefined,
      'use -C DIR to choose the configuration directory',
    );
  return { dir, files, unreadable };
}

const READ_PROBLEMS: Readonly<Record<string, string>> = {
  ENOENT: 'a symbolic link to nothing',
  EISDIR: 'a directory',
};

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The text without its byte-order mark, or the line of the first byte that is not UTF-8. */
function decodeUtf8(bytes: Buffer): string | number {
  try {
    return UTF8.decode(bytes);
  } catch {
    let line = 1;
    let start = 0;
    for (let end = bytes.indexOf(10); ; end = bytes.indexOf(10, start)) {
      const slice = bytes.subarray(start, end === -1 ? bytes.length : end);
      if (!isUtf8(slice)) return line;
      if (end === -1) return line;
      start = end + 1;
      line += 1;
    }
  }
}

/**
 * The original's default, computed from the interpreter's path: under /usr/ it is
 * /etc/polyarchiv; inside a prefix with a `bin` directory it is <prefix>/etc/polyarchiv; else ./config.
 */
export function defaultConfigDir(executable: string = process.execPath): string {
  if (executable.startsWith('/usr/')) return '/etc/polyarchiv';
  const parts = dirname(executable).split(sep);
  const bin = parts.lastIndexOf('bin');
  if (bin > 0) return join(parts.slice(0, bin).join(sep) || sep, 'etc', 'polyarchiv');
  return 'config';
}
