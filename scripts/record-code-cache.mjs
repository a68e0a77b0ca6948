// Writes dist/bin/code-cache/ (src/cli/code-cache.ts says why): the built command runs the
// commands a user runs most on a sample configuration, with the node options of its first line
// (V8 refuses a cache made with other options), and each chunk keeps the code of the run that
// compiled most of it. A sample run that fails (no rsync on the build machine) only leaves less
// compiled code.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CODE_CACHE_DIR } from '../dist/cli/code-cache.js';
import { NODE_OPTIONS } from '../dist/cli/node-options.js';

const bundle = fileURLToPath(new URL('../dist/bin', import.meta.url));
const recorder = new URL('./code-cache-recorder.mjs', import.meta.url).href;
const staging = join(bundle, `${CODE_CACHE_DIR}.partial`);
const sample = mkdtempSync(join(tmpdir(), 'polyarchiv-code-cache-'));
try {
  rmSync(join(bundle, CODE_CACHE_DIR), { recursive: true, force: true });
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
  const config = join(sample, 'config');
  mkdirSync(config);
  mkdirSync(join(sample, 'data'));
  writeFileSync(join(sample, 'data', 'file'), 'data\n');
  writeFileSync(
    join(config, 'site.collect'),
    `[point]\nengine = files\nlocal_path = ${sample}/collect\n\n[source "data"]\nengine = local_files\nsource_path = ${sample}/data\ndestination_path = data\n`,
  );
  writeFileSync(
    join(config, 'mirror.backup'),
    `[point]\nengine = synchronize\nremote_url = ${sample}/mirror/{name}\n`,
  );
  const runs = [
    ['plan', '-C', config],
    ['plan', '-C', config, '--format', 'text'],
    ['plan', '-C', config, '--format', 'json'],
    ['validate', '-C', config],
    ['backup', '-C', config],
    // Nothing is due any more: the run a schedule makes most often.
    ['backup', '-C', config],
    ['check', '-C', config],
    ['config', '-C', config],
  ];
  for (const args of runs) {
    spawnSync(process.execPath, [...NODE_OPTIONS, '--import', recorder, join(bundle, 'main.js'), ...args], {
      stdio: 'ignore',
      env: { ...process.env, POLYARCHIV_CODE_CACHE_STAGING: staging, POLYARCHIV_CODE_CACHE_BUNDLE: bundle },
    });
  }
  renameSync(staging, join(bundle, CODE_CACHE_DIR));
} finally {
  rmSync(sample, { recursive: true, force: true });
}
