import { mkdirSync, writeFileSync } from 'node:fs';

/** Names that break naive shell code: spaces, quotes, $, globs, unicode, a leading dash, a newline. */
export const ODD_FILES: Readonly<Record<string, string>> = {
  'plain.txt': 'plain\n',
  'with space.txt': 'space\n',
  'it\'s "quoted".txt': 'quotes\n',
  '$HOME and $(id) and `id`.txt': 'dollar\n',
  '*.glob?[ab]': 'glob\n',
  'unicodé ✓ 日本.txt': 'unicode\n',
  '-leading-dash': 'dash\n',
  'new\nline': 'newline\n',
  '-dir with space/nested/deep.bin': '\u0000\u0001binary\u00ff',
};

/** Writes `files` below `root` byte for byte (latin1 keeps the binary contents as written). */
export function writeTree(root: string, files: Readonly<Record<string, string>>): void {
  for (const [name, text] of Object.entries(files)) {
    const path = `${root}/${name}`;
    mkdirSync(path.slice(0, path.lastIndexOf('/')), { recursive: true });
    writeFileSync(path, text, 'latin1');
  }
}

/**
 * The odd-name tree as a server can serve it from its disk: a name with a line break cannot be
 * asked for over HTTP (lighttpd answers 400), where a client's upload through rclone stores it
 * under another character.
 */
export const SERVED_FILES = Object.fromEntries(
  Object.entries(ODD_FILES).filter(([name]) => !name.includes('\n')),
);
