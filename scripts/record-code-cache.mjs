// Writes dist/bin/code-cache/ (src/cli/code-cache.ts says why): the built command runs the
// commands a user runs most on the shipped example (examples/quickstart, into a temporary
// directory), with node as the command starts it, without options (V8 refuses a cache made with
// other options), and each chunk keeps the code of the run that compiled most of it. A sample run
// that fails (no rsync on the build machine) only leaves less compiled code.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CODE_CACHE_DIR } from '../dist/cli/code-cache.js';

const bundle = realpathSync(fileURLToPath(new URL('../dist/bin', import.meta.url)));
const example = fileURLToPath(new URL('../examples/quickstart', import.meta.url));
const recorder = new URL('./code-cache-recorder.mjs', import.meta.url).href;
const staging = join(bundle, `${CODE_CACHE_DIR}.partial`);
const root = mkdtempSync(join(tmpdir(), 'polyarchiv-code-cache-'));
try {
  rmSync(join(bundle, CODE_CACHE_DIR), { recursive: true, force: true });
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
  const config = ['-C', example, '--set', `root=${root}`, '--set', `data=${join(example, 'data')}`];
  const runs = [
    ['plan', ...config],
    ['plan', ...config, '--format', 'text'],
    ['plan', ...config, '--format', 'json'],
    ['validate', ...config],
    ['backup', ...config],
    // Nothing is due any more: the run a schedule makes most often.
    ['backup', ...config],
    ['check', ...config],
    ['config', ...config],
  ];
  for (const args of runs) {
    spawnSync(process.execPath, ['--import', recorder, join(bundle, 'main.js'), ...args], {
      stdio: 'ignore',
      // A sample run that would not end (none should) costs the build a minute, not the build.
      timeout: 60_000,
      env: { ...process.env, POLYARCHIV_CODE_CACHE_STAGING: staging, POLYARCHIV_CODE_CACHE_BUNDLE: bundle },
    });
  }
  renameSync(staging, join(bundle, CODE_CACHE_DIR));
} finally {
  rmSync(root, { recursive: true, force: true });
}
