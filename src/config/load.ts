import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import type { Diagnostics } from '../diag/diagnostic.js';

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
  /** Globals, then collect points, then backup points, each group sorted by name (reference §2.2). */
  readonly files: readonly ConfigFile[];
}

const KINDS: readonly FileKind[] = ['global', 'collect', 'backup'];

export const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

/** The only filesystem read of the configuration. Unreadable files are skipped with a notice. */
export function loadConfigDir(dir: string, diagnostics: Diagnostics): ConfigInput {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) {
      diagnostics.error(`configuration directory ${dir} is not a directory`);
      return { dir, files: [] };
    }
    names = readdirSync(dir).sort();
  } catch (error) {
    diagnostics.error(
      `cannot read configuration directory ${dir}: ${(error as NodeJS.ErrnoException).code ?? error}`,
      undefined,
      'use -C DIR to choose another directory',
    );
    return { dir, files: [] };
  }
  const files: ConfigFile[] = [];
  for (const kind of KINDS) {
    for (const name of names.filter((n) => n.endsWith(`.${kind}`) && !n.startsWith('.'))) {
      const path = join(dir, name);
      try {
        if (!statSync(path).isFile()) continue;
        const bytes = readFileSync(path);
        files.push({ name, kind, text: bytes.toString('utf8'), sha256: sha256(bytes) });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EACCES' && code !== 'EPERM') throw error;
        diagnostics.notice(
          `${name} is ignored because user ${process.env.USER ?? process.getuid?.()} cannot read it`,
          { file: name, line: 0 },
        );
      }
    }
  }
  if (files.length === 0) diagnostics.warning(`no *.global, *.collect or *.backup file found in ${dir}`);
  return { dir, files };
}

/**
 * The original's default (reference §2.1), computed from the interpreter's path: under /usr/ it is
 * /etc/polyarchiv; inside a prefix with a `bin` directory it is <prefix>/etc/polyarchiv; else ./config.
 */
export function defaultConfigDir(executable: string = process.execPath): string {
  if (executable.startsWith('/usr/')) return '/etc/polyarchiv';
  const parts = dirname(executable).split(sep);
  const bin = parts.lastIndexOf('bin');
  if (bin > 0) return join(parts.slice(0, bin).join(sep) || sep, 'etc', 'polyarchiv');
  return 'config';
}
