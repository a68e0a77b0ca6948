// The command's bundle, built from the compiled dist/ tree: dist/bin/main.js and the chunks it
// loads when a command needs them (the executor, the script renderer...). Why: node 20 resolves,
// reads and compiles each ES module on its own, asynchronously, and commander is a package of
// CommonJS modules found and loaded one by one; a command that loaded about a hundred modules spent
// most of its start-up there. The bundle is CommonJS (a package.json beside it says so), which
// also spares node its ES module loader. The template engine, the ini writer and shell-quote stay
// outside: only the commands that need them load them. dist/ itself stays as tsc wrote it: the
// tests run it.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { defineConfig } from 'rolldown';

/**
 * The modules `file` imports statically, and theirs (relative imports of the compiled tree; the
 * packages it bundles are matched by name): what every command loads.
 */
function staticClosure(file, found = new Set()) {
  if (found.has(file)) return found;
  found.add(file);
  const text = readFileSync(file, 'utf8');
  for (const [, specifier] of text.matchAll(/^(?:import|export)\b[^;]*?['"](\.[^'"]+)['"];$/gms))
    staticClosure(resolve(dirname(file), specifier), found);
  return found;
}
const program = staticClosure(resolve('dist/cli/main.js'));

export default defineConfig({
  input: { main: 'dist/cli/entry.js' },
  platform: 'node',
  external: [/^handlebars(\/|$)/, 'ini', 'shell-quote', /^node:/],
  plugins: [
    {
      name: 'commonjs-package',
      generateBundle() {
        this.emitFile({ type: 'asset', fileName: 'package.json', source: '{ "type": "commonjs" }\n' });
      },
    },
  ],
  output: {
    dir: 'dist/bin',
    format: 'cjs',
    cleanDir: true,
    chunkFileNames: '[name]-[hash].js',
    // The first line only installs the code cache (src/cli/entry.ts); what every command loads
    // stays one chunk, main-[hash].js, as it was one file when it was the first line's.
    codeSplitting: {
      groups: [{ name: 'main', test: (id) => program.has(id) || id.includes('/node_modules/commander/') }],
    },
  },
});
