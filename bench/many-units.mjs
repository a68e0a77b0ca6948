// What each unit costs beside its own commands: POINTS collect points of SOURCES tiny local_files
// sources each, every one mirrored by MIRRORS local synchronize backup points, run again with
// nothing changed (each unit still locks, guards, copies, flushes and records its state). Through
// `apply` (--jobs 1) and through the script, with the time per unit; BENCH_CLI=FILE runs that
// polyarchiv command too, in the same rounds (another version's, to compare both).
// Prints medians of ROUNDS runs, wall-clock and CPU time (user + system of every process a run
// started); asserts nothing.
// Usage: node bench/many-units.mjs [POINTS] [SOURCES] [MIRRORS] [ROUNDS]  (after npm run build)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childrenCpu } from './children-cpu.cjs';

const CLI = fileURLToPath(new URL('../dist/bin/main.js', import.meta.url));
const OTHER = process.env.BENCH_CLI;
const [points, sources, mirrors, rounds] = [20, 3, 5, 5].map((fallback, k) =>
  Number(process.argv[k + 2] ?? fallback),
);
const units = points * (1 + mirrors);
const root = mkdtempSync(join(tmpdir(), 'polyarchiv-bench-units-'));

/** A configuration of every point, its copies under `root` with `suffix`. */
function writeConfig(suffix) {
  const dir = join(root, `config${suffix}`);
  mkdirSync(dir);
  for (let p = 0; p < points; p++) {
    let text = `[point]\nengine = files\nlocal_path = ${root}/collect${suffix}/p${p}\nfrequency = always\n`;
    for (let s = 0; s < sources; s++)
      text += `\n[source "s${s}"]\nengine = local_files\nsource_path = ${root}/data/p${p}/s${s}\ndestination_path = s${s}\n`;
    writeFileSync(join(dir, `p${String(p).padStart(4, '0')}.collect`), text);
  }
  for (let b = 0; b < mirrors; b++)
    writeFileSync(
      join(dir, `b${b}.backup`),
      `[point]\nengine = synchronize\nremote_url = ${root}/mirror${suffix}/b${b}/{name}\n`,
    );
  return dir;
}

/** Wall-clock and CPU seconds of one run. */
function timed(command, args) {
  spawnSync('sync');
  const cpuBefore = childrenCpu();
  const start = process.hrtime.bigint();
  const run = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return { wall, cpu: childrenCpu() - cpuBefore };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

try {
  for (let p = 0; p < points; p++)
    for (let s = 0; s < sources; s++) {
      const dir = join(root, 'data', `p${p}`, `s${s}`);
      mkdirSync(dir, { recursive: true });
      for (let f = 0; f < 5; f++) writeFileSync(join(dir, `f${f}`), `${p} ${s} ${f}\n`.repeat(20));
    }
  const cases = [['apply', writeConfig('')]];
  if (OTHER !== undefined) cases.push(['apply of BENCH_CLI', writeConfig('-other')]);
  const scriptConfig = writeConfig('-script');
  const scriptFile = join(root, 'backup.sh');
  const apply = (cli, config) => () =>
    timed(process.execPath, [cli, 'backup', '-q', '--jobs', '1', '-C', config]);
  const runs = [
    ['apply', apply(CLI, cases[0][1])],
    ...(OTHER === undefined ? [] : [['apply of BENCH_CLI', apply(OTHER, cases[1][1])]]),
    [
      'the script',
      () => {
        const plan = spawnSync(process.execPath, [CLI, 'plan', '-C', scriptConfig], {
          encoding: 'utf8',
          maxBuffer: 2 ** 30,
        });
        if (plan.status !== 0) throw new Error(`plan failed: ${plan.stderr}`);
        writeFileSync(scriptFile, plan.stdout);
        return timed('bash', [scriptFile, '--quiet', '--jobs', '1']);
      },
    ],
    ['node -e 0', () => timed(process.execPath, ['-e', '0'])],
  ];
  // The first runs copy everything: not timed.
  for (const [, run] of runs.slice(0, -1)) run();
  const figures = runs.map(() => []);
  for (let r = 0; r < rounds; r++) for (const [k, [, run]] of runs.entries()) figures[k].push(run());
  console.log(
    `${units} units (${points} collect points x ${sources} sources, ${mirrors} mirrors), nothing changed, --jobs 1, median of ${rounds}`,
  );
  runs.forEach(([what], k) => {
    const wall = median(figures[k].map((f) => f.wall));
    const cpu = median(figures[k].map((f) => f.cpu));
    const each = what === 'node -e 0' ? '' : `, ${((wall / units) * 1000).toFixed(1)} ms wall a unit`;
    console.log(`${what.padEnd(20)} ${wall.toFixed(3)} s wall, ${cpu.toFixed(3)} s CPU${each}`);
  });
} finally {
  rmSync(root, { recursive: true, force: true });
}
