// Preload (--import) of the sample runs of record-code-cache.mjs: each chunk of the bundle is
// compiled and run as the command itself does it (dist/cli/code-cache.js), and at exit V8's code
// of the chunk, with the functions this run compiled, is kept in POLYARCHIV_CODE_CACHE_STAGING
// when it holds more than what an earlier run kept.
import { existsSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { basename, dirname, join } from 'node:path';
import { compileChunk, runChunk } from '../dist/cli/code-cache.js';

const staging = process.env.POLYARCHIV_CODE_CACHE_STAGING;
const bundle = process.env.POLYARCHIV_CODE_CACHE_BUNDLE;
if (staging === undefined || bundle === undefined) throw new Error('run by record-code-cache.mjs only');
// Node names each module by its real path, the first line's file included.
const entry = realpathSync(process.argv[1]);
const compiled = [];
const compile = Module.prototype._compile;
Module.prototype._compile = function (content, filename, ...rest) {
  // The first line's file is compiled before it can install the cache: it has none.
  if (dirname(filename) !== bundle || filename === entry)
    return compile.call(this, content, filename, ...rest);
  const script = compileChunk(content, filename);
  compiled.push({ filename, script });
  runChunk(this, filename, script);
};
process.on('exit', () => {
  for (const { filename, script } of compiled) {
    const data = script.createCachedData();
    const file = join(staging, `${basename(filename)}.bin`);
    if (!existsSync(file) || statSync(file).size < data.length) writeFileSync(file, data);
  }
});
