import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { constants, Script } from 'node:vm';

/**
 * V8's compiled code of each chunk of the command's bundle, kept beside it: node 20 compiles every
 * chunk from its source at each start, and a run's own compilation (the functions it calls
 * included) took about 10 ms of a command that otherwise starts in 60. The build writes the cache
 * (scripts/record-code-cache.mjs) by running the command on the shipped example; a run only
 * reads it. V8 refuses a cache made by another version of node, with other options or for a
 * source of another length (then the chunk is compiled as without one); it does not compare the
 * source itself, which the chunks' names do: each carries a hash of its content, and each build
 * writes the whole cache anew. So the cache can make a run neither wrong nor much slower.
 */
export const CODE_CACHE_DIR = 'code-cache';

/** Where the cache of the chunk `filename` is kept: beside it, or in `directory` (the build's). */
export const codeCacheFile = (
  filename: string,
  directory = join(dirname(filename), CODE_CACHE_DIR),
): string => join(directory, `${basename(filename)}.bin`);

type Compile = (this: Module, content: string, filename: string, ...rest: unknown[]) => unknown;

/** Compiles and runs one chunk instead of node, or returns false to leave it to node. */
export type ChunkLoader = (module: Module, content: string, filename: string) => boolean;

/**
 * Gives the chunks of `directory` to `load`, every other module to node. Node offers no public
 * hook for this: the one it calls for each CommonJS module is replaced, and a node without it is
 * left as it is. The command reads the cache through it, the build records it.
 */
export function loadChunksWith(directory: string, load: ChunkLoader): void {
  const prototype = Module.prototype as unknown as { _compile?: Compile };
  const compile = prototype._compile;
  if (typeof compile !== 'function') return;
  prototype._compile = function (this: Module, content: string, filename: string, ...rest: unknown[]) {
    if (dirname(filename) === directory && load(this, content, filename)) return;
    return compile.call(this, content, filename, ...rest);
  };
}

/** Loads the chunks of `directory` with their cache; a chunk without one is node's to compile. */
export function useCodeCache(directory: string): void {
  loadChunksWith(directory, (module, content, filename) => {
    let cachedData: Buffer;
    try {
      cachedData = readFileSync(codeCacheFile(filename));
    } catch {
      return false;
    }
    runChunk(module, filename, compileChunk(content, filename, cachedData));
    return true;
  });
}

/**
 * A chunk compiled as the function node wraps a CommonJS module in; the same text each time, since
 * V8 refuses a cache made for another.
 */
export function compileChunk(content: string, filename: string, cachedData?: Buffer): Script {
  // A first line `#!...` is valid at the top of a file only: a comment keeps the columns.
  const source = content.startsWith('#!') ? `//${content.slice(2)}` : content;
  return new Script(Module.wrap(source), {
    filename,
    // Chunks require what they load (a test holds them to it): an `import()` that slipped in would
    // load with node's own loader and its warning that this is experimental, instead of failing.
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
}

/** Runs a compiled chunk as `module`, with what node gives every CommonJS module. */
export function runChunk(module: Module, filename: string, script: Script): void {
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, createRequire(filename), module, filename, dirname(filename));
}
