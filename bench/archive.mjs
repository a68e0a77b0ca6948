// The archive backup point against `tar -czf` run by hand on the same collect point: the step as
// `apply` runs it with gzip (one CPU) and with pigz (every CPU), the same step as the script runs
// it (pigz), and the floor under them, the pack alone (tar piped into pigz, as the step writes it,
// into a file, nothing else); then, where igzip is installed, the same three with igzip as the
// decompressor that checks the archive as it is packed (gunzip_executable). The step also measures the collect point for the shrink guard, writes
// the listing the next run's guard reads, flushes the archive and renames it. Each figure is the
// median of the rounds, as wall-clock time and as CPU time (user + system of every process, which
// a busy machine disturbs far less); the cases of a round run one after the other, so that a change
// of load touches them alike. With BENCH_BEFORE=path/to/another/build's/main.js, that build's
// `apply` runs alternate with them too. Prints figures and ratios; asserts nothing.
// Usage: node bench/archive.mjs [FILES] [BYTES_PER_FILE] [ROUNDS]  (after npm run build)
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../dist/bin/main.js', import.meta.url));
const BEFORE = process.env.BENCH_BEFORE;
const files = Number(process.argv[2] ?? 10_000);
const size = Number(process.argv[3] ?? 20_000);
const rounds = Number(process.argv[4] ?? 3);
const root = mkdtempSync(join(tmpdir(), 'polyarchiv-bench-archive-'));
const data = join(root, 'data');

/** Text-like content that gzip shrinks to about a half: random words from a small vocabulary. */
function writeData() {
  const words = Array.from({ length: 4096 }, () => randomBytes(6).toString('base64url'));
  for (let i = 0; i < files; i++) {
    if (i % 100 === 0) mkdirSync(join(data, `d${i / 100}`), { recursive: true });
    const picks = randomBytes(Math.ceil(size / 4));
    let text = '';
    for (let j = 0; text.length < size; j += 2)
      text += `${words[picks.readUInt16LE(j % (picks.length - 1)) % 4096]} `;
    writeFileSync(join(data, `d${Math.floor(i / 100)}`, `f${i}`), text.slice(0, size));
  }
}

/**
 * Runs argv under bash, whose `times` gives the CPU time of every process it waited for (the
 * command and all it started): { wall, cpu } in seconds.
 */
function timed(argv) {
  const start = process.hrtime.bigint();
  const run = spawnSync('bash', ['-c', '"$@" > /dev/null; s=$?; times >&3; exit "$s"', 'bash', ...argv], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  if (run.status !== 0) throw new Error(`${argv.join(' ')} failed: ${run.stderr}`);
  const children = run.output[3].split('\n')[1] ?? '';
  const cpu = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
    (sum, [, minutes, seconds]) => sum + Number(minutes) * 60 + Number(seconds),
    0,
  );
  return { wall, cpu };
}

function have(tool) {
  return spawnSync('sh', ['-c', `command -v "$1"`, 'sh', tool]).status === 0;
}

const config = join(root, 'config');
mkdirSync(config);
writeFileSync(
  join(config, 'site.collect'),
  `[point]\nengine = files\nlocal_path = ${root}/collect\n\n[source "data"]\nengine = local_files\nsource_path = ${data}\ndestination_path = data\n`,
);
writeFileSync(
  join(config, 'archive.backup'),
  `[point]\nengine = archive\nremote_url = ${root}/archives/{name}.tar.gz\n`,
);
const global = join(config, 'tools.global');
const exportDir = join(root, 'collect/backups');
const script = join(root, 'backup.sh');

/**
 * The backup point's unit alone (the collect point is already filled), as `apply` runs it, with
 * gzip's executable and, when given, the decompressor that checks the archive as it is packed.
 */
function apply(cli, gzip, gunzip = '') {
  writeFileSync(global, `[global]\ngzip_executable = ${gzip}\ngunzip_executable = ${gunzip}\n`);
  return timed([process.execPath, cli, 'backup', '-q', '--skip-collect', '-C', config]);
}

/** The same unit as the script runs it: planned just before (a plan is made for one run). */
function viaScript(gzip, gunzip = '') {
  writeFileSync(global, `[global]\ngzip_executable = ${gzip}\ngunzip_executable = ${gunzip}\n`);
  const plan = spawnSync(process.execPath, [CLI, 'plan', '--skip-collect', '-C', config, '--out', script]);
  if (plan.status !== 0) throw new Error(`polyarchiv plan failed: ${plan.stderr}`);
  return timed(['bash', script, '-q']);
}

/** The pack command of the step (its tar options), into a file: what no step can go under. */
function packAlone() {
  const words = readFileSync(script, 'utf8')
    .split('\n')
    .find((line) => / \| (LC_ALL=C )?pigz /.test(line));
  if (words === undefined) throw new Error('no tar | pigz line in the script');
  const pack = words.trim().replace(/ > \S+$/, ` > ${join(root, 'alone.tar.gz')}`);
  return timed(['bash', '-o', 'pipefail', '-c', pack]);
}

const byHand = () => timed(['tar', '-czf', join(root, 'hand.tar.gz'), '-C', exportDir, '.']);

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

try {
  writeData();
  timed([process.execPath, CLI, 'backup', '-q', '--skip-backup', '-C', config]);
  const bytes = Number(spawnSync('du', ['-s', '-b', exportDir], { encoding: 'utf8' }).stdout.split('\t')[0]);
  const parallel = have('pigz');
  const fastCheck = parallel && have('igzip');
  const cases = [
    ['tar -czf by hand', byHand],
    ['apply, gzip', () => apply(CLI, 'gzip')],
    ...(parallel
      ? [
          ['apply, pigz', () => apply(CLI, 'pigz')],
          ['script, pigz', () => viaScript('pigz')],
          ['pack alone: tar | pigz', packAlone],
        ]
      : []),
    ...(fastCheck
      ? [
          ['apply, pigz, igzip check', () => apply(CLI, 'pigz', 'igzip')],
          ['script, pigz, igzip check', () => viaScript('pigz', 'igzip')],
          ['pack alone, igzip check', packAlone],
        ]
      : []),
    ...(BEFORE === undefined
      ? []
      : [
          ['apply, gzip (before)', () => apply(BEFORE, 'gzip')],
          ...(parallel ? [['apply, pigz (before)', () => apply(BEFORE, 'pigz')]] : []),
        ]),
  ];
  const loads = [];
  const results = cases.map(() => ({ wall: [], cpu: [] }));
  for (let r = 0; r < rounds; r++) {
    loads.push(loadavg()[0]);
    cases.forEach(([, run], k) => {
      const { wall, cpu } = run();
      results[k].wall.push(wall);
      results[k].cpu.push(cpu);
    });
  }
  const archived = statSync(join(root, 'archives/site.tar.gz')).size;
  const hand = statSync(join(root, 'hand.tar.gz')).size;
  console.log(
    `archive step: ${files} files, ${(bytes / 2 ** 20).toFixed(0)} MiB, .tar.gz (${(hand / 2 ** 20).toFixed(0)} MiB by hand, ${(archived / 2 ** 20).toFixed(0)} MiB by the step), ${availableParallelism()} CPUs, median of ${rounds}, load average ${median(loads).toFixed(1)}${BEFORE === undefined ? '' : `; before: ${BEFORE}`}`,
  );
  console.log(`${'run'.padEnd(26)} | wall s | CPU s`);
  for (const [k, [name]] of cases.entries())
    console.log(
      `${name.padEnd(26)} | ${median(results[k].wall).toFixed(3).padStart(6)} | ${median(results[k].cpu).toFixed(3).padStart(5)}`,
    );
  const ratio = (k, goal) => {
    const [name] = cases[k];
    const wall = median(results[k].wall) / median(results[0].wall);
    const cpu = median(results[k].cpu) / median(results[0].cpu);
    console.log(
      `ratio: archive (${name}) vs tar -czf = ${wall.toFixed(2)}x wall, ${cpu.toFixed(2)}x CPU (${goal})`,
    );
  };
  ratio(1, 'one CPU: no goal');
  if (parallel) ratio(2, 'the check decompresses with pigz');
  else console.log('pigz is not installed (scripts/system-deps.sh installs it): no parallel figure');
  const igzipCase = cases.findIndex(([name]) => name === 'apply, pigz, igzip check');
  if (igzipCase >= 0) ratio(igzipCase, 'gunzip_executable = igzip; goal: <= 0.6x wall on 2 CPUs');
  else if (parallel)
    console.log('igzip is not installed (Debian package isal): no figure with the fast check');
} finally {
  rmSync(root, { recursive: true, force: true });
}
