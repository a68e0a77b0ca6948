// Preload (--import) of the sample runs of record-code-cache.mjs: each chunk of the bundle is
// compiled and run as the command itself does it (dist/cli/code-cache.js), and at exit V8's code
// of the chunk, with the functions this run compiled, is kept in POLYARCHIV_CODE_CACHE_STAGING
// when it holds more than what an earlier run kept.
import { existsSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { codeCacheFile, compileChunk, loadChunksWith, runChunk } from '../dist/cli/code-cache.js';

const staging = process.env.POLYARCHIV_CODE_CACHE_STAGING;
const bundle = process.env.POLYARCHIV_CODE_CACHE_BUNDLE;
if (staging === undefined || bundle === undefined) throw new Error('run by record-code-cache.mjs only');
// Node names each module by its real path, the first line's file included.
const entry = realpathSync(process.argv[1]);
const compiled = [];
loadChunksWith(bundle, (module, content, filename) => {
  // The first line's file is compiled before it can install the cache: it has none.
  if (filename === entry) return false;
  const script = compileChunk(content, filename);
  compiled.push({ filename, script });
  runChunk(module, filename, script);
  return true;
});
process.on('exit', () => {
  for (const { filename, script } of compiled) {
    const data = script.createCachedData();
    const file = codeCacheFile(filename, staging);
    if (!existsSync(file) || statSync(file).size < data.length) writeFileSync(file, data);
  }
});
