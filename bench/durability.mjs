// What durability costs: state records, dumps and staged copies with and without their fsyncs.
// Usage: node bench/durability.mjs [DIR]   (needs `npm run build`; DIR defaults to the temporary
// directory; pass a directory on the disk that holds your collect points, since tmpfs ignores fsync).
// Prints figures; asserts nothing (timings depend on the machine and its disk).
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishFile, recordState } from '../dist/backends/execute/primitives.js';

/** Every regular file and directory of a tree flushed one by one, children first (fsync each). */
function fsyncTree(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = lstatSync(path);
    if (stat.isDirectory()) fsyncTree(path);
    else if (stat.isFile()) fsyncPath(path);
  }
  fsyncPath(dir);
}

function fsyncPath(path) {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const base = mkdtempSync(join(process.argv[2] ?? tmpdir(), 'polyarchiv-bench-durability-'));
const fsType = spawnSync('stat', ['-f', '-c', '%T', base], { encoding: 'utf8' }).stdout.trim();
const template = JSON.stringify({
  last_success: '@@POLYARCHIV_STARTED@@',
  last_fail: null,
  success_count: 1,
});
const times = { started: new Date(), now: new Date() };

function ms(run) {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function row(cells) {
  console.log(cells.map((c) => String(c).padEnd(14)).join('| '));
}

console.log(`directory: ${base} (${fsType})\n`);
console.log('state records (200 each)');
row(['how', 'ms per record']);
{
  const dir = join(base, 'state');
  mkdirSync(dir);
  const file = join(dir, 'site.json');
  const n = 200;
  const plain = ms(() => {
    for (let i = 0; i < n; i++) {
      writeFileSync(`${file}.partial`, template);
      renameSync(`${file}.partial`, file);
    }
  });
  const durable = ms(() => {
    for (let i = 0; i < n; i++) recordState(file, template, 'ok', times);
  });
  const script = ms(() => {
    spawnSync('bash', [
      '-c',
      `for ((i = 0; i < ${n}; i++)); do printf x > "$1.partial"; sync -- "$1.partial"; mv -f -- "$1.partial" "$1"; sync -- "$2"; done`,
      'bash',
      file,
      dir,
    ]);
  });
  row(['rename only', (plain / n).toFixed(3)]);
  row(['apply (fsync)', (durable / n).toFixed(3)]);
  row(['script (sync)', (script / n).toFixed(3)]);
}

console.log('\ndumps (one file, published over the previous one)');
row(['MiB', 'rename ms', 'fsync ms', 'sync(1) ms']);
for (const mib of [1, 64]) {
  const dir = join(base, `dump${mib}`);
  mkdirSync(dir);
  const file = join(dir, 'dump.sql');
  const data = Buffer.alloc(mib * 1024 * 1024, 'x');
  const plain = ms(() => {
    writeFileSync(`${file}.partial`, data);
    renameSync(`${file}.partial`, file);
  });
  const durable = ms(() => {
    writeFileSync(`${file}.partial`, data);
    publishFile(`${file}.partial`, file);
  });
  const script = ms(() => {
    writeFileSync(`${file}.partial`, data);
    spawnSync('bash', [
      '-c',
      'sync -- "$1.partial"; mv -f -- "$1.partial" "$1"; sync -- "$2"',
      'bash',
      file,
      dir,
    ]);
  });
  row([mib, plain.toFixed(1), durable.toFixed(1), script.toFixed(1)]);
  rmSync(dir, { recursive: true, force: true });
}

// Dovecot's staged tree is flushed before the renames that swap it in: once, with sync -f (what
// both backends run), compared with flushing it file by file (fsync each, or find | sync).
console.log('\nstaged trees already on the disk (the walk itself: unchanged, hard-linked files)');
row(['files', 'write ms', 'fsync each ms', 'find|sync ms', 'sync -f ms']);
for (const files of [1000, 10000]) {
  const dir = join(base, `tree${files}`);
  const write = ms(() => {
    for (let i = 0; i < files; i++) {
      const sub = join(dir, String(i % 100));
      if (i < 100) mkdirSync(sub, { recursive: true });
      writeFileSync(join(sub, `f${i}`), `content ${i}\n`);
    }
  });
  spawnSync('sync', ['-f', '--', dir]);
  const each = ms(() => fsyncTree(dir));
  const script = ms(() =>
    spawnSync('bash', ['-c', 'find "$1" -depth \\( -type f -o -type d \\) -exec sync -- {} +', 'bash', dir]),
  );
  const syncfs = ms(() => spawnSync('sync', ['-f', '--', dir]));
  row([files, write.toFixed(1), each.toFixed(1), script.toFixed(1), syncfs.toFixed(1)]);
  rmSync(dir, { recursive: true, force: true });
}

console.log('\nfirst flush of a freshly written staged tree (what a collect run pays)');
row(['files', 'fsync each ms', 'find|sync ms', 'sync -f ms']);
for (const files of [1000, 10000]) {
  const results = [];
  for (const how of ['each', 'find', 'syncfs']) {
    const dir = join(base, `fresh-${how}-${files}`);
    for (let i = 0; i < files; i++) {
      const sub = join(dir, String(i % 100));
      if (i < 100) mkdirSync(sub, { recursive: true });
      writeFileSync(join(sub, `f${i}`), `content ${i}\n`);
    }
    const flushes = {
      each: () => fsyncTree(dir),
      find: () =>
        spawnSync('bash', [
          '-c',
          'find "$1" -depth \\( -type f -o -type d \\) -exec sync -- {} +',
          'bash',
          dir,
        ]),
      syncfs: () => spawnSync('sync', ['-f', '--', dir]),
    };
    results.push(ms(flushes[how]));
    rmSync(dir, { recursive: true, force: true });
  }
  row([files, ...results.map((r) => r.toFixed(1))]);
  console.log(
    `ratio: staged tree of ${files} files, fsync each / sync -f = ${(results[0] / results[2]).toFixed(2)}x`,
  );
}

// An in-place copy as the plan runs it, without a flush, with rsync --fsync (every written file
// flushed by the receiver before its rename), and followed by sync -f (the destination's whole
// filesystem flushed once, including whatever else is dirty on it).
console.log('\nin-place copies (rsync as planned): a first copy, then 1% of the files changed');
row(['files', 'run', 'no flush ms', '--fsync ms', 'sync -f ms']);
const HOLD = '.~polyarchiv~';
function inPlace(from, to, extra) {
  mkdirSync(join(to, HOLD), { recursive: true });
  const argv = ['-a', '--delay-updates', `--partial-dir=${HOLD}`, `--temp-dir=${HOLD}`];
  argv.push(`--filter=H ${HOLD}/`, `--filter=R ${HOLD}/`, '--delete-delay', '-S', ...extra);
  const run = spawnSync('rsync', [...argv, '--', `${from}/`, `${to}/`], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
}
for (const files of [1000, 10000]) {
  const from = join(base, `copy-source-${files}`);
  const block = Buffer.alloc(16 * 1024, 'y');
  const write = (i, gen) => {
    const sub = join(from, String(i % 100));
    mkdirSync(sub, { recursive: true });
    block.writeUInt32LE(gen, 0);
    writeFileSync(join(sub, `f${i}`), block);
  };
  for (let i = 0; i < files; i++) write(i, 0);
  spawnSync('sync', ['-f', '--', from]);
  const ways = {
    plain: (to) => inPlace(from, to, []),
    fsync: (to) => inPlace(from, to, ['--fsync']),
    syncfs: (to) => {
      inPlace(from, to, []);
      spawnSync('sync', ['-f', '--', to]);
    },
  };
  const first = {};
  const again = {};
  for (const [name, copy] of Object.entries(ways)) {
    const to = join(base, `copy-${name}-${files}`);
    // Each measure starts with nothing dirty, so that one way does not pay for another.
    spawnSync('sync', ['-f', '--', base]);
    first[name] = ms(() => copy(to));
  }
  for (let i = 1; i < files; i += 100) write(i, 1);
  spawnSync('sync', ['-f', '--', from]);
  for (const [name, copy] of Object.entries(ways)) {
    spawnSync('sync', ['-f', '--', base]);
    again[name] = ms(() => copy(join(base, `copy-${name}-${files}`)));
  }
  row([files, 'first', first.plain.toFixed(1), first.fsync.toFixed(1), first.syncfs.toFixed(1)]);
  row([files, '1% changed', again.plain.toFixed(1), again.fsync.toFixed(1), again.syncfs.toFixed(1)]);
  console.log(
    `ratio: in-place copy of ${files} files (first), --fsync / no flush = ${(first.fsync / first.plain).toFixed(2)}x (sync -f after it: ${(first.syncfs / first.plain).toFixed(2)}x)`,
  );
  console.log(
    `ratio: in-place copy of ${files} files (1% changed), --fsync / no flush = ${(again.fsync / again.plain).toFixed(2)}x (sync -f after it: ${(again.syncfs / again.plain).toFixed(2)}x)`,
  );
}
rmSync(base, { recursive: true, force: true });
