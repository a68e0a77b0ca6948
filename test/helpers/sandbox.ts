import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach } from 'vitest';

export interface Sandbox {
  readonly root: string;
  path(...parts: string[]): string;
  /** Writes files relative to the sandbox root, creating directories. */
  write(files: Readonly<Record<string, string>>): void;
  remove(): void;
}

export function makeSandbox(prefix = 'polyarchiv-test-'): Sandbox {
  const root = mkdtempSync(join(tmpdir(), prefix));
  return {
    root,
    path: (...parts) => join(root, ...parts),
    write(files) {
      for (const [name, text] of Object.entries(files)) {
        const file = join(root, name);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, text);
      }
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * A maker of sandboxes that are removed after each test of the file or `describe` it is called
 * in: tests that make several keep none of them behind, whatever fails.
 */
export function sandboxesPerTest(): (prefix?: string) => Sandbox {
  const boxes: Sandbox[] = [];
  afterEach(() => {
    for (const box of boxes.splice(0)) box.remove();
  });
  return (prefix) => {
    const box = makeSandbox(prefix);
    boxes.push(box);
    return box;
  };
}
