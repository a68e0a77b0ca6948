import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { removeTree } from './remove-tree.js';

// A server's child that outlives the server writes into its directory while the suite removes it.
// rmSync alone fails here with ENOTEMPTY, in every round on this project's machine.
it('removes a tree that a process is still writing a few files into', async () => {
  for (let round = 0; round < 5; round += 1) {
    const dir = mkdtempSync(join(tmpdir(), 'polyarchiv-remove-tree-'));
    try {
      for (let file = 0; file < 3000; file += 1) writeFileSync(join(dir, `early-${file}`), '');
      const writer = spawn('bash', [
        '-c',
        'sleep 0.05; for i in $(seq 200); do : > "$1/late-$i" 2>/dev/null || exit 0; done',
        'writer',
        dir,
      ]);
      const ended = new Promise((resolve) => writer.once('exit', resolve));
      await new Promise((resolve) => setTimeout(resolve, 40));
      removeTree(dir);
      expect(existsSync(dir)).toBe(false);
      expect(await ended).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});
