// Planning and rendering cost for large configurations: N collect points x M backup points.
// Prints figures; asserts nothing (timings depend on the machine).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderBash } from '../dist/backends/bash/render.js';
import { makePlan } from '../dist/pipeline.js';

const selection = {
  onlyCollectPoints: [],
  onlyBackupPoints: [],
  skipCollect: false,
  skipBackup: false,
  force: false,
};

function configDir(collects, backups, sources) {
  const dir = mkdtempSync(join(tmpdir(), 'polyarchiv-bench-'));
  for (let c = 0; c < collects; c++) {
    let text = `[point]\nengine = files\nlocal_path = /srv/bench/cp${c}\nfrequency = daily\n`;
    for (let s = 0; s < sources; s++) {
      text += `\n[source "s${s}"]\nengine = local_files\nsource_path = /srv/data/${c}/${s}\ndestination_path = s${s}\n`;
    }
    writeFileSync(join(dir, `cp${c}.collect`), text);
  }
  for (let b = 0; b < backups; b++) {
    writeFileSync(
      join(dir, `bp${b}.backup`),
      `[point]\nengine = synchronize\nremote_url = /srv/mirror${b}/{name}\n`,
    );
  }
  return dir;
}

console.log(
  'collect points | backup points | sources each | units | plan ms | render ms | script KiB | heap MiB',
);
for (const [collects, backups, sources] of [
  [10, 2, 3],
  [100, 3, 5],
  [500, 4, 10],
]) {
  const dir = configDir(collects, backups, sources);
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const result = makePlan({
    configDir: dir,
    mode: 'backup',
    now: new Date('2026-01-01T00:00:00Z'),
    pinned: { fqdn: 'h', hostname: 'h', username: 'u' },
    selection,
    regenerate: 'polyarchiv plan',
  });
  const t1 = performance.now();
  const script = renderBash(result.plan);
  const t2 = performance.now();
  const heap = process.memoryUsage().heapUsed / 2 ** 20;
  console.log(
    [
      collects,
      backups,
      sources,
      result.plan.units.length,
      (t1 - t0).toFixed(0),
      (t2 - t1).toFixed(0),
      (script.length / 1024).toFixed(0),
      heap.toFixed(0),
    ].join(' | '),
  );
  rmSync(dir, { recursive: true, force: true });
}
