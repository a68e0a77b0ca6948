// The command's bundle, built from the compiled dist/ tree: dist/bin/main.js and the chunks it
// loads when a command needs them (the executor, the script renderer...). Why: node 20 resolves,
// reads and compiles each ES module on its own, asynchronously, and commander is a package of
// CommonJS modules found and loaded one by one; a command that loaded about a hundred modules spent
// most of its start-up there. The bundle is CommonJS (a package.json beside it says so), which
// also spares node its ES module loader. The template engine, the ini writer and shell-quote stay
// outside: only the commands that need them load them. dist/ itself stays as tsc wrote it: the
// tests run it.
import { defineConfig } from 'rolldown';

export default defineConfig({
  input: { main: 'dist/cli/main.js' },
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
  },
});
