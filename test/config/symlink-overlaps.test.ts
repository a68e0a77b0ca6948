import { mkdirSync, realpathSync, symlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/diag/diagnostic.js';
import { realPaths } from '../../src/fs-probe.js';
import { loadConfiguration } from '../../src/pipeline.js';
import { PINNED_HOST, PINNED_NOW } from '../helpers/diagnose.js';
import { sandboxesPerTest } from '../helpers/sandbox.js';

/**
 * The overlap checks compare the directories paths lead to on this machine, symbolic links
 * followed, and show the paths as written. `R` stands for the sandbox (its own real path).
 */
describe('overlaps through symbolic links', () => {
  const sandbox = sandboxesPerTest();

  /** Makes `dirs` and `links` (name -> target) in a sandbox, then resolves `files` there. */
  function resolveIn(
    setup: { dirs?: string[]; links?: Record<string, string> },
    files: Record<string, string>,
  ) {
    const box = sandbox();
    const root = realpathSync(box.root);
    const at = (text: string) => text.replaceAll('R/', `${root}/`);
    for (const dir of setup.dirs ?? []) mkdirSync(at(dir), { recursive: true });
    for (const [link, target] of Object.entries(setup.links ?? {})) symlinkSync(at(target), at(link));
    box.write(Object.fromEntries(Object.entries(files).map(([name, text]) => [`config/${name}`, at(text)])));
    const { diagnostics, config } = loadConfiguration(box.path('config'), PINNED_NOW, PINNED_HOST);
    const errors = diagnostics.items
      .map(formatDiagnostic)
      .filter((d) => d.startsWith('error:'))
      .map((d) => d.replaceAll(`${root}/`, 'R/'));
    return { errors, config };
  }

  const collect = (path: string, sources = '') => `[point]\nengine=files\nlocal_path=${path}\n${sources}`;
  const files = (name: string, path: string) =>
    `[source "${name}"]\nengine=local_files\nsource_path=${path}\ndestination_path=${name}\n`;

  it('leaves out of the copy a collect point whose local_path reaches into the source through a symlink', () => {
    const { errors, config } = resolveIn(
      { dirs: ['R/data', 'R/w'], links: { 'R/w/alias': 'R/data' } },
      { 'site.collect': collect('R/w/alias/collect', files('d', 'R/data')) },
    );
    expect(errors).toEqual([]);
    const cp = config.collectPoints[0];
    expect(cp?.sources[0]?.collectPointWithin).toBe('/collect');
    const drafts = cp?.sources[0]?.engine.backup(cp.sources[0], cp) ?? [];
    expect(JSON.stringify(drafts)).toContain('{"rule":"exclude","pattern":"/collect/"}');
  });

  it('leaves out the collect point as the source tree names it when source_path is the symlink', () => {
    const { errors, config } = resolveIn(
      { dirs: ['R/data/sub'], links: { 'R/src': 'R/data' } },
      { 'site.collect': collect('R/data/sub/collect', files('d', 'R/src')) },
    );
    expect(errors).toEqual([]);
    expect(config.collectPoints[0]?.sources[0]?.collectPointWithin).toBe('/sub/collect');
  });

  it('refuses a source_path that is a symlink into its own collect point', () => {
    const { errors } = resolveIn(
      { dirs: ['R/collect'], links: { 'R/lnk': 'R/collect' } },
      { 'site.collect': collect('R/collect', files('docs', 'R/lnk')) },
    );
    expect(errors).toEqual([
      'error: source "docs" (R/lnk, through a symlink: R/collect) is inside collect point site (R/collect) (a collect point cannot back itself up)\n  at site.collect:6 [source "docs"]',
    ]);
  });

  it('refuses two collect points in one directory, one reaching it through a symlink', () => {
    const { errors } = resolveIn(
      { dirs: ['R/real'], links: { 'R/link': 'R/real' } },
      { 'a.collect': collect('R/real'), 'b.collect': collect('R/link/') },
    );
    expect(errors).toEqual([
      "error: collect point b (R/link, through a symlink: R/real) is the same directory as collect point a (R/real): each run would replace the other's copy (each collect point needs a directory of its own)\n  at b.collect:3 [point]",
    ]);
  });

  it("refuses a synchronize remote_url that is a symlink to another collect point's directory", () => {
    const { errors } = resolveIn(
      { dirs: ['R/a'], links: { 'R/m': 'R/a' } },
      {
        'a.collect': collect('R/a'),
        'b.collect': `${collect('R/b')}collect_point_tags=b\n`,
        'm.backup':
          '[point]\nengine=synchronize\nremote_url=file://R/m\nincluded_collect_point_tags=b\nexcluded_collect_point_tags=collect\n',
      },
    );
    expect(errors).toEqual([
      'error: remote_url of backup point m (R/m, through a symlink: R/a) overlaps collect point a (R/a) (a backup must live outside every collect point)\n  at m.backup:3 [point]',
    ]);
  });

  it('compares paths as written where nothing is a symlink', () => {
    const { errors, config } = resolveIn(
      { dirs: ['R/data', 'R/cp'] },
      {
        'a.collect': collect('R/cp', files('d', 'R/cp/d')),
        'b.collect': collect('R/cp/inner'),
        'c.collect': collect('R/data/c', files('d', 'R/data')),
      },
    );
    expect(errors).toEqual([
      "error: collect point b (R/cp/inner) overlaps collect point a (R/cp): each run would replace the other's copy (each collect point needs a directory of its own)\n  at b.collect:3 [point]",
      'error: source "d" (R/cp/d) is inside collect point a (R/cp) (a collect point cannot back itself up)\n  at a.collect:6 [source "d"]',
    ]);
    expect(config.collectPoints[2]?.sources[0]?.collectPointWithin).toBe('/c');
  });

  it('follows a symlink to a directory that does not exist yet, and one below it not made yet', () => {
    const { errors, config } = resolveIn(
      { dirs: ['R/data', 'R/w'], links: { 'R/w/alias': 'R/data', 'R/later': 'R/data/next' } },
      {
        'site.collect': collect('R/w/alias/new/collect', files('d', 'R/data')),
        'next.collect': collect('R/later/'),
        'other.collect': collect('R/data/next'),
      },
    );
    expect(errors).toEqual([
      "error: collect point other (R/data/next) is the same directory as collect point next (R/later, through a symlink: R/data/next): each run would replace the other's copy (each collect point needs a directory of its own)\n  at other.collect:3 [point]",
    ]);
    expect(config.collectPoints.find((cp) => cp.name === 'site')?.sources[0]?.collectPointWithin).toBe(
      '/new/collect',
    );
  });
});

describe('realPaths', () => {
  const sandbox = sandboxesPerTest();

  it('follows the links of the existing part of a path and keeps the rest as written', () => {
    const box = sandbox();
    const root = realpathSync(box.root);
    mkdirSync(`${root}/a/b`, { recursive: true });
    symlinkSync(`${root}/a`, `${root}/l`);
    symlinkSync('b', `${root}/a/rel`);
    symlinkSync(`${root}/nowhere/x`, `${root}/dangling`);
    symlinkSync(`${root}/loop2`, `${root}/loop1`);
    symlinkSync(`${root}/loop1`, `${root}/loop2`);
    const real = realPaths();
    expect(real(`${root}/l/b/c/d`)).toBe(`${root}/a/b/c/d`);
    expect(real(`${root}/l/rel/`)).toBe(`${root}/a/b`);
    expect(real(`${root}//l/./b`)).toBe(`${root}/a/b`);
    expect(real(`${root}/dangling/y`)).toBe(`${root}/nowhere/x/y`);
    expect(real(`${root}/loop1/z`)).toBe(`${root}/loop1/z`);
    expect(real(`${root}/plain/new`)).toBe(`${root}/plain/new`);
    expect(real('/')).toBe('/');
  });
});
