import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { removeTree } from './remove-tree.js';

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
    remove: () => removeTree(root),
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

/**
 * One sandbox for every test of the file that calls this at its top level: made before its first
 * test and removed after its last. A file none of whose tests run (a `-t` filter, a tool missing)
 * runs neither hook, so the sandbox is not made before a test needs it.
 */
export function sandboxPerFile(prefix?: string): Sandbox {
  let box: Sandbox | undefined;
  beforeAll(() => {
    box = makeSandbox(prefix);
  });
  afterAll(() => {
    box?.remove();
    box = undefined;
  });
  const made = (): Sandbox => {
    if (box === undefined) throw new Error('the sandbox of a file is there during its tests only');
    return box;
  };
  return {
    get root() {
      return made().root;
    },
    path: (...parts) => made().path(...parts),
    write: (files) => made().write(files),
    remove: () => made().remove(),
  };
}
