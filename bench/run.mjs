// `npm run bench`: runs every benchmark script of this directory (bench/*.mjs but this one), one
// after the other so that they do not compete for the CPUs, and prints their output. A benchmark
// that compares itself with a baseline prints one line per comparison in this form:
//   ratio: <what> = <ratio>x <free text: figures, goal>
// and the summary at the end repeats those lines side by side.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename } from 'node:path';

const here = new URL('./', import.meta.url);
const self = basename(new URL(import.meta.url).pathname);
const only = process.argv.slice(2);
const scripts = readdirSync(here)
  .filter((name) => name.endsWith('.mjs') && name !== self)
  .filter((name) => only.length === 0 || only.some((wanted) => name.includes(wanted)))
  .sort();

const ratios = [];
let failed = 0;
for (const script of scripts) {
  console.log(`\n== ${script}`);
  const run = spawnSync(process.execPath, [new URL(script, here).pathname], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  process.stdout.write(run.stdout ?? '');
  if (run.status !== 0) {
    failed++;
    console.log(`${script} failed (exit ${run.status ?? run.signal})`);
  }
  for (const line of (run.stdout ?? '').split('\n'))
    if (line.startsWith('ratio: ')) ratios.push(`${script.padEnd(24)} ${line.slice('ratio: '.length)}`);
}
console.log('\n== summary (ratio: the measured run over its baseline, lower is better)');
for (const line of ratios) console.log(line);
if (failed > 0) process.exitCode = 1;
